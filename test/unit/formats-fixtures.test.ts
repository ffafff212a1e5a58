// Every real file in ../shared/fixtures/peers and ner/ imports through `--from auto`'s choice, and
// writing what was read gives the file back: compared parsed (key order aside) for JSON formats,
// row by row for CSV and fastText, tokens and tags for CoNLL, byte for byte for brat.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/workspace';
import { readFileSet } from '../../server/src/core/formats/readFile';
import { codecNamed, detectFormat } from '../../server/src/core/formats/registry';
import { OffsetMap } from '../../server/src/core/formats/offsets';

const read = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
const jsonl = (text: string) => text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

/** The format auto-detection picks for a fixture, and what reading it gives. */
function importFixture(rel: string) {
  const text = read(rel);
  const ranked = detectFormat(text.slice(0, 65536), path.basename(rel));
  assert.ok(ranked[0], `${rel}: no codec recognises it`);
  const codec = ranked[0].codec;
  return { text, codec, result: codec.read(text, rel) };
}

describe('formats: every fixture imports and round-trips', () => {
  const expected: Record<string, { format: string; documents: number; problemLines?: number[] }> = {
    'peers/doccano/export-sequence_labeling-example.jsonl': { format: 'doccano', documents: 3 },
    'peers/doccano/export-text_classification-example.jsonl': { format: 'doccano', documents: 3 },
    'peers/doccano/import-relation_extraction-example.jsonl': { format: 'doccano', documents: 1 },
    'peers/doccano/import-seq2seq-example.jsonl': { format: 'doccano', documents: 2, problemLines: [3, 4] },
    'peers/doccano/import-sequence_labeling-example.conll': { format: 'conll', documents: 2 },
    'peers/doccano/import-sequence_labeling-example.jsonl': { format: 'doccano', documents: 2, problemLines: [3] },
    'peers/doccano/import-sequence_labeling-example_overlapping.jsonl': { format: 'doccano', documents: 1 },
    'peers/doccano/import-text_classification-example.csv': { format: 'doccano-csv', documents: 2, problemLines: [4, 5] },
    'peers/doccano/import-text_classification-example.jsonl': { format: 'doccano', documents: 3 },
    'peers/doccano/import-text_classification-example_fasttext.txt': { format: 'fasttext', documents: 3, problemLines: [4] },
    'peers/prodigy/annotated_github-issues-DOCUMENTATION-textcat.jsonl': { format: 'prodigy', documents: 830 },
    'peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl': { format: 'prodigy', documents: 373 },
    'peers/prodigy/patterns_drugs-DRUG.jsonl': { format: 'prodigy', documents: 0 },
    'peers/label-studio/text_with_2_predictions.json': { format: 'label-studio', documents: 1 },
    'ner/wnut2015/wnut_2015_test.conll': { format: 'conll', documents: 1000 },
  };

  it('the list covers every fixture file of peers/ and ner/ (brat is a folder, below)', () => {
    const all = ['peers/doccano', 'peers/prodigy', 'peers/label-studio', 'ner/wnut2015'].flatMap((d) =>
      fs.readdirSync(path.join(FIXTURES, d)).filter((f) => f !== 'LICENSE').map((f) => `${d}/${f}`),
    );
    assert.deepEqual(all.sort(), Object.keys(expected).sort());
  });

  for (const [rel, want] of Object.entries(expected)) {
    it(`${rel}: detected as ${want.format}, ${want.documents} samples, bad records named by line`, () => {
      const { codec, result } = importFixture(rel);
      assert.equal(codec.name, want.format);
      assert.equal(result.documents.length, want.documents);
      assert.deepEqual(result.problems.map((p) => p.line), want.problemLines ?? [], JSON.stringify(result.problems));
    });
  }

  it('Prodigy: both exports come back identical, parsed (NER with tokens and token_start/end; textcat with meta.score)', () => {
    for (const rel of ['peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl', 'peers/prodigy/annotated_github-issues-DOCUMENTATION-textcat.jsonl']) {
      const { text, codec, result } = importFixture(rel);
      assert.deepEqual(jsonl(codec.write(result.documents).text!), jsonl(text), rel);
    }
  });

  it('Prodigy: accepted spans are labeled spans on the right text; meta.score is a prediction', () => {
    const ner = importFixture('peers/prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl').result.documents[0]!;
    const spans = ner.labels[0]!.spans!;
    assert.deepEqual(spans.map((s) => [new OffsetMap(ner.text).slice(s.start, s.end), s.label]), [['Uber', 'ORG'], ['Silicon Valley', 'LOCATION']]);
    const textcat = importFixture('peers/prodigy/annotated_github-issues-DOCUMENTATION-textcat.jsonl').result.documents[0]!;
    assert.deepEqual(textcat.labels[0], { annotator: 'prodigy', answer: 'reject', label: 'DOCUMENTATION' });
    assert.deepEqual(textcat.predictions, [{ label: 'DOCUMENTATION', score: 0.6091532707 }]);
  });

  it('Prodigy: a patterns file is reported as patterns, not dropped silently', () => {
    const { result } = importFixture('peers/prodigy/patterns_drugs-DRUG.jsonl');
    assert.deepEqual(result.unsupported, [{ what: 'Prodigy match patterns (rules for suggestions, not annotated samples)', count: 118 }]);
  });

  it('doccano JSONL: every file comes back with the same records, parsed (the records without text stay reported)', () => {
    for (const rel of Object.keys(expected).filter((r) => r.startsWith('peers/doccano/') && r.endsWith('.jsonl'))) {
      const { text, codec, result } = importFixture(rel);
      const original = jsonl(text).filter((r) => typeof r['text'] === 'string');
      assert.deepEqual(jsonl(codec.write(result.documents).text!), original, rel);
    }
  });

  it('doccano relations: entities keep their ids so relations still point at them; relations are reported', () => {
    const { result } = importFixture('peers/doccano/import-relation_extraction-example.jsonl');
    assert.equal(result.documents[0]!.labels[0]!.spans!.length, 4);
    assert.deepEqual(result.unsupported, [{ what: 'doccano relations (kept, not editable in Loopmark)', count: 3 }]);
  });

  it('doccano CSV and fastText: rows and lines come back (those without text reported)', () => {
    const csv = importFixture('peers/doccano/import-text_classification-example.csv');
    assert.equal(csv.codec.write(csv.result.documents).text, 'text,label\nexampleA,positive\nexampleB,\n');
    const ft = importFixture('peers/doccano/import-text_classification-example_fasttext.txt');
    assert.equal(ft.codec.write(ft.result.documents).text, ft.text.split('\n').filter((l) => l !== '__label__positive' && l !== '').map((l) => `${l}\n`).join(''));
  });

  it('Label Studio: two predictions of two model versions are predictions; the task comes back, parsed', () => {
    const { text, codec, result } = importFixture('peers/label-studio/text_with_2_predictions.json');
    assert.deepEqual(result.documents[0]!.predictions, [{ label: 'class_A', modelVersion: 'model_version_A' }, { label: 'class_B', modelVersion: 'model_version_B' }]);
    assert.deepEqual(JSON.parse(codec.write(result.documents).text!), JSON.parse(text));
  });

  it('CoNLL: WNUT 2015 (CRLF, 1,000 tweets) imports as spans and exports identical in tokens and tags', () => {
    const { text, codec, result } = importFixture('ner/wnut2015/wnut_2015_test.conll');
    const spans = result.documents.reduce((n, d) => n + d.labels[0]!.spans!.length, 0);
    assert.equal(spans, 661, 'B- tags in the file');
    const rows = (t: string) => t.split(/\r?\n/).map((l) => l.split('\t'));
    assert.deepEqual(rows(codec.write(result.documents).text!), rows(text));
    const first = result.documents.find((d) => d.labels[0]!.spans!.length > 0)!;
    const span = first.labels[0]!.spans![0]!;
    assert.deepEqual([new OffsetMap(first.text).slice(span.start, span.end), span.label], ['ITUNES', 'other']);
  });

  it('brat: four BioNLP abstracts come back byte for byte (T, E and * lines, annotation.conf); E and * lines are reported', () => {
    const files = readFileSet(path.join(FIXTURES, 'peers/brat'));
    const brat = codecNamed('brat')!;
    const result = brat.read(files, 'peers/brat');
    assert.equal(result.documents.length, 4);
    assert.deepEqual(result.problems, []);
    assert.ok(result.labels!.includes('Protein') && result.labels!.includes('Hydroxylation'));
    assert.deepEqual(result.unsupported.map((u) => u.count), [20, 11]);
    const written = brat.write(result.documents).files!;
    assert.deepEqual([...written.keys()].sort(), [...files.keys()].sort());
    for (const [name, content] of files) assert.equal(written.get(name), content, name);
  });
});
