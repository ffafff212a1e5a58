// Label Studio JSON export (HumanSignal): a JSON array of tasks {id, data, annotations[], predictions[]},
// each annotation {completed_by, was_cancelled, lead_time, result[]}, each result {id, from_name,
// to_name, type, value} with `value.start/end/text/labels` (spans) or `value.choices`.
//
// Offsets: Label Studio's frontend has stored CODE POINTS since "Fix offsets in Text with emoji"
// (HumanSignal/label-studio PR #1559, merged as label-studio-frontend PR #308, 2022): issue #4988
// (Label Studio 1.9.1) shows the exported JSON right and only the display wrong, while issue #1347
// (2021) shows an older export counting UTF-16 units (offsets off by one after each emoji). So
// offsets are read as code points; when `value.text` matches the UTF-16 reading and not the code
// point one (an old export), they are converted and the file's problems say so. Writing: code points.
import type { Codec, ReadOptions } from './codec';
import { isObject, isStringList, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument, type ModelPrediction, type ScoredSpan, type Unsupported } from './model';
import { OffsetMap } from './offsets';
import { jsonRecordCodec, otherFields, type FromRecord, type RecordContext } from './recordCodec';
import { spanKey } from './spanExtras';

const NAME = 'label-studio';
/** The keys of a result the codec rebuilds; the rest (origin, parentID, score...) is kept verbatim. */
const RESULT_KEYS = ['value', 'type'];

/** How one interpreted result looked, so it is written back with its id, names and other keys. */
interface ResultMeta {
  /** spanKey for a span, 'choices' for the class. */
  key: string;
  result: Record<string, unknown>;
}

interface StudioAnnotationExtra {
  annotator: string;
  /** The annotation without `result` and `was_cancelled` (id, completed_by, lead_time, created_at...). */
  rest: Record<string, unknown>;
  results: ResultMeta[];
  /** Results of types Loopmark does not edit (relation, textarea, rating...), verbatim. */
  other: unknown[];
}

interface StudioExtra {
  textKey: string;
  /** The task id was a number. */
  numericId?: boolean;
  /** Task keys besides id, data, annotations, predictions (meta, created_at, inner_id, drafts...). */
  task?: Record<string, unknown>;
  annotations?: StudioAnnotationExtra[];
  predictions?: { rest: Record<string, unknown>; results: ResultMeta[]; other: unknown[] }[];
}

function annotatorOf(completedBy: unknown, fallback: string): string {
  if (isObject(completedBy)) {
    const email = completedBy['email'];
    if (typeof email === 'string' && email !== '') return email;
    if (completedBy['id'] !== undefined) return String(completedBy['id']);
  }
  if (typeof completedBy === 'string' || typeof completedBy === 'number') return String(completedBy);
  return fallback;
}

interface ReadResults {
  spans: ScoredSpan[];
  choices?: string[];
  metas: ResultMeta[];
  other: unknown[];
}

function readResults(results: unknown, map: OffsetMap, ctx: RecordContext, where: string): ReadResults {
  const out: ReadResults = { spans: [], metas: [], other: [] };
  if (!Array.isArray(results)) {
    ctx.problem(`${where}: "result" must be a list`);
    return out;
  }
  for (const r of results) {
    const value = isObject(r) ? r['value'] : undefined;
    if (!isObject(r) || !isObject(value)) {
      out.other.push(r);
      ctx.unsupported.add('Label Studio results without a value');
      continue;
    }
    const rest = otherFields(r, RESULT_KEYS);
    const labels = value['labels'];
    if (Number.isInteger(value['start']) && Number.isInteger(value['end']) && isStringList(labels)) {
      let start = value['start'] as number;
      let end = value['end'] as number;
      const given = typeof value['text'] === 'string' ? value['text'] : undefined;
      if (given !== undefined && map.slice(start, end) !== given && map.text.slice(start, end) === given) {
        ctx.problem(`${where}: span ${start}-${end} counts UTF-16 units (an older Label Studio export); converted to code points`);
        start = map.toCodePoint(start);
        end = map.toCodePoint(end);
      }
      if (start < 0 || end < start || end > map.codePointLength) {
        ctx.problem(`${where}: span ${start}-${end} is outside the text (${map.codePointLength} characters)`);
        out.other.push(r);
        continue;
      }
      if (labels.length !== 1) ctx.unsupported.add(labels.length === 0 ? 'Label Studio regions without a label' : 'Label Studio regions with several labels (read as one span per label)');
      for (const label of labels) {
        const span: ScoredSpan = { start, end, label };
        if (given !== undefined) span.text = given;
        if (typeof r['score'] === 'number') span.score = r['score'];
        out.spans.push(span);
        out.metas.push({ key: spanKey(span), result: { ...rest, type: r['type'] ?? 'labels' } });
      }
    } else if (isStringList(value['choices'])) {
      out.choices = [...(out.choices ?? []), ...value['choices']];
      out.metas.push({ key: 'choices', result: { ...rest, type: r['type'] ?? 'choices' } });
    } else {
      out.other.push(r);
      ctx.unsupported.add(`Label Studio results of type '${String(r['type'])}' (kept, not editable in Loopmark)`);
    }
  }
  return out;
}

function decisionOf(read: ReadResults): Pick<Annotation, 'label' | 'labels' | 'spans'> {
  if (read.choices && read.spans.length === 0) return read.choices.length === 1 ? { label: read.choices[0]! } : { labels: read.choices };
  if (read.choices) return { spans: read.spans, labels: read.choices };
  return { spans: read.spans };
}

const TASK_KEYS = ['id', 'data', 'annotations', 'completions', 'predictions'];

/** The text key of `data`: the option, else `text`, else the first string value. */
function textKeyOf(data: Record<string, unknown>, options: ReadOptions): string | undefined {
  if (options.textField) return typeof data[options.textField] === 'string' ? options.textField : undefined;
  if (typeof data['text'] === 'string') return 'text';
  return Object.keys(data).find((k) => typeof data[k] === 'string');
}

const fromRecord: FromRecord = (task, ctx) => {
  const data = task['data'];
  if (!isObject(data)) {
    ctx.problem('the task has no "data" object: skipped (is this a JSON-MIN export? use --from label-studio-min)');
    return undefined;
  }
  const textKey = textKeyOf(data, ctx.options);
  if (!textKey) {
    ctx.problem(`the task's "data" has no text${ctx.options.textField ? ` in "${ctx.options.textField}"` : ''}: skipped`);
    return undefined;
  }
  const text = data[textKey] as string;
  const id = task['id'];
  const doc = newDocument(text, typeof id === 'number' || typeof id === 'string' ? String(id) : undefined);
  const extra: StudioExtra = { textKey };
  if (typeof id === 'number') extra.numericId = true;
  for (const [k, v] of Object.entries(data)) if (k !== textKey) doc.fields[k] = v;
  const rest = otherFields(task, TASK_KEYS);
  if (Object.keys(rest).length > 0) extra.task = rest;
  const map = new OffsetMap(text);
  // `completions` is the name before Label Studio 1.0.
  const annotations = task['annotations'] ?? task['completions'];
  if (annotations !== undefined) {
    if (!Array.isArray(annotations)) ctx.problem('"annotations" must be a list');
    else {
      extra.annotations = [];
      annotations.forEach((a, i) => {
        if (!isObject(a)) return ctx.problem(`annotation ${i + 1} is not an object`);
        const read = readResults(a['result'], map, ctx, `annotation ${i + 1}`);
        const annotator = annotatorOf(a['completed_by'], ctx.options.annotator ?? NAME);
        const annotation: Annotation = { annotator, answer: a['was_cancelled'] === true ? 'ignore' : 'accept', ...decisionOf(read) };
        const time = a['updated_at'] ?? a['created_at'];
        if (typeof time === 'string') annotation.time = time;
        doc.labels.push(annotation);
        extra.annotations!.push({ annotator, rest: otherFields(a, ['result', 'was_cancelled']), results: read.metas, other: read.other });
      });
    }
  }
  const predictions = task['predictions'];
  if (predictions !== undefined) {
    if (!Array.isArray(predictions)) ctx.problem('"predictions" must be a list');
    else {
      extra.predictions = [];
      predictions.forEach((p, i) => {
        if (!isObject(p)) return ctx.problem(`prediction ${i + 1} is not an object`);
        const read = readResults(p['result'], map, ctx, `prediction ${i + 1}`);
        const prediction: ModelPrediction = decisionOf(read);
        if (typeof p['score'] === 'number') prediction.score = p['score'];
        if (typeof p['model_version'] === 'string') prediction.modelVersion = p['model_version'];
        doc.predictions.push(prediction);
        extra.predictions!.push({ rest: otherFields(p, ['result', 'score', 'model_version']), results: read.metas, other: read.other });
      });
    }
  }
  doc.extra[NAME] = extra;
  return doc;
};

let generated = 0;
/** An id for a result made in Loopmark (Label Studio's are 10 random characters; any unique string works). */
function newResultId(): string {
  generated++;
  return `lm${generated.toString(36).padStart(8, '0')}`;
}

function writeResults(
  decision: Pick<Annotation, 'label' | 'labels' | 'spans'>,
  text: string,
  textKey: string,
  metas: readonly ResultMeta[],
  other: readonly unknown[],
): unknown[] {
  const map = new OffsetMap(text);
  const results: unknown[] = [];
  const used = new Set<ResultMeta>();
  const metaFor = (key: string) => {
    const meta = metas.find((m) => m.key === key && !used.has(m));
    if (meta) used.add(meta);
    return meta?.result;
  };
  // Several labels on one region were one result: spans that share a kept result id become one again.
  const byResultId = new Map<string, { value: Record<string, unknown> }>();
  for (const span of decision.spans ?? []) {
    const kept = metaFor(spanKey(span));
    const keptId = kept?.['id'];
    const joined = typeof keptId === 'string' ? byResultId.get(`${keptId}:${span.start}:${span.end}`) : undefined;
    if (joined) {
      (joined.value['labels'] as string[]).push(span.label);
      continue;
    }
    const value: Record<string, unknown> = { start: span.start, end: span.end, text: span.text ?? map.slice(span.start, span.end), labels: [span.label] };
    const result: Record<string, unknown> = { ...(kept ? {} : { id: newResultId(), from_name: 'label', to_name: textKey, type: 'labels' }), ...kept, value };
    if ('score' in span && typeof (span as ScoredSpan).score === 'number') result['score'] = (span as ScoredSpan).score;
    if (typeof result['id'] === 'string') byResultId.set(`${result['id']}:${span.start}:${span.end}`, { value });
    results.push(result);
  }
  const choices = decision.labels ?? (decision.label === undefined ? undefined : [decision.label]);
  if (choices && choices.length > 0) {
    const kept = metaFor('choices');
    results.push({ ...(kept ? {} : { id: newResultId(), from_name: 'choice', to_name: textKey, type: 'choices' }), ...kept, value: { choices: [...choices] } });
  }
  results.push(...other);
  return results;
}

function writeTask(doc: InterchangeDocument, unsupported: UnsupportedCounter): Record<string, unknown> {
  const extra = (doc.extra[NAME] ?? {}) as Partial<StudioExtra>;
  const textKey = extra.textKey ?? 'text';
  const task: Record<string, unknown> = {};
  if (doc.id !== undefined) task['id'] = extra.numericId && /^\d+$/.test(doc.id) ? Number(doc.id) : doc.id;
  task['data'] = { [textKey]: doc.text, ...doc.fields };
  const remaining = [...(extra.annotations ?? [])];
  if (doc.labels.length > 0 || extra.annotations) {
    task['annotations'] = doc.labels.map((a) => {
      const at = remaining.findIndex((e) => e.annotator === a.annotator);
      const kept = at >= 0 ? remaining.splice(at, 1)[0] : undefined;
      if (a.answer === 'reject') unsupported.add('rejected decisions (a Label Studio annotation is submitted or skipped; written as submitted)');
      const out: Record<string, unknown> = { ...(kept?.rest ?? { completed_by: a.annotator }) };
      if (!kept && a.time) out['updated_at'] = a.time;
      out['was_cancelled'] = a.answer === 'ignore';
      out['result'] = writeResults(a, doc.text, textKey, kept?.results ?? [], kept?.other ?? []);
      return out;
    });
  }
  const keptPredictions = extra.predictions ?? [];
  if (doc.predictions.length > 0 || extra.predictions) {
    task['predictions'] = doc.predictions.map((p, i) => {
      const kept = keptPredictions[i];
      const out: Record<string, unknown> = { ...(kept?.rest ?? {}) };
      if (p.modelVersion !== undefined) out['model_version'] = p.modelVersion;
      if (p.score !== undefined) out['score'] = p.score;
      if (p.agent !== undefined && p.modelVersion === undefined) out['model_version'] = p.agent;
      out['result'] = writeResults(p, doc.text, textKey, kept?.results ?? [], kept?.other ?? []);
      return out;
    });
  }
  Object.assign(task, extra.task ?? {});
  return task;
}

function writeAll(documents: readonly InterchangeDocument[]): { text: string; unsupported: Unsupported[] } {
  const unsupported = new UnsupportedCounter();
  generated = 0;
  // One task per line inside the array: the file stays diffable and readable in pieces.
  const text = documents.length === 0 ? '[]\n' : `[\n${documents.map((d) => JSON.stringify(writeTask(d, unsupported))).join(',\n')}\n]\n`;
  return { text, unsupported: unsupported.list() };
}

export const labelStudio: Codec = jsonRecordCodec({
  name: NAME,
  description: 'Label Studio JSON export (tasks with data, annotations and predictions)',
  fromRecord,
  write: writeAll,
  detect(sample) {
    const records = sampleRecords(sample);
    if (records.length === 0) return 0;
    const hits = records.filter((r) => isObject(r['data']) && (Array.isArray(r['annotations']) || Array.isArray(r['predictions']) || Array.isArray(r['completions']) || 'id' in r)).length;
    const dataOnly = records.filter((r) => isObject(r['data'])).length;
    return hits > 0 ? 0.6 + 0.39 * (hits / records.length) : dataOnly > 0 ? 0.5 : 0;
  },
});

