// One suite run over every registered codec (the architecture issue's conformance suite): each
// recognises its own output, reading what it wrote gives the same documents back (after the first
// write has reduced them to what the format can hold), what it cannot hold is reported and not
// dropped silently, and garbage gives problems, never an exception.
import * as assert from 'node:assert/strict';
import type { Codec, ReadResult, WriteResult } from '../../server/src/core/formats/codec';
import type { InterchangeDocument } from '../../server/src/core/formats/model';
import { OffsetMap } from '../../server/src/core/formats/offsets';
import { CODECS, DETECT_THRESHOLD, detectFormat } from '../../server/src/core/formats/registry';

const FILE_NAMES: Record<string, string> = {
  prodigy: 'out.jsonl',
  'label-studio': 'out.json',
  'label-studio-min': 'out.json',
  doccano: 'out.jsonl',
  'doccano-csv': 'out.csv',
  fasttext: 'out.txt',
  brat: 'out.ann',
  conll: 'out.conll',
  argilla: 'out.json',
  spacy: 'out.jsonl',
  huggingface: 'out.jsonl',
};

/** The code point range of `word` in `text`. */
function at(text: string, word: string, label: string) {
  const unit = text.indexOf(word);
  assert.ok(unit >= 0, word);
  const map = new OffsetMap(text);
  return { start: map.toCodePoint(unit), end: map.toCodePoint(unit + word.length), label };
}

const SPAN_TEXT = '東京𠀀 met Zoe\u0308 near 😀 Paris\r\nin 2024';
/** Hand-made samples: emoji, ZWJ, combining marks, CJK (and an astral CJK character), CRLF. */
export const SEED: InterchangeDocument[] = [
  { id: '1', text: 'I 😀 love the 👨‍👩‍👧 plan\r\nreally', fields: {}, labels: [{ annotator: 'alice', label: 'positive', answer: 'accept' }], predictions: [{ label: 'positive', score: 0.8, modelVersion: 'v1' }], extra: {} },
  {
    id: '2',
    text: SPAN_TEXT,
    fields: {},
    labels: [{ annotator: 'bob', answer: 'accept', spans: [at(SPAN_TEXT, '東京𠀀', 'LOC'), at(SPAN_TEXT, 'Zoe\u0308', 'PER'), at(SPAN_TEXT, 'Paris', 'LOC')] }],
    predictions: [],
    extra: {},
  },
  { id: '3', text: 'billing and a bug', fields: {}, labels: [{ annotator: 'alice', labels: ['billing', 'bug'], answer: 'accept' }], predictions: [], extra: {} },
  { id: '4', text: 'not labeled yet', fields: {}, labels: [], predictions: [], extra: {} },
];

function output(written: WriteResult): string | Map<string, string> {
  return written.files ?? written.text!;
}

function readBack(codec: Codec, written: WriteResult): ReadResult {
  return codec.read(output(written), codec.multiFile ? 'out' : FILE_NAMES[codec.name]!);
}

/** What a document says, in units that a format either keeps or must report: classes, spans, predictions. */
function content(docs: readonly InterchangeDocument[]): string[] {
  const map = (d: InterchangeDocument) => new OffsetMap(d.text);
  return docs.flatMap((d) => [
    ...d.labels.flatMap((a) => [...(a.label !== undefined ? [a.label] : []), ...(a.labels ?? []), ...(a.spans ?? []).map((s) => `${s.label}:${map(d).slice(s.start, s.end)}`)]),
    ...d.predictions.map((p) => `prediction:${p.label ?? p.labels?.join('+') ?? p.spans?.length}`),
  ]).sort();
}

describe('formats: codec conformance (every registered codec)', () => {
  it('every codec has a unique name and a file name for this suite', () => {
    assert.equal(new Set(CODECS.map((c) => c.name)).size, CODECS.length);
    for (const c of CODECS) assert.ok(FILE_NAMES[c.name], `${c.name}: add its file name to FILE_NAMES`);
  });

  for (const codec of CODECS) {
    describe(codec.name, () => {
      const first = codec.write(SEED);
      const x = readBack(codec, first).documents;

      it('recognises its own output (auto-detection picks it)', () => {
        const out = output(first);
        const sample = typeof out === 'string' ? out : [...out].find(([k]) => k.endsWith('.ann'))![1];
        assert.ok(codec.detect(sample, FILE_NAMES[codec.name]!) >= DETECT_THRESHOLD);
        assert.equal(detectFormat(sample, FILE_NAMES[codec.name]!)[0]?.codec.name, codec.name);
      });

      it('read(write(x)) == x, with offsets in code points over emoji, CJK, combining marks and CRLF', () => {
        assert.ok(x.length > 0);
        const again = readBack(codec, codec.write(x));
        assert.deepEqual(again.problems, []);
        assert.deepEqual(again.documents, x);
      });

      it('spans it keeps cover the same text (no shift after emoji or astral CJK)', () => {
        const expected = content(SEED).filter((c) => c.includes(':') && !c.startsWith('prediction'));
        const kept = content(x).filter((c) => c.includes(':') && !c.startsWith('prediction'));
        for (const k of kept) assert.ok(expected.includes(k), `${k} is not a seed span`);
      });

      it('what it cannot express is reported by write, not dropped silently', () => {
        const lost = content(SEED).filter((c) => !content(x).includes(c));
        if (lost.length > 0) assert.ok(first.unsupported.length > 0, `lost ${lost.join(', ')} without a report`);
      });

      it('garbage gives problems (or nothing labeled), never an exception', () => {
        const garbage = '\u0000\u0007{{[[ "unterminated\n]]}} garbage\n{"text": 5}\n';
        const result = codec.read(codec.multiFile ? new Map([['a.ann', garbage], ['a.txt', 'short']]) : garbage, 'garbage');
        assert.ok(result.problems.length > 0 || result.documents.every((d) => d.labels.length === 0), JSON.stringify(result).slice(0, 300));
      });

      it('never throws on 300 damaged copies of its own output (cut, doubled and swapped pieces)', () => {
        const own = output(first);
        const text = typeof own === 'string' ? own : [...own.values()].join('\n');
        let state = 11;
        const next = (n: number) => ((state = (state * 1103515245 + 12345) & 0x7fffffff) % Math.max(1, n));
        for (let n = 0; n < 300; n++) {
          const a = next(text.length);
          const b = a + next(text.length - a);
          const damaged = [text.slice(0, a) + text.slice(b), text.slice(a, b) + text, text.slice(b) + text.slice(0, a), text.slice(0, a)][n % 4]!;
          const input = codec.multiFile ? new Map([['r.ann', damaged], ['r.txt', damaged.slice(0, b)]]) : damaged;
          codec.write(codec.read(input, 'damaged').documents);
          if (codec.reader) {
            const reader = codec.reader('damaged');
            for (let i = 0; i < damaged.length; i += 97) reader.push(damaged.slice(i, i + 97));
            reader.end();
          }
        }
      });

      if (codec.reader) {
        it('reads the same in chunks of any size as whole (split inside CRLF and surrogate pairs)', () => {
          const out = output(first) as string;
          const whole = codec.read(out, FILE_NAMES[codec.name]!);
          for (const size of [1, 2, 3, 5, 64]) {
            const reader = codec.reader!(FILE_NAMES[codec.name]!);
            const docs: InterchangeDocument[] = [];
            for (let i = 0; i < out.length; i += size) docs.push(...reader.push(out.slice(i, i + size)));
            docs.push(...reader.end());
            assert.deepEqual(docs, whole.documents, `chunks of ${size}`);
          }
        });
      }
    });
  }
});
