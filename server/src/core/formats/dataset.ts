// The interchange model <-> a Loopmark dataset (JSONL records with `id` and `text`) and its label
// records (one per annotator decision; a span is a decision with `target: {kind: 'span'}`). Offsets
// stay in code points on both sides: the dataset's `spans` and the label file's span targets count
// code points, as the model does.
//
// A dataset record: {id, text, ...the source's other fields, prediction?, spans?, interchange?}.
// - `prediction` is the first class prediction in the shape the server reads today ({label, score,
//   model_version} or {labels, score}); `spans` the first span prediction (Prodigy's shape, with `score`).
// - `interchange` keeps what a round trip needs: the source format, whether the samples are spans,
//   the codecs' extras, all predictions when the simple shapes above lose some, and fields whose
//   names Loopmark reserves.
// A decision with no span and no class (an accepted sample without entities) is a record without
// target and with `labels: []`: "none applies", as in multi-label label files.
import { hash53, sampleId } from '../identity';
import { labelKey } from '../labels';
import type { Answer, LabelRecord } from '../types';
import type { Annotation, InterchangeDocument, ModelPrediction, Span } from './model';
import { UnsupportedCounter, type Unsupported } from './model';

const RESERVED = ['id', 'text', 'prediction', 'spans', 'interchange'];

export interface InterchangeInfo {
  format: string;
  kind: 'spans' | 'classify';
  extra?: Record<string, unknown>;
  predictions?: ModelPrediction[];
  /** Source fields whose names Loopmark reserves (a source `prediction`, `spans`...). */
  fields?: Record<string, unknown>;
  /** The source had no id: `id` is the text's hash, not written back on export. */
  idFromText?: boolean;
  /**
   * Spans the label file cannot hold: a second span of one annotator on the same range (brat's
   * event triggers of two types on one word). Kept here so that an export gives them back.
   */
  moreSpans?: { annotator: string; answer: Answer; spans: Span[] }[];
}

export interface DatasetImport {
  /** The dataset's records, one JSON line each (no newline). */
  lines: string[];
  labels: LabelRecord[];
  unsupported: Unsupported[];
  /** Messages about ids (two texts with one id) and decisions given twice. */
  notes: string[];
}

export interface ToDatasetOptions {
  format: string;
  /** `labels` (default): decisions go to the label file; `predictions`: they become the dataset's predictions. */
  as?: 'labels' | 'predictions';
  /** Time of decisions the format gives none (ISO 8601). */
  time: string;
}

function isSpanDocument(doc: InterchangeDocument): boolean {
  return doc.labels.some((a) => a.spans !== undefined && (a.spans.length > 0 || (a.label === undefined && !a.labels))) || doc.predictions.some((p) => p.spans !== undefined);
}

/** The prediction shapes of a record, and the predictions they give back (to know whether they lose anything). */
function simplePredictions(predictions: readonly ModelPrediction[]): { prediction?: Record<string, unknown>; spans?: Record<string, unknown>[] } {
  const out: { prediction?: Record<string, unknown>; spans?: Record<string, unknown>[] } = {};
  const cls = predictions.find((p) => p.label !== undefined || p.labels);
  if (cls) {
    const p: Record<string, unknown> = cls.labels ? { labels: [...cls.labels] } : { label: cls.label };
    if (cls.score !== undefined) p['score'] = cls.score;
    if (cls.modelVersion !== undefined) p['model_version'] = cls.modelVersion;
    out.prediction = p;
  }
  const sp = predictions.find((p) => p.spans);
  if (sp) out.spans = sp.spans!.map((s) => ({ start: s.start, end: s.end, label: s.label, ...(s.score === undefined ? {} : { score: s.score }) }));
  return out;
}

function predictionsFromSimple(record: Record<string, unknown>): ModelPrediction[] {
  const out: ModelPrediction[] = [];
  const p = record['prediction'];
  if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>;
    const prediction: ModelPrediction = Array.isArray(o['labels']) ? { labels: (o['labels'] as unknown[]).map(String) } : { label: String(o['label']) };
    if (typeof o['score'] === 'number') prediction.score = o['score'];
    if (typeof o['model_version'] === 'string') prediction.modelVersion = o['model_version'];
    out.push(prediction);
  }
  const spans = record['spans'];
  if (Array.isArray(spans)) {
    out.push({
      spans: spans
        .filter((s): s is Record<string, unknown> => s !== null && typeof s === 'object' && Number.isInteger((s as Record<string, unknown>)['start']) && Number.isInteger((s as Record<string, unknown>)['end']))
        .map((s) => ({ start: s['start'] as number, end: s['end'] as number, label: String(s['label']), ...(typeof s['score'] === 'number' ? { score: s['score'] } : {}) })),
    });
  }
  return out;
}

function annotationAsPrediction(a: Annotation): ModelPrediction {
  const p: ModelPrediction = { agent: a.annotator };
  if (a.spans) p.spans = a.spans.map((s) => ({ start: s.start, end: s.end, label: s.label }));
  if (a.labels) p.labels = [...a.labels];
  if (a.label !== undefined) p.label = a.label;
  return p;
}

/** The label records of one annotation; spans on a range already taken go to `overflow`. */
function labelRecords(id: string, a: Annotation, time: string, overflow: Span[]): LabelRecord[] {
  const base = { id, answer: a.answer, annotator: a.annotator, time: a.time ?? time, source: 'manual' as const };
  const out: LabelRecord[] = [];
  if (a.labels) out.push({ ...base, labels: [...a.labels] });
  else if (a.label !== undefined) out.push({ ...base, label: a.label });
  const seen = new Set<string>();
  for (const s of a.spans ?? []) {
    const key = `${s.start}:${s.end}`;
    if (seen.has(key)) {
      overflow.push(s);
      continue;
    }
    seen.add(key);
    out.push({ ...base, label: s.label, target: { kind: 'span', start: s.start, end: s.end } });
  }
  if (out.length === 0) out.push({ ...base, labels: [] });
  return out;
}

/**
 * Builds a dataset from documents as they are read (an incremental reader's output): each record is
 * serialized at once, and of a sample only its id and a hash of its text are kept.
 */
export class DatasetBuilder {
  private readonly unsupported = new UnsupportedCounter();
  private readonly notes: string[] = [];
  private readonly lines: string[] = [];
  private readonly textOf = new Map<string, number>();
  private readonly labels = new Map<string, LabelRecord>();

  constructor(private readonly options: ToDatasetOptions) {}

  add(doc: InterchangeDocument): void {
    const options = this.options;
    const given = sampleId(doc.id, doc.text);
    let id = given.id;
    const textHash = hash53(doc.text);
    const seen = this.textOf.get(id);
    if (seen !== undefined && seen !== textHash) {
      let n = 2;
      while (this.textOf.has(`${id}-${n}`)) n++;
      this.notes.push(`id ${id} names two different texts: the second is ${id}-${n}`);
      id = `${id}-${n}`;
    }
    const predictions = [...doc.predictions];
    if (options.as === 'predictions') predictions.push(...doc.labels.map(annotationAsPrediction));
    const decisions: LabelRecord[] = [];
    const moreSpans: NonNullable<InterchangeInfo['moreSpans']> = [];
    if (options.as !== 'predictions') {
      for (const a of doc.labels) {
        const overflow: Span[] = [];
        decisions.push(...labelRecords(id, a, options.time, overflow));
        if (overflow.length > 0) {
          moreSpans.push({ annotator: a.annotator, answer: a.answer, spans: overflow });
          this.unsupported.add('spans on a range one annotator already labeled (the label file holds one decision per range: kept in the record\'s "interchange")', overflow.length);
        }
      }
    }
    if (!this.textOf.has(id)) {
      const record: Record<string, unknown> = { id, text: doc.text };
      const reserved: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(doc.fields)) {
        if (RESERVED.includes(k)) reserved[k] = v;
        else record[k] = v;
      }
      const simple = simplePredictions(predictions);
      if (simple.prediction) record['prediction'] = simple.prediction;
      if (simple.spans) record['spans'] = simple.spans;
      const info: InterchangeInfo = { format: options.format, kind: isSpanDocument(doc) ? 'spans' : 'classify' };
      if (Object.keys(doc.extra).length > 0) info.extra = doc.extra;
      if (JSON.stringify(predictionsFromSimple({ ...simple })) !== JSON.stringify(predictions)) info.predictions = predictions;
      if (Object.keys(reserved).length > 0) info.fields = reserved;
      if (given.fromText) info.idFromText = true;
      if (moreSpans.length > 0) info.moreSpans = moreSpans;
      record['interchange'] = info;
      this.textOf.set(id, textHash);
      this.lines.push(JSON.stringify(record));
    } else if (predictions.length > 0 && options.as === 'predictions') {
      this.unsupported.add('predictions of a sample already read (one set of predictions per sample: the first kept)');
    }
    for (const r of decisions) {
      {
        const key = labelKey(r);
        const before = this.labels.get(key);
        if (before && JSON.stringify(before) !== JSON.stringify(r)) {
          this.notes.push(`${r.annotator} decided twice on ${id}${r.target?.kind === 'span' ? ` span ${r.target.start}-${r.target.end}` : ''}: the first decision is kept`);
          continue;
        }
        this.labels.set(key, r);
      }
    }
  }

  result(): DatasetImport {
    return { lines: this.lines, labels: [...this.labels.values()], unsupported: this.unsupported.list(), notes: this.notes };
  }
}

export function toDataset(documents: Iterable<InterchangeDocument>, options: ToDatasetOptions): DatasetImport {
  const builder = new DatasetBuilder(options);
  for (const doc of documents) builder.add(doc);
  return builder.result();
}

/** Documents from a dataset's records and its label records (for export). */
export function fromDataset(records: Iterable<Record<string, unknown>>, labelRecords: Iterable<LabelRecord>): InterchangeDocument[] {
  const byId = new Map<string, LabelRecord[]>();
  for (const r of labelRecords) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  const documents: InterchangeDocument[] = [];
  for (const record of records) {
    const text = record['text'];
    if (typeof text !== 'string') continue;
    const { id } = sampleId(record['id'], text);
    const info = (record['interchange'] ?? {}) as Partial<InterchangeInfo>;
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (!RESERVED.includes(k)) fields[k] = v;
    Object.assign(fields, info.fields ?? {});
    const doc: InterchangeDocument = {
      ...(info.idFromText && id === sampleId(undefined, text).id ? {} : { id }),
      text,
      fields,
      labels: annotationsOf(byId.get(id) ?? [], info.kind ?? 'classify', info.moreSpans ?? []),
      predictions: info.predictions ?? predictionsFromSimple(record),
      extra: info.extra ?? {},
    };
    documents.push(doc);
  }
  return documents;
}

function annotationsOf(records: readonly LabelRecord[], kind: 'spans' | 'classify', moreSpans: NonNullable<InterchangeInfo['moreSpans']>): Annotation[] {
  const groups = new Map<string, { annotator: string; answer: Answer; time: string; spans: Span[]; label?: string; labels?: string[] }>();
  for (const r of records) {
    const key = `${r.annotator}\u0000${r.answer}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { annotator: r.annotator, answer: r.answer, time: r.time, spans: [] }));
    if (r.time > g.time) g.time = r.time;
    if (r.target?.kind === 'span') g.spans.push({ start: r.target.start, end: r.target.end, label: r.label ?? (r.labels ?? [])[0] ?? '' });
    else if (r.target) continue; // turns: not a peer format's notion yet
    else if (r.labels) g.labels = r.labels;
    else if (r.label !== undefined) g.label = r.label;
  }
  for (const more of moreSpans) {
    // Only beside a decision on the same range that is still in the label file: a span removed there stays removed.
    const g = groups.get(`${more.annotator}\u0000${more.answer}`);
    if (g) for (const s of more.spans) if (g.spans.some((t) => t.start === s.start && t.end === s.end)) g.spans.push({ ...s });
  }
  const out: Annotation[] = [];
  for (const g of groups.values()) {
    const a: Annotation = { annotator: g.annotator, answer: g.answer, time: g.time };
    const empty = g.labels !== undefined && g.labels.length === 0 && g.label === undefined;
    if (g.spans.length > 0 || (kind === 'spans' && empty)) a.spans = g.spans.sort((x, y) => x.start - y.start || x.end - y.end);
    if (g.label !== undefined) a.label = g.label;
    else if (g.labels && !(empty && a.spans)) a.labels = g.labels;
    out.push(a);
  }
  return out;
}

