// Label Studio specifics: an export has the shape Label Studio's own import reads (its "Label Studio
// JSON format of annotated tasks" and "Import pre-annotated data" guides: tasks with `data`,
// `annotations[].result[]` and `predictions[].result[]`, each result {id, from_name, to_name, type,
// value}, text spans as value {start, end, text, labels}, predictions with score and model_version);
// old exports that counted UTF-16 units are converted; JSON-MIN reads and writes back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/workspace';
import { OffsetMap } from '../../server/src/core/formats/offsets';
import { codecNamed } from '../../server/src/core/formats/registry';

type Json = Record<string, unknown>;
const studio = codecNamed('label-studio')!;
const prodigy = codecNamed('prodigy')!;
const fixture = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel), 'utf8');

function assertResult(result: Json, text: string): void {
  for (const key of ['from_name', 'to_name', 'type']) assert.equal(typeof result[key], 'string', `result.${key}`);
  const value = result['value'] as Json;
  assert.ok(value && typeof value === 'object', 'result.value');
  if (result['type'] === 'labels') {
    assert.equal(typeof result['id'], 'string', 'a region has an id (relations point at it)');
    assert.ok(Number.isInteger(value['start']) && Number.isInteger(value['end']));
    assert.equal(value['text'], new OffsetMap(text).slice(value['start'] as number, value['end'] as number), 'value.text is what the code point offsets cover');
    assert.ok(Array.isArray(value['labels']) && (value['labels'] as unknown[]).length === 1);
  } else {
    assert.equal(result['type'], 'choices');
    assert.ok(Array.isArray(value['choices']));
  }
}

describe('formats: Label Studio', () => {
  it('Prodigy NER written as Label Studio has the documented task shape, spans on their text', () => {
    const docs = prodigy.read(fixture('peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl'), 'ner').documents;
    const tasks = JSON.parse(studio.write(docs).text!) as Json[];
    assert.equal(tasks.length, 373);
    let regions = 0;
    for (const task of tasks) {
      const text = (task['data'] as Json)['text'] as string;
      assert.equal(typeof text, 'string');
      for (const annotation of task['annotations'] as Json[]) {
        assert.equal(typeof annotation['was_cancelled'], 'boolean');
        for (const result of annotation['result'] as Json[]) {
          assertResult(result, text);
          regions++;
        }
      }
    }
    assert.equal(regions, docs.reduce((n, d) => n + d.labels.reduce((m, a) => m + (a.spans?.length ?? 0), 0), 0));
    // and back: the spans are the same
    assert.deepEqual(studio.read(studio.write(docs).text!, 'x').documents.map((d) => d.labels[0]!.spans!.map((s) => [s.start, s.end, s.label])), docs.map((d) => d.labels[0]!.spans!.map((s) => [s.start, s.end, s.label])));
  });

  it('Prodigy textcat written as Label Studio carries meta.score as a prediction with its score', () => {
    const docs = prodigy.read(fixture('peers/prodigy/annotated_github-issues-DOCUMENTATION-textcat.jsonl'), 'textcat').documents.slice(0, 20);
    const written = studio.write(docs);
    const tasks = JSON.parse(written.text!) as Json[];
    const first = tasks[0]!;
    const prediction = (first['predictions'] as Json[])[0]!;
    assert.equal(prediction['score'], 0.6091532707);
    assertResult((prediction['result'] as Json[])[0]!, '');
    assert.ok(written.unsupported.some((u) => /rejected decisions/.test(u.what)), 'a reject has no Label Studio equivalent: reported');
  });

  it('reads code point offsets as they are, and converts an old export that counted UTF-16 units', () => {
    const text = '💩This is an annotation.';
    const task = (start: number, end: number) => JSON.stringify([{ id: 1, data: { text }, annotations: [{ id: 1, completed_by: 1, result: [{ id: 'r1', from_name: 'label', to_name: 'text', type: 'labels', value: { start, end, text: 'annotation', labels: ['A'] } }] }] }]);
    const modern = studio.read(task(12, 22), 'x');
    assert.deepEqual(modern.problems, []);
    assert.deepEqual(modern.documents[0]!.labels[0]!.spans!.map((s) => [s.start, s.end]), [[12, 22]]);
    const old = studio.read(task(13, 23), 'x'); // Label Studio issue #1347: 13..23 in UTF-16 units
    assert.deepEqual(old.documents[0]!.labels[0]!.spans!.map((s) => [s.start, s.end]), [[12, 22]]);
    assert.match(old.problems[0]!.message, /counts UTF-16 units .* converted to code points/);
  });

  it('JSON-MIN: regions and a choice by control name, with emoji, read and written back', () => {
    const min = codecNamed('label-studio-min')!;
    const text = 'Zoë 😀 flew to 東京';
    const map = new OffsetMap(text);
    const at = (w: string) => ({ start: map.toCodePoint(text.indexOf(w)), end: map.toCodePoint(text.indexOf(w) + w.length) });
    const source = [{ id: 7, text, label: [{ ...at('Zoë'), text: 'Zoë', labels: ['PER'] }, { ...at('東京'), text: '東京', labels: ['LOC'] }], sentiment: 'positive', annotator: 3, annotation_id: 9, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-02T00:00:00Z', lead_time: 2.5 }];
    const read = min.read(JSON.stringify(source), 'min.json', { labelField: 'sentiment' });
    assert.deepEqual(read.problems, []);
    const annotation = read.documents[0]!.labels[0]!;
    assert.deepEqual([annotation.annotator, annotation.label, annotation.spans!.map((s) => map.slice(s.start, s.end))], ['3', 'positive', ['Zoë', '東京']]);
    assert.deepEqual(JSON.parse(min.write(read.documents).text!), source);
  });
});
