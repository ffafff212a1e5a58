// The interchange model through a Loopmark dataset and its label file and back: what `loopmark
// import` writes and `loopmark export` reads. Exporting what was imported gives the peer's file back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/workspace';
import { fromDataset, toDataset } from '../../server/src/core/formats/dataset';
import type { InterchangeDocument } from '../../server/src/core/formats/model';
import { OffsetMap } from '../../server/src/core/formats/offsets';
import { readFileSet } from '../../server/src/core/formats/readFile';
import { codecNamed } from '../../server/src/core/formats/registry';
import { canonicalLabelText, parseLabels, toLabelRecord } from '../../server/src/core/labels';
import { predictionFromRecord } from '../../server/src/core/predictions';

const TIME = '2026-01-01T00:00:00.000Z';

/** Import then export, through the real label file text (canonical order, parsed back). */
function throughLoopmark(format: string, docs: InterchangeDocument[]) {
  const imported = toDataset(docs, { format, time: TIME });
  const labelText = canonicalLabelText(imported.labels);
  const parsed = parseLabels(labelText);
  assert.deepEqual(parsed.problems, []);
  const records = imported.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { imported, records, back: fromDataset(records, parsed.records.values()) };
}

const fixture = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel), 'utf8');

describe('formats: documents through a Loopmark dataset and label file', () => {
  const cases: [string, string][] = [
    ['prodigy', 'peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl'],
    ['prodigy', 'peers/prodigy/annotated_github-issues-DOCUMENTATION-textcat.jsonl'],
    ['label-studio', 'peers/label-studio/text_with_2_predictions.json'],
    ['doccano', 'peers/doccano/import-relation_extraction-example.jsonl'],
    ['doccano', 'peers/doccano/export-text_classification-example.jsonl'],
    ['conll', 'ner/wnut2015/wnut_2015_test.conll'],
  ];
  for (const [format, rel] of cases) {
    it(`${rel}: exporting the imported dataset writes what exporting the file directly writes`, () => {
      const codec = codecNamed(format)!;
      const read = codec.read(fixture(rel), rel);
      const { back } = throughLoopmark(format, read.documents);
      assert.equal(codec.write(back).text, codec.write(read.documents).text);
    });
  }

  it('brat: the four abstracts come back byte for byte through the label file', () => {
    const brat = codecNamed('brat')!;
    const files = readFileSet(path.join(FIXTURES, 'peers/brat'));
    const { back } = throughLoopmark('brat', brat.read(files, 'brat').documents);
    const written = brat.write(back).files!;
    for (const [name, content] of files) assert.equal(written.get(name), content, name);
  });

  it('spans become label records with span targets in code points; "no entity" is labels []', () => {
    const prodigy = codecNamed('prodigy')!;
    const docs = prodigy.read(fixture('peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl'), 'ner').documents;
    const { imported, records } = throughLoopmark('prodigy', docs);
    for (const r of imported.labels) assert.equal(typeof toLabelRecord(JSON.parse(JSON.stringify(r))), 'object');
    const uber = imported.labels.find((r) => r.id === '1886699658' && r.target?.kind === 'span' && r.target.start === 0)!;
    assert.deepEqual(uber, { id: '1886699658', answer: 'accept', annotator: 'prodigy', time: TIME, source: 'manual', label: 'ORG', target: { kind: 'span', start: 0, end: 4 } });
    assert.equal(imported.labels.filter((r) => r.labels?.length === 0).length, 115 + 36 + 1, 'tasks without entities (spans [], no spans key, ignored)');
    assert.equal(records.length, 373);
  });

  it('--as predictions: the decisions become the record\'s `spans` / `prediction`, and no label is written', () => {
    const doccano = codecNamed('doccano')!;
    const docs = doccano.read(fixture('peers/doccano/export-sequence_labeling-example.jsonl'), 'x').documents;
    const imported = toDataset(docs, { format: 'doccano', as: 'predictions', time: TIME });
    assert.deepEqual(imported.labels, []);
    const first = JSON.parse(imported.lines[0]!) as Record<string, unknown>;
    assert.deepEqual(first['spans'], [{ start: 0, end: 2, label: 'ORG' }, { start: 11, end: 17, label: 'MISC' }]);
    const cls = toDataset(codecNamed('doccano')!.read(fixture('peers/doccano/export-text_classification-example.jsonl'), 'x').documents, { format: 'doccano', as: 'predictions', time: TIME });
    const record = JSON.parse(cls.lines[0]!) as Record<string, unknown>;
    assert.deepEqual(predictionFromRecord(record).prediction, { labels: ['negative'], label: 'negative', score: 1, origin: 'file' });
  });

  it('a Label Studio prediction becomes the record\'s `prediction`, which the server reads as a diagnostic\'s prediction', () => {
    const studio = codecNamed('label-studio')!;
    const { records } = throughLoopmark('label-studio', studio.read(fixture('peers/label-studio/text_with_2_predictions.json'), 'x').documents);
    const { prediction, problem } = predictionFromRecord(records[0]!);
    assert.equal(problem, undefined);
    assert.equal(prediction?.label, 'class_A');
    assert.equal(prediction?.modelVersion, 'model_version_A');
  });

  it('spans on an emoji text keep covering their words through the label file', () => {
    const text = 'Ich 😀 wohne in Köln 🇩🇪 bei 東京𠀀';
    const map = new OffsetMap(text);
    const span = (word: string, label: string) => ({ start: map.toCodePoint(text.indexOf(word)), end: map.toCodePoint(text.indexOf(word) + word.length), label });
    const doc: InterchangeDocument = { id: 'e1', text, fields: { prediction: 'a source field named like ours' }, labels: [{ annotator: 'ann', answer: 'accept', spans: [span('Köln', 'LOC'), span('東京𠀀', 'LOC')] }], predictions: [], extra: {} };
    const { back, records } = throughLoopmark('test', [doc]);
    assert.equal(records[0]!['prediction'], undefined, 'a source field named "prediction" is not taken for a prediction');
    assert.deepEqual(back[0]!.fields, doc.fields);
    assert.deepEqual(back[0]!.labels[0]!.spans!.map((s) => map.slice(s.start, s.end)), ['Köln', '東京𠀀']);
  });

  it('two decisions of one annotator on one sample: the first kept, the second named', () => {
    const doc = (label: string): InterchangeDocument => ({ id: 's1', text: 'same text', fields: {}, labels: [{ annotator: 'ann', label, answer: 'accept' }], predictions: [], extra: {} });
    const imported = toDataset([doc('a'), doc('b')], { format: 'test', time: TIME });
    assert.deepEqual(imported.labels.map((l) => l.label), ['a']);
    assert.match(imported.notes[0]!, /ann decided twice on s1/);
    const clash = toDataset([doc('a'), { ...doc('a'), text: 'another text' }], { format: 'test', time: TIME });
    assert.deepEqual(clash.lines.map((l) => (JSON.parse(l) as { id: string }).id), ['s1', 's1-2']);
  });
});
