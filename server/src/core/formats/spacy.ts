// spaCy's JSONL for training data (the `.spacy`-free form many projects keep): `text`, `ents` as
// [start, end, label] triples or {start, end, label} objects, and `cats` {label: 0..1}. Offsets
// count code points (spaCy's Doc.char_span takes Python string indices).
import type { Codec } from './codec';
import { isObject, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument, type Span } from './model';
import { codePointLength } from './offsets';
import { defaultAnnotator, jsonLines, jsonRecordCodec, otherFields, type FromRecord } from './recordCodec';

const NAME = 'spacy';

interface SpacyExtra {
  /** `ents` were objects, not triples. */
  entObjects?: boolean;
  /** Every category of `cats` (chosen or not), to write the zeros back. */
  cats?: string[];
  /** `cats` had exactly one category at 1: a single-label task. */
  exclusive?: boolean;
}

const fromRecord: FromRecord = (record, ctx) => {
  const text = record['text'];
  if (typeof text !== 'string') {
    ctx.problem('the record has no "text" (a string): skipped');
    return undefined;
  }
  const doc = newDocument(text);
  const extra: SpacyExtra = {};
  const interpreted = ['text'];
  const decision: Pick<Annotation, 'label' | 'labels' | 'spans'> = {};
  const length = codePointLength(text);
  if (Array.isArray(record['ents'])) {
    interpreted.push('ents');
    const spans: Span[] = [];
    for (const e of record['ents']) {
      const [start, end, label] = Array.isArray(e) ? e : isObject(e) ? ((extra.entObjects = true), [e['start'], e['end'], e['label']]) : [];
      if (!Number.isInteger(start) || !Number.isInteger(end) || typeof label !== 'string' || (start as number) < 0 || (end as number) < (start as number) || (end as number) > length) {
        ctx.problem(`an entity is not [start, end, "label"] inside the text (${length} characters): ${JSON.stringify(e).slice(0, 80)}`);
        continue;
      }
      spans.push({ start: start as number, end: end as number, label });
    }
    decision.spans = spans;
  }
  const cats = record['cats'];
  if (isObject(cats)) {
    interpreted.push('cats');
    const names = Object.keys(cats);
    const chosen = names.filter((k) => typeof cats[k] === 'number' && (cats[k] as number) >= 0.5);
    if (names.some((k) => typeof cats[k] === 'number' && cats[k] !== 0 && cats[k] !== 1)) ctx.unsupported.add('spaCy cats between 0 and 1 (read as in the set from 0.5)');
    extra.cats = names;
    if (chosen.length === 1 && names.length > 1) {
      extra.exclusive = true;
      decision.label = chosen[0]!;
    } else decision.labels = chosen;
  }
  if (decision.spans || decision.labels || decision.label !== undefined) doc.labels.push({ annotator: defaultAnnotator(NAME, ctx.options), answer: 'accept', ...decision });
  doc.fields = otherFields(record, interpreted);
  if (Object.keys(extra).length > 0) doc.extra[NAME] = extra;
  return doc;
};

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const out = documents.map((doc) => {
    const extra = (doc.extra[NAME] ?? {}) as SpacyExtra;
    const annotation = doc.labels.find((a) => a.answer === 'accept');
    if (doc.labels.length > 1) unsupported.add('decisions of more annotators (a spaCy example holds one)', doc.labels.length - 1);
    if (doc.predictions.length > 0) unsupported.add('predictions (spaCy training data has no scores)', doc.predictions.length);
    const record: Record<string, unknown> = { text: doc.text };
    if (annotation?.spans) record['ents'] = annotation.spans.map((s) => (extra.entObjects ? { start: s.start, end: s.end, label: s.label } : [s.start, s.end, s.label]));
    const chosen = annotation?.labels ?? (annotation?.label !== undefined ? [annotation.label] : undefined);
    if (chosen) {
      const cats: Record<string, number> = {};
      for (const name of new Set([...(extra.cats ?? []), ...chosen])) cats[name] = chosen.includes(name) ? 1 : 0;
      record['cats'] = cats;
    }
    return Object.assign(record, doc.fields);
  });
  return { text: jsonLines(out), unsupported: unsupported.list() };
}

export const spacy: Codec = jsonRecordCodec({
  name: NAME,
  description: 'spaCy JSONL (text with ents and/or cats)',
  fromRecord,
  write,
  detect(sample) {
    const records = sampleRecords(sample);
    const hits = records.filter((r) => typeof r['text'] === 'string' && (Array.isArray(r['ents']) || isObject(r['cats']))).length;
    return hits === 0 ? 0 : 0.6 + 0.35 * (hits / records.length);
  },
});
