// server/src/core/kinds/classify (assess, actions): what is said about each sample (the assessment matrix) and the quick
// fixes offered for it.
import * as assert from 'node:assert/strict';
import { labelActions } from '../../server/src/core/kinds/classify/actions';
import { assessSample } from '../../server/src/core/kinds/classify/assess';
import { isReviewCode } from '../../server/src/core/kinds/classify/data';
import { inferredTask, parseConfig } from '../../server/src/core/config';
import type { LabelRecord, Prediction, Task } from '../../server/src/core/types';

const TASK: Task = parseConfig(JSON.stringify({ tasks: [{ name: 'sentiment', files: ['*.jsonl'], labels: ['positive', 'negative', 'neutral'], threshold: 0.8 }] })).tasks[0]!;
const RANGE = { start: 10, end: 20 };

function label(value: string, extra: Partial<LabelRecord> = {}): LabelRecord {
  return { id: 's', label: value, answer: 'accept', annotator: 'ann', time: '2026-01-01T00:00:00Z', source: 'manual', ...extra };
}

function predicted(value: string, score: number, extra: Partial<Prediction> = {}): Prediction {
  return { label: value, score, origin: 'file', ...extra };
}

describe('core/analysis: assessSample', () => {
  it('nothing to say: unlabeled without prediction', () => {
    assert.equal(assessSample(TASK, 3, RANGE, 's', undefined, undefined), undefined);
  });

  it('unlabeled, below the threshold: a review warning on the range, with the data the quick fixes need', () => {
    assert.deepEqual(assessSample(TASK, 3, RANGE, 's', undefined, predicted('neutral', 0.62)), {
      line: 3, start: 10, end: 20, code: 'review', severity: 'warning',
      message: "Review: predicted 'neutral' (0.62)",
      data: { sampleId: 's', predictedLabel: 'neutral', score: 0.62, origin: 'file' },
    });
  });

  it('unlabeled, at or above the threshold: a suggestion (information)', () => {
    for (const score of [0.8, 0.97]) {
      const finding = assessSample(TASK, 0, RANGE, 's', undefined, predicted('positive', score))!;
      assert.equal(finding.code, 'suggestion');
      assert.equal(finding.severity, 'information');
      assert.equal(finding.message, `Suggestion: predicted 'positive' (${score.toFixed(2)})`);
    }
  });

  it('a cold-start model prediction always asks for review, and says so', () => {
    const finding = assessSample(TASK, 0, RANGE, 's', undefined, predicted('positive', 0.99, { origin: 'model', coldStart: true }))!;
    assert.equal(finding.code, 'review');
    assert.equal(finding.message, "Review: model (cold start) predicted 'positive' (0.99)");
    assert.equal(finding.data?.origin, 'model');
  });

  it('labeled and agreeing: nothing, whatever the score', () => {
    for (const score of [0.1, 0.95]) assert.equal(assessSample(TASK, 0, RANGE, 's', label('positive'), predicted('positive', score)), undefined);
  });

  it('labeled without prediction: nothing', () => {
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('negative'), undefined), undefined);
  });

  it('labeled, disagreeing with a confident prediction: a conflict warning naming both', () => {
    assert.deepEqual(assessSample(TASK, 5, RANGE, 's', label('negative'), predicted('positive', 0.9)), {
      line: 5, start: 10, end: 20, code: 'conflict', severity: 'warning',
      message: "Labeled 'negative' by ann, but predicted 'positive' (0.90)",
      data: { sampleId: 's', label: 'negative', predictedLabel: 'positive', score: 0.9, origin: 'file' },
    });
  });

  it('no conflict: a prediction below the threshold, a cold-start model, a correction, a reject or a skip', () => {
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('negative'), predicted('positive', 0.5)), undefined);
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('negative'), predicted('positive', 0.99, { origin: 'model', coldStart: true })), undefined);
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('negative', { source: 'correction' }), predicted('positive', 0.99)), undefined, 'the annotator already overruled it');
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('positive', { answer: 'reject' }), predicted('negative', 0.99)), undefined);
    assert.equal(assessSample(TASK, 0, RANGE, 's', label('positive', { answer: 'ignore' }), predicted('negative', 0.99)), undefined);
  });

  it('a label outside the label set is an error, before anything else', () => {
    const finding = assessSample(TASK, 2, RANGE, 's', label('angry'), predicted('positive', 0.99))!;
    assert.equal(finding.code, 'unknown-label');
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /^Label 'angry' is not in the label set of task 'sentiment' \(positive, negative, neutral\)/);
    assert.deepEqual(finding.data, { sampleId: 's', label: 'angry', predictedLabel: 'positive', score: 0.99, origin: 'file' });
    assert.equal(assessSample(TASK, 2, RANGE, 's', label('angry', { answer: 'ignore' }), undefined), undefined, 'a skip names no label that counts');
  });

  it('an unlabeled sample whose prediction is outside the label set is an error', () => {
    const finding = assessSample(TASK, 2, RANGE, 's', undefined, predicted('sarcastic', 0.9))!;
    assert.equal(finding.code, 'unknown-label');
    assert.match(finding.message, /^Predicted label 'sarcastic' is not in the label set of task 'sentiment'/);
  });

  it('an inferred task has no fixed label set: no unknown labels', () => {
    const inferred = inferredTask([{ name: 'a' }]);
    assert.equal(assessSample(inferred, 0, RANGE, 's', label('zzz'), undefined), undefined);
    assert.equal(assessSample(inferred, 0, RANGE, 's', undefined, predicted('zzz', 0.1))?.code, 'review');
  });

  it('isReviewCode: the codes a quick fix can label', () => {
    for (const code of ['review', 'suggestion', 'conflict', 'unknown-label']) assert.equal(isReviewCode(code), true);
    for (const code of ['duplicate-id', 'invalid-json', 'missing-text', 'config', 'label-file', 'more-to-review']) assert.equal(isReviewCode(code), false);
  });
});

describe('core/analysis: labelActions', () => {
  it('with a prediction: accept (preferred) first, then every other label in set order, then skip', () => {
    const actions = labelActions(TASK, { sampleId: 's', predictedLabel: 'neutral', score: 0.62, origin: 'file' });
    assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [
      ["Accept 'neutral'", true],
      ["Label as 'positive'", false],
      ["Label as 'negative'", false],
      ['Skip', false],
    ]);
    assert.deepEqual(actions[0]!.decision, { sampleId: 's', label: 'neutral', answer: 'accept', source: 'prediction', score: 0.62 });
    assert.deepEqual(actions[1]!.decision, { sampleId: 's', label: 'positive', answer: 'accept', source: 'correction', score: 0.62 });
    assert.deepEqual(actions[3]!.decision, { sampleId: 's', label: 'neutral', answer: 'ignore', source: 'prediction', score: 0.62 });
  });

  it('on a conflict: accept the prediction, keep the label (a correction), the remaining labels, skip', () => {
    const actions = labelActions(TASK, { sampleId: 's', label: 'negative', predictedLabel: 'positive', score: 0.9 });
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'positive'", "Keep 'negative'", "Label as 'neutral'", 'Skip']);
    assert.deepEqual(actions[1]!.decision, { sampleId: 's', label: 'negative', answer: 'accept', source: 'correction', score: 0.9 });
    assert.equal(actions.filter((a) => a.isPreferred).length, 1);
  });

  it('without a prediction: every label as a manual decision, then skip; nothing preferred', () => {
    const actions = labelActions(TASK, { sampleId: 's' });
    assert.deepEqual(actions.map((a) => a.title), ["Label as 'positive'", "Label as 'negative'", "Label as 'neutral'", 'Skip']);
    assert.ok(actions.every((a) => !a.isPreferred));
    assert.ok(actions.every((a) => a.decision!.source === 'manual' && a.decision!.score === undefined));
  });

  it('a predicted label outside the set is not offered for acceptance', () => {
    const actions = labelActions(TASK, { sampleId: 's', predictedLabel: 'sarcastic', score: 0.9 });
    assert.deepEqual(actions.map((a) => a.title), ["Label as 'positive'", "Label as 'negative'", "Label as 'neutral'", 'Skip']);
  });

  it('an unknown current label: relabel as any label of the set', () => {
    const actions = labelActions(TASK, { sampleId: 's', label: 'angry' });
    assert.deepEqual(actions.map((a) => a.title), ["Label as 'positive'", "Label as 'negative'", "Label as 'neutral'", 'Skip']);
    assert.equal(actions[3]!.decision!.label, 'angry');
  });

  it('with more labels than fit a menu: accept, the label picker, skip', () => {
    const many = { ...TASK, labels: Array.from({ length: 10_000 }, (_, i) => ({ name: `l${i}` })) };
    const actions = labelActions(many, { sampleId: 's', predictedLabel: 'l7', score: 0.4 });
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'l7'", 'Choose a label… (10000 labels)', 'Skip']);
    assert.equal(actions[1]!.decision, undefined, 'the picker decides, not the action');
  });

  it('an inferred task accepts any predicted label', () => {
    const actions = labelActions(inferredTask([{ name: 'x' }]), { sampleId: 's', predictedLabel: 'new', score: 0.3 });
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'new'", "Label as 'x'", 'Skip']);
  });

  it('ten thousand labels: accept, the picker and skip are offered, quickly', () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => `l${i}`);
    const big = parseConfig(JSON.stringify({ tasks: [{ name: 'big', files: ['*.jsonl'], labels }] })).tasks[0]!;
    const started = performance.now();
    const actions = labelActions(big, { sampleId: 's', predictedLabel: 'l5000', score: 0.5 });
    const ms = performance.now() - started;
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'l5000'", 'Choose a label… (10000 labels)', 'Skip']);
    assert.ok(ms < 500, `${ms.toFixed(1)} ms`);
    const assessed = performance.now();
    for (let i = 0; i < 1000; i++) assessSample(big, i, RANGE, 's', undefined, predicted('l1', 0.5));
    const perSample = (performance.now() - assessed) / 1000;
    assert.ok(perSample < 5, `${perSample.toFixed(3)} ms per sample`);
  });
});
