// server/src/core/predictions.ts: predictions inside records (Loopmark and Label Studio shapes) and
// in sidecar files.
import * as assert from 'node:assert/strict';
import { parsePredictionFile, predictionFromRecord } from '../../server/src/core/predictions';

function studio(...entries: unknown[]): Record<string, unknown> {
  return { text: 't', predictions: entries };
}

function choice(label: string, score?: unknown): Record<string, unknown> {
  return { from_name: 'sentiment', to_name: 'text', type: 'choices', value: { choices: [label] }, ...(score === undefined ? {} : { score }) };
}

describe('core/predictions: Loopmark shape', () => {
  it('reads label, score and model_version', () => {
    assert.deepEqual(predictionFromRecord({ prediction: { label: 'positive', score: 0.55, model_version: 'v2' } }), {
      prediction: { label: 'positive', score: 0.55, origin: 'file', modelVersion: 'v2' },
    });
  });

  it('a missing score means certain; 0 and 1 are valid scores', () => {
    assert.equal(predictionFromRecord({ prediction: { label: 'a' } }).prediction?.score, 1);
    assert.equal(predictionFromRecord({ prediction: { label: 'a', score: 0 } }).prediction?.score, 0);
    assert.equal(predictionFromRecord({ prediction: { label: 'a', score: 1 } }).prediction?.score, 1);
  });

  it('a record without predictions has none and no problem', () => {
    assert.deepEqual(predictionFromRecord({ text: 'x' }), {});
  });

  it('rejects unusable shapes with a message', () => {
    for (const prediction of ['positive', null, [], { score: 0.5 }, { label: 3 }]) {
      const result = predictionFromRecord({ prediction });
      assert.equal(result.prediction, undefined);
      assert.match(result.problem!, /"prediction" must be an object like/);
    }
    for (const score of [1.5, -0.1, '0.5', Number.NaN, null]) {
      const result = predictionFromRecord({ prediction: { label: 'a', score } });
      assert.equal(result.prediction, undefined);
      assert.match(result.problem!, /"prediction.score" must be a number between 0 and 1/, `score ${String(score)}`);
    }
  });

  it('the Loopmark shape wins over a Label Studio list in the same record', () => {
    const result = predictionFromRecord({ prediction: { label: 'own', score: 0.2 }, predictions: [{ result: [choice('studio', 0.9)] }] });
    assert.equal(result.prediction?.label, 'own');
  });
});

describe('core/predictions: Label Studio shape', () => {
  it('reads the choice, the prediction score and the model version', () => {
    const result = predictionFromRecord(studio({ model_version: 'sentiment-v3', score: 0.58, result: [choice('positive')] }));
    assert.deepEqual(result, { prediction: { label: 'positive', score: 0.58, origin: 'file', modelVersion: 'sentiment-v3' } });
  });

  it('keeps the best-scored of several predictions', () => {
    const result = predictionFromRecord(
      studio(
        { model_version: 'a', score: 0.4, result: [choice('negative')] },
        { model_version: 'b', score: 0.9, result: [choice('positive')] },
        { model_version: 'c', score: 0.7, result: [choice('neutral')] },
      ),
    );
    assert.deepEqual(result.prediction, { label: 'positive', score: 0.9, origin: 'file', modelVersion: 'b' });
  });

  it("a result's own score overrides its prediction's score", () => {
    const result = predictionFromRecord(studio({ model_version: 'm', score: 0.3, result: [choice('negative', 0.2), choice('positive', 0.95)] }));
    assert.deepEqual(result.prediction, { label: 'positive', score: 0.95, origin: 'file', modelVersion: 'm' });
  });

  it('a prediction without any score counts as certain; a null score (as Label Studio exports) too', () => {
    assert.equal(predictionFromRecord(studio({ result: [choice('a')] })).prediction?.score, 1);
    assert.equal(predictionFromRecord(studio({ score: null, result: [choice('a')] })).prediction?.score, 1);
  });

  it('an out-of-range score is not silently taken as certain', () => {
    // 58 (a percentage) must not become a confident 1.0 that hides the sample from review.
    const result = predictionFromRecord(studio({ score: 58, result: [choice('positive')] }));
    assert.equal(result.prediction, undefined);
    assert.match(result.problem!, /score/);
    const mixed = predictionFromRecord(studio({ score: 58, result: [choice('positive')] }, { score: 0.4, result: [choice('negative')] }));
    assert.deepEqual(mixed.prediction, { label: 'negative', score: 0.4, origin: 'file' }, 'the usable prediction still loads');
  });

  it('skips entries without choices (other result types) and reports when none is usable', () => {
    const spans = { result: [{ type: 'labels', value: { start: 0, end: 3, labels: ['PER'] } }] };
    assert.deepEqual(predictionFromRecord(studio(spans, { result: [choice('ok', 0.5)] })).prediction, { label: 'ok', score: 0.5, origin: 'file' });
    for (const bad of [studio(), studio(spans), studio(null, 'x', { result: 'no' }, { result: [null, { value: null }, { value: { choices: [] } }] })]) {
      const result = predictionFromRecord(bad);
      assert.equal(result.prediction, undefined);
      assert.match(result.problem!, /"predictions" has no result with "value.choices"/);
    }
  });

  it('"predictions" that is not a list is a problem', () => {
    assert.match(predictionFromRecord({ predictions: { result: [] } }).problem!, /must be a list/);
  });
});

describe('core/predictions: sidecar file', () => {
  it('reads id/label/score lines; later lines win; number ids become strings', () => {
    const file = parsePredictionFile(
      [
        '{"id": "a", "label": "positive", "score": 0.9, "model_version": "v1"}',
        '{"id": 7, "label": "negative", "score": 0.3}',
        '',
        '{"id": "a", "label": "neutral", "score": 0.5}',
        '{"id": "b", "label": "neutral"}',
      ].join('\n'),
    );
    assert.deepEqual(file.problems, []);
    assert.deepEqual(file.byId.get('a'), { label: 'neutral', score: 0.5, origin: 'file' });
    assert.deepEqual(file.byId.get('7'), { label: 'negative', score: 0.3, origin: 'file' });
    assert.equal(file.byId.get('b')?.score, 1);
  });

  it('keeps good lines and reports bad ones with their 0-based line', () => {
    const text = [
      '{"id": "a", "label": "x", "score": 0.5}',
      '{"id": "b",}',
      '[1, 2]',
      '{"id": "c", "label": "x", "score": 2}',
      '{"id": true, "label": "x"}',
      '{"id": "d", "label": 5}',
      '{"id": "e", "label": "y", "score": 0.1}',
    ].join('\r\n');
    const file = parsePredictionFile(text);
    assert.deepEqual([...file.byId.keys()], ['a', 'e']);
    assert.deepEqual(file.problems.map((p) => p.line), [1, 2, 3, 4, 5]);
    assert.match(file.problems[0]!.message, /^Not valid JSON: /);
    assert.equal(typeof file.problems[0]!.start, 'number');
    assert.match(file.problems[1]!.message, /Expected an object/);
    assert.match(file.problems[2]!.message, /"score" \(0 to 1\)/);
  });

  it('counts lines as LSP does (CR and CRLF) and ignores a leading BOM', () => {
    const file = parsePredictionFile('\uFEFF{"id": "a", "label": "x"}\r{"id": "b", "label": "x"}\r\nbad\n{"id": "c", "label": "x"}');
    assert.deepEqual([...file.byId.keys()], ['a', 'b', 'c']);
    assert.deepEqual(file.problems.map((p) => p.line), [2]);
  });

  it('an empty file has no predictions and no problems', () => {
    assert.deepEqual(parsePredictionFile(''), { byId: new Map(), problems: [] });
  });
});
