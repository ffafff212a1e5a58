// Label Studio's JSON-MIN export: one flat object per annotation, the task's data keys beside the
// results keyed by control name (`from_name`): a list of regions [{start, end, text, labels}] for
// span controls, a string (or {"choices": [...]}) for a choice control, plus `id`, `annotator`,
// `annotation_id`, `created_at`, `updated_at`, `lead_time`. Nothing says which string key is a choice
// and which a data column: the option `labelField` names the choice control (default `choice`, the
// name this codec writes); other strings stay fields.
// Offsets: code points, as in the full export (see ./labelStudio.ts).
import type { Codec } from './codec';
import { readId, writeId } from './ids';
import { isObject, isStringList, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument, type Span } from './model';
import { OffsetMap } from './offsets';
import { jsonRecordCodec, type FromRecord } from './recordCodec';

const NAME = 'label-studio-min';
const META = ['annotator', 'annotation_id', 'created_at', 'updated_at', 'lead_time'];

interface MinExtra {
  textKey: string;
  numericId?: boolean;
  /** The control names of the span lists and of the choice, to write them back under their names. */
  spanKey?: string;
  choiceKey?: string;
  /** The choice was {"choices": [...]} (several choices), not a string. */
  choiceObject?: boolean;
  meta?: Record<string, unknown>;
}

function isRegionList(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => isObject(r) && Number.isInteger(r['start']) && Number.isInteger(r['end']) && isStringList(r['labels']));
}

const fromRecord: FromRecord = (record, ctx) => {
  const textKey = ctx.options.textField ?? 'text';
  const text = record[textKey];
  if (typeof text !== 'string') {
    ctx.problem(`the record has no "${textKey}" (a string): skipped (name the data key with --text-field)`);
    return undefined;
  }
  const { id, numeric } = readId(record['id']);
  const doc = newDocument(text, id);
  const extra: MinExtra = { textKey };
  if (numeric) extra.numericId = true;
  const map = new OffsetMap(text);
  const decision: Pick<Annotation, 'label' | 'labels' | 'spans'> = {};
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === textKey || key === 'id') continue;
    if (META.includes(key)) meta[key] = value;
    else if (isRegionList(value) && !extra.spanKey) {
      extra.spanKey = key;
      const spans: Span[] = [];
      for (const r of value) {
        const span: Span = { start: r['start'] as number, end: r['end'] as number, label: (r['labels'] as string[])[0] ?? '' };
        if (span.end > map.codePointLength || span.start > span.end) {
          ctx.problem(`region ${span.start}-${span.end} is outside the text (${map.codePointLength} characters)`);
          continue;
        }
        if ((r['labels'] as string[]).length !== 1) ctx.unsupported.add('Label Studio regions with several labels (the first kept)');
        if (typeof r['text'] === 'string') span.text = r['text'];
        spans.push(span);
      }
      decision.spans = spans;
    } else if (key === (ctx.options.labelField ?? 'choice') && (typeof value === 'string' || (isObject(value) && isStringList(value['choices'])))) {
      extra.choiceKey = key;
      if (typeof value === 'string') decision.label = value;
      else {
        extra.choiceObject = true;
        decision.labels = [...(value['choices'] as string[])];
      }
    } else doc.fields[key] = value;
  }
  if (Object.keys(meta).length > 0) extra.meta = meta;
  if (decision.spans || decision.label !== undefined || decision.labels || meta['annotator'] !== undefined) {
    const annotator = meta['annotator'];
    const annotation: Annotation = { annotator: annotator === undefined ? (ctx.options.annotator ?? NAME) : String(annotator), answer: 'accept', ...decision };
    const time = meta['updated_at'] ?? meta['created_at'];
    if (typeof time === 'string') annotation.time = time;
    doc.labels.push(annotation);
  }
  doc.extra[NAME] = extra;
  return doc;
};

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const out: Record<string, unknown>[] = [];
  for (const doc of documents) {
    const extra = (doc.extra[NAME] ?? { textKey: 'text' }) as MinExtra;
    if (doc.predictions.length > 0) unsupported.add('predictions (JSON-MIN has annotations only)', doc.predictions.length);
    const annotations = doc.labels.length === 0 ? [undefined] : doc.labels;
    for (const a of annotations) {
      if (a && a.answer !== 'accept') unsupported.add('rejected or skipped decisions (JSON-MIN lists submitted annotations)');
      const record: Record<string, unknown> = {};
      const id = writeId(doc.id, extra.numericId);
      if (id !== undefined) record['id'] = id;
      record[extra.textKey] = doc.text;
      Object.assign(record, doc.fields);
      const map = new OffsetMap(doc.text);
      if (a?.spans && (a.spans.length > 0 || extra.spanKey)) record[extra.spanKey ?? 'label'] = a.spans.map((s) => ({ start: s.start, end: s.end, text: s.text ?? map.slice(s.start, s.end), labels: [s.label] }));
      const choices = a?.labels ?? (a?.label !== undefined ? [a.label] : undefined);
      if (choices) record[extra.choiceKey ?? 'choice'] = !extra.choiceObject && choices.length === 1 ? choices[0] : { choices };
      Object.assign(record, extra.meta ?? {});
      // The annotator as it was (Label Studio writes a user id number) unless it changed.
      if (a && String(extra.meta?.['annotator']) !== a.annotator) record['annotator'] = a.annotator;
      out.push(record);
    }
  }
  // JSON-MIN is a JSON array; one record per line keeps it diffable.
  const text = out.length === 0 ? '[]\n' : `[\n${out.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
  return { text, unsupported: unsupported.list() };
}

export const labelStudioMin: Codec = jsonRecordCodec({
  name: NAME,
  description: 'Label Studio JSON-MIN export (flat records, regions by control name; --label-field names a choice control)',
  fromRecord,
  write,
  detect(sample) {
    if (!/^\s*\[/.test(sample.replace(/^\uFEFF/, ''))) return 0;
    const records = sampleRecords(sample);
    const hits = records.filter((r) => !isObject(r['data']) && ('annotation_id' in r || 'annotator' in r || Object.values(r).some(isRegionList))).length;
    return hits === 0 ? 0 : 0.6 + 0.3 * (hits / records.length);
  },
});
