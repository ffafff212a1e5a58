// Hugging Face datasets as JSON Lines (what `Dataset.to_json` writes): a text column and a label
// column, named by the options (default `text` and `label`). A label is a name, a class index (named
// by `labelNames`, the dataset's ClassLabel names, when given), or a list of either (multi-label);
// -1 is the datasets convention for "no label" (unlabeled test splits).
import type { Codec } from './codec';
import { sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument } from './model';
import { defaultAnnotator, jsonLines, jsonRecordCodec, otherFields, type FromRecord } from './recordCodec';

const NAME = 'huggingface';

interface HfExtra {
  textField: string;
  labelField: string;
  /** Labels were class indices; written back as indices. */
  indices?: boolean;
  /** The label column held -1 (no label). */
  unlabeled?: boolean;
  labelNames?: string[];
}

const fromRecord: FromRecord = (record, ctx) => {
  const textField = ctx.options.textField ?? 'text';
  const labelField = ctx.options.labelField ?? 'label';
  const text = record[textField];
  if (typeof text !== 'string') {
    ctx.problem(`the record has no "${textField}" (a string): skipped (name the text column with --text-field)`);
    return undefined;
  }
  const doc = newDocument(text, typeof record['id'] === 'string' || typeof record['id'] === 'number' ? String(record['id']) : undefined);
  const extra: HfExtra = { textField, labelField };
  const names = ctx.options.labelNames;
  if (names) extra.labelNames = names;
  const raw = record[labelField];
  const name = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    if (Number.isInteger(v)) {
      extra.indices = true;
      const n = v as number;
      if (names && (n < 0 || n >= names.length)) {
        ctx.problem(`class index ${n} is outside the ${names.length} label names`);
        return undefined;
      }
      return names ? names[n]! : String(n);
    }
    if (typeof v === 'boolean') return String(v);
    return undefined;
  };
  let decision: Pick<Annotation, 'label' | 'labels'> | undefined;
  if (raw === -1) {
    extra.unlabeled = true;
    extra.indices = true;
  } else if (raw === null) {
    // kept as a field: no label
  } else if (Array.isArray(raw)) {
    const labels = raw.map(name);
    if (labels.every((l): l is string => l !== undefined)) decision = { labels };
    else ctx.problem(`"${labelField}" must be a list of names or class indices`);
  } else if (raw !== undefined) {
    const label = name(raw);
    if (label === undefined) ctx.problem(`"${labelField}" must be a name or a class index, not ${JSON.stringify(raw).slice(0, 40)}`);
    else decision = { label };
  }
  if (decision) doc.labels.push({ annotator: defaultAnnotator(NAME, ctx.options), answer: 'accept', ...decision });
  doc.fields = otherFields(record, decision || raw === -1 ? [textField, labelField] : [textField]);
  doc.extra[NAME] = extra;
  return doc;
};

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const out = documents.map((doc) => {
    const extra = (doc.extra[NAME] ?? { textField: 'text', labelField: 'label' }) as HfExtra;
    const annotation = doc.labels.find((a) => a.answer === 'accept');
    if (doc.labels.length > 1) unsupported.add('decisions of more annotators (a row has one label column)', doc.labels.length - 1);
    if (doc.labels.some((a) => a.spans && a.spans.length > 0)) unsupported.add('spans (a label column holds classes)');
    if (doc.predictions.length > 0) unsupported.add('predictions (no score column)', doc.predictions.length);
    const record: Record<string, unknown> = { [extra.textField]: doc.text };
    const value = (label: string): string | number => {
      if (!extra.indices) return label;
      const at = extra.labelNames ? extra.labelNames.indexOf(label) : Number(label);
      return Number.isInteger(at) && at >= 0 ? at : label;
    };
    if (annotation?.labels) record[extra.labelField] = annotation.labels.map(value);
    else if (annotation?.label !== undefined) record[extra.labelField] = value(annotation.label);
    else if (extra.unlabeled) record[extra.labelField] = -1;
    return Object.assign(record, doc.fields);
  });
  return { text: jsonLines(out), unsupported: unsupported.list() };
}

export const huggingface: Codec = jsonRecordCodec({
  name: NAME,
  description: 'Hugging Face datasets JSONL (a text column and a label column, --text-field/--label-field)',
  fromRecord,
  write,
  detect(sample) {
    const records = sampleRecords(sample);
    const hits = records.filter((r) => typeof r['text'] === 'string' && (['string', 'number'].includes(typeof r['label']) || Array.isArray(r['label']))).length;
    return hits === 0 ? 0 : 0.3 + 0.2 * (hits / records.length);
  },
});
