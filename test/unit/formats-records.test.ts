// Argilla, spaCy and Hugging Face records (no real file of theirs is among the fixtures): hand-made in
// the shapes their libraries write, with emoji and CJK in the texts, read and written back.
import * as assert from 'node:assert/strict';
import { OffsetMap } from '../../server/src/core/formats/offsets';
import { codecNamed, detectFormat } from '../../server/src/core/formats/registry';

const lines = (records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');
const parsed = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

describe('formats: Argilla, spaCy and Hugging Face records', () => {
  it('Argilla v2: a suggestion with score and agent is a prediction, responses are labels per user (discarded = ignore, drafts kept)', () => {
    const argilla = codecNamed('argilla')!;
    const records = [{
      id: 'rec-1',
      status: 'completed',
      _server_id: '8c3f',
      fields: { text: 'Refund 😀 please', title: 'Billing' },
      metadata: { source: 'mail' },
      suggestions: { label: { value: 'billing', score: 0.83, agent: 'setfit-v2' } },
      responses: {
        label: [
          { value: 'billing', user_id: 'u-ann', status: 'submitted' },
          { value: 'refund', user_id: 'u-bob', status: 'discarded' },
          { value: 'other', user_id: 'u-cy', status: 'draft' },
        ],
        comment: [{ value: 'polite', user_id: 'u-ann', status: 'submitted' }],
      },
    }];
    const text = lines(records);
    assert.equal(detectFormat(text, 'records.jsonl')[0]!.codec.name, 'argilla');
    const read = argilla.read(text, 'records.jsonl');
    const doc = read.documents[0]!;
    assert.deepEqual(doc.predictions, [{ label: 'billing', score: 0.83, agent: 'setfit-v2' }]);
    assert.deepEqual(doc.labels.map((a) => [a.annotator, a.label, a.answer]), [['u-ann', 'billing', 'accept'], ['u-bob', 'refund', 'ignore']]);
    assert.deepEqual(doc.fields, { title: 'Billing' });
    assert.deepEqual(read.unsupported.map((u) => u.what).sort(), ['Argilla draft responses (kept, not counted as decisions)', 'Argilla questions besides the task question (kept, not editable in Loopmark)']);
    assert.deepEqual(parsed(argilla.write(read.documents).text!), records);
  });

  it('Argilla v2 span question: spans in code points over CJK and emoji', () => {
    const argilla = codecNamed('argilla')!;
    const text = '😀 東京𠀀 and Paris';
    const map = new OffsetMap(text);
    const at = (w: string, label: string) => ({ start: map.toCodePoint(text.indexOf(w)), end: map.toCodePoint(text.indexOf(w) + w.length), label });
    const records = [{ id: 2, fields: { text }, responses: { entities: [{ value: [at('東京𠀀', 'LOC'), at('Paris', 'LOC')], user_id: 'u1', status: 'submitted' }] } }];
    const read = argilla.read(lines(records), 'x');
    assert.deepEqual(read.documents[0]!.labels[0]!.spans!.map((s) => map.slice(s.start, s.end)), ['東京𠀀', 'Paris']);
    assert.deepEqual(parsed(argilla.write(read.documents).text!), records);
  });

  it('spaCy JSONL: ents (triples or objects) and cats come back', () => {
    const spacy = codecNamed('spacy')!;
    const text = 'Zoë 😀 visited 東京';
    const records = [
      { text, ents: [[0, 3, 'PERSON'], [14, 16, 'GPE']], cats: { TRAVEL: 1, WORK: 0 } },
      { text: 'plain', ents: [{ start: 0, end: 5, label: 'X' }], meta: { id: 3 } },
    ];
    const read = spacy.read(lines(records), 'x.jsonl');
    const doc = read.documents[0]!;
    assert.deepEqual(doc.labels[0]!.spans!.map((s) => new OffsetMap(text).slice(s.start, s.end)), ['Zoë', '東京']);
    assert.equal(doc.labels[0]!.label, 'TRAVEL');
    assert.deepEqual(parsed(spacy.write(read.documents).text!), records);
  });

  it('Hugging Face JSONL: columns named by the options, class indices named by --label-names, -1 unlabeled', () => {
    const hf = codecNamed('huggingface')!;
    const records = [{ sentence: 'great 😀', label: 1, idx: 0 }, { sentence: 'awful', label: 0, idx: 1 }, { sentence: 'unknown', label: -1, idx: 2 }];
    const read = hf.read(lines(records), 'sst2.jsonl', { textField: 'sentence', labelNames: ['negative', 'positive'] });
    assert.deepEqual(read.documents.map((d) => d.labels[0]?.label), ['positive', 'negative', undefined]);
    assert.deepEqual(parsed(hf.write(read.documents).text!), records);
    const missing = hf.read(lines(records), 'sst2.jsonl');
    assert.equal(missing.problems.length, 3);
    assert.match(missing.problems[0]!.message, /no "text".*--text-field/);
  });
});
