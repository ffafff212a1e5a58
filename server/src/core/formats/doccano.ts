// doccano JSONL (doccano/doccano, data_import and data_export): text classification `label` (or
// `labels`) [names]; sequence labeling `label` [[start, end, "TAG"]] or `entities`
// [{id, start_offset, end_offset, label}] with `relations` [{from_id, to_id, type}]; seq2seq
// `label` [output texts]. Offsets count code points (doccano's backend is Python; doccano PR #99
// moved the offsets off JavaScript's UTF-16 lengths).
import type { Codec } from './codec';
import { readId, writeId } from './ids';
import { isObject, isStringList, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument, type Span } from './model';
import { codePointLength } from './offsets';
import { defaultAnnotator, jsonLines, jsonRecordCodec, otherFields, type FromRecord } from './recordCodec';
import { spanKey } from './spanExtras';

const NAME = 'doccano';

interface DoccanoExtra {
  /** Which key held the annotation: `label`, `labels`, or `entities` (with `relations`). */
  key: 'label' | 'labels' | 'entities';
  numericId?: boolean;
  /** `entities` ids by span, so `relations` still point at them. */
  entityIds?: Record<string, unknown>;
  relations?: unknown[];
}

function inText(span: Span, length: number): boolean {
  return span.start >= 0 && span.end >= span.start && span.end <= length;
}

const fromRecord: FromRecord = (record, ctx) => {
  const text = record['text'];
  if (typeof text !== 'string') {
    ctx.problem('the record has no "text" (a string): skipped');
    return undefined;
  }
  const { id, numeric } = readId(record['id']);
  const doc = newDocument(text, id);
  const length = codePointLength(text);
  const interpreted = ['text', 'id'];
  let extra: DoccanoExtra = { key: 'label' };
  let decision: Pick<Annotation, 'labels' | 'spans'> | undefined;
  const badSpan = (s: unknown) => ctx.problem(`a span is not [start, end, "label"] inside the text (${length} characters): ${JSON.stringify(s).slice(0, 80)}`);
  if (Array.isArray(record['entities'])) {
    extra = { key: 'entities', entityIds: {} };
    const spans: Span[] = [];
    for (const e of record['entities']) {
      const span = isObject(e) && Number.isInteger(e['start_offset']) && Number.isInteger(e['end_offset']) && typeof e['label'] === 'string'
        ? { start: e['start_offset'] as number, end: e['end_offset'] as number, label: e['label'] }
        : undefined;
      if (!span || !inText(span, length)) {
        badSpan(e);
        continue;
      }
      spans.push(span);
      if (isObject(e) && e['id'] !== undefined) extra.entityIds![spanKey(span)] = e['id'];
    }
    decision = { spans };
    interpreted.push('entities');
    if (Array.isArray(record['relations'])) {
      extra.relations = record['relations'];
      ctx.unsupported.add('doccano relations (kept, not editable in Loopmark)', record['relations'].length);
      interpreted.push('relations');
    }
  } else {
    const key = Array.isArray(record['label']) ? 'label' : Array.isArray(record['labels']) ? 'labels' : undefined;
    if (key) {
      extra.key = key;
      interpreted.push(key);
      const value = record[key] as unknown[];
      if (isStringList(value)) {
        if (value.length > 0) decision = { labels: value };
      } else if (value.every((s) => Array.isArray(s))) {
        const spans: Span[] = [];
        for (const s of value as unknown[][]) {
          const span = s.length >= 3 && Number.isInteger(s[0]) && Number.isInteger(s[1]) && typeof s[2] === 'string' ? { start: s[0] as number, end: s[1] as number, label: s[2] } : undefined;
          if (!span || !inText(span, length)) badSpan(s);
          else spans.push(span);
        }
        decision = { spans };
      } else {
        ctx.problem(`"${key}" must be a list of label names or of [start, end, "label"]: the record is read without it`);
        interpreted.pop();
      }
    }
  }
  if (numeric) extra.numericId = true;
  if (decision) doc.labels.push({ annotator: defaultAnnotator(NAME, ctx.options), answer: 'accept', ...decision });
  doc.fields = otherFields(record, interpreted);
  doc.extra[NAME] = extra;
  return doc;
};

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const out: Record<string, unknown>[] = [];
  for (const doc of documents) {
    const extra = (doc.extra[NAME] ?? {}) as Partial<DoccanoExtra>;
    const annotation = doc.labels.find((a) => a.answer === 'accept');
    if (doc.labels.length > 1) unsupported.add('decisions of more annotators (a doccano line holds one; export per annotator)', doc.labels.length - 1);
    if (doc.labels.some((a) => a.answer !== 'accept')) unsupported.add('rejected or ignored decisions (doccano keeps only labels)');
    if (doc.predictions.length > 0) unsupported.add('predictions (doccano imports no model scores)', doc.predictions.length);
    const record: Record<string, unknown> = {};
    const id = writeId(doc.id, extra.numericId);
    if (id !== undefined && extra.key !== undefined) record['id'] = id;
    record['text'] = doc.text;
    const spans = annotation?.spans;
    if (extra.key === 'entities' || (spans && extra.relations)) {
      let next = 0;
      const ids = extra.entityIds ?? {};
      for (const v of Object.values(ids)) if (typeof v === 'number' && v >= next) next = v + 1;
      record['entities'] = (spans ?? []).map((s) => ({ id: ids[spanKey(s)] ?? next++, start_offset: s.start, end_offset: s.end, label: s.label }));
      if (extra.relations) record['relations'] = extra.relations;
    } else if (spans) {
      record[extra.key ?? 'label'] = spans.map((s) => [s.start, s.end, s.label]);
    } else {
      const labels = annotation?.labels ?? (annotation?.label !== undefined ? [annotation.label] : []);
      record[extra.key ?? 'label'] = [...labels];
    }
    Object.assign(record, doc.fields);
    out.push(record);
  }
  return { text: jsonLines(out), unsupported: unsupported.list() };
}

export const doccano: Codec = jsonRecordCodec({
  name: NAME,
  description: 'doccano JSONL (classification, sequence labeling, relations, seq2seq)',
  fromRecord,
  write,
  detect(sample) {
    const records = sampleRecords(sample);
    if (records.length === 0) return 0;
    // doccano writes `label` as a list, even empty: a scalar label is another format (Hugging Face).
    if (records.some((r) => (r['label'] !== undefined && !Array.isArray(r['label'])) || (r['labels'] !== undefined && !Array.isArray(r['labels'])))) return 0;
    const hits = records.filter((r) => {
      if (Array.isArray(r['entities']) && (r['entities'] as unknown[]).every((e) => isObject(e) && 'start_offset' in e)) return true;
      const label = r['label'] ?? r['labels'];
      return Array.isArray(label) && (label.length === 0 || isStringList(label) || label.every((s) => Array.isArray(s) && s.length === 3));
    }).length;
    return hits > 0 ? 0.5 + 0.4 * (hits / records.length) : 0;
  },
});

