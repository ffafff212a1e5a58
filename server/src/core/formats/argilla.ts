// Argilla records (argilla-io): v2's `{id, fields, metadata, suggestions: {question: {value, score,
// agent}}, responses: {question: [{value, user_id, status}]}, status}` (a JSON array or JSONL, as
// `records.to_json`/`to_list` give them). Suggestions become predictions, responses labels per user:
// submitted = accept, discarded = ignore; drafts are kept, not counted as decisions. One question is
// the task (the option `labelField`, else the first); the others are kept and reported. A value is
// a label, a list of labels, or a list of {start, end, label} spans (code points, Python's indices).
// v1 records (`text`/`inputs`, `prediction`, `annotation`, `annotation_agent`) are read too.
import type { Codec } from './codec';
import { readId, writeId } from './ids';
import { isObject, isStringList, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type InterchangeDocument, type ModelPrediction, type ScoredSpan } from './model';
import { codePointLength } from './offsets';
import { defaultAnnotator, jsonLines, jsonRecordCodec, otherFields, type FromRecord, type RecordContext } from './recordCodec';

const NAME = 'argilla';

interface ArgillaExtra {
  textField: string;
  question: string;
  numericId?: boolean;
  /** Record keys besides id, fields, suggestions, responses (metadata, status, _server_id, vectors). */
  record?: Record<string, unknown>;
  /** Suggestions and responses of other questions, and draft responses, verbatim. */
  otherSuggestions?: Record<string, unknown>;
  otherResponses?: Record<string, unknown>;
  drafts?: unknown[];
  /** The response's other keys by user (status aside), e.g. `updated_at`. */
  suggestionRest?: Record<string, unknown>;
}

type Decision = Pick<Annotation, 'label' | 'labels' | 'spans'>;

function decisionOf(value: unknown, length: number, ctx: RecordContext): Decision | undefined {
  if (typeof value === 'string') return { label: value };
  if (isStringList(value)) return { labels: value };
  if (Array.isArray(value) && value.every(isObject)) {
    const spans: ScoredSpan[] = [];
    for (const s of value) {
      if (!Number.isInteger(s['start']) || !Number.isInteger(s['end']) || typeof s['label'] !== 'string' || (s['start'] as number) < 0 || (s['end'] as number) < (s['start'] as number) || (s['end'] as number) > length) {
        ctx.problem(`a span is not {"start", "end", "label"} inside the text (${length} characters): ${JSON.stringify(s).slice(0, 80)}`);
        continue;
      }
      spans.push({ start: s['start'] as number, end: s['end'] as number, label: s['label'] });
    }
    return { spans };
  }
  ctx.unsupported.add(`Argilla values that are not a label, labels or spans (${typeof value})`);
  return undefined;
}

function valueOf(d: Decision): unknown {
  if (d.spans) return d.spans.map((s) => ({ start: s.start, end: s.end, label: s.label }));
  if (d.labels) return [...d.labels];
  return d.label;
}

function fromV1(record: Record<string, unknown>, ctx: RecordContext): InterchangeDocument | undefined {
  const inputs = record['inputs'];
  const text = typeof record['text'] === 'string' ? record['text'] : isObject(inputs) && typeof inputs['text'] === 'string' ? inputs['text'] : undefined;
  if (text === undefined) {
    ctx.problem('the record has no "text" (nor "fields" with a text): skipped');
    return undefined;
  }
  const { id } = readId(record['id']);
  const doc = newDocument(text, id);
  const length = codePointLength(text);
  const asDecision = (v: unknown): Decision | undefined => {
    if (typeof v === 'string') return { label: v };
    if (isStringList(v)) return v.length === 1 ? { label: v[0]! } : { labels: v };
    if (Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length >= 3)) {
      return { spans: (v as unknown[][]).filter((e) => typeof e[0] === 'string' && Number.isInteger(e[1]) && (e[2] as number) <= length).map((e) => ({ start: e[1] as number, end: e[2] as number, label: e[0] as string })) };
    }
    return undefined;
  };
  const annotation = asDecision(record['annotation']);
  if (annotation) {
    const status = record['status'];
    doc.labels.push({ annotator: typeof record['annotation_agent'] === 'string' ? record['annotation_agent'] : defaultAnnotator(NAME, ctx.options), answer: status === 'Discarded' ? 'ignore' : 'accept', ...annotation });
  }
  const prediction = record['prediction'];
  if (Array.isArray(prediction) && prediction.length > 0) {
    const agent = typeof record['prediction_agent'] === 'string' ? { agent: record['prediction_agent'] } : {};
    const first = prediction[0];
    if (Array.isArray(first) && first.length >= 3) {
      const spans = (prediction as unknown[][]).map((e) => ({ start: e[1] as number, end: e[2] as number, label: String(e[0]), ...(typeof e[3] === 'number' ? { score: e[3] } : {}) }));
      doc.predictions.push({ spans, ...agent });
    } else {
      const scored = prediction.map((p) => (Array.isArray(p) ? { label: String(p[0]), score: Number(p[1]) } : isObject(p) ? { label: String(p['label']), score: Number(p['score']) } : undefined)).filter((p) => p !== undefined);
      scored.sort((a, b) => b.score - a.score);
      if (scored[0]) doc.predictions.push({ label: scored[0].label, score: scored[0].score, ...agent });
    }
  }
  doc.fields = otherFields(record, ['text', 'inputs', 'id', 'annotation', 'annotation_agent', 'prediction', 'prediction_agent']);
  ctx.unsupported.add('Argilla v1 records (written back as v2 records)');
  doc.extra[NAME] = { textField: 'text', question: 'label' } satisfies ArgillaExtra;
  return doc;
}

const fromRecord: FromRecord = (record, ctx) => {
  const fields = record['fields'];
  if (!isObject(fields)) return fromV1(record, ctx);
  const textField = ctx.options.textField ?? (typeof fields['text'] === 'string' ? 'text' : Object.keys(fields).find((k) => typeof fields[k] === 'string'));
  if (textField === undefined || typeof fields[textField] !== 'string') {
    ctx.problem(`the record's "fields" have no text${ctx.options.textField ? ` in "${ctx.options.textField}"` : ''}: skipped`);
    return undefined;
  }
  const text = fields[textField] as string;
  const { id, numeric } = readId(record['id']);
  const doc = newDocument(text, id);
  const length = codePointLength(text);
  const suggestions = isObject(record['suggestions']) ? record['suggestions'] : {};
  const responses = isObject(record['responses']) ? record['responses'] : {};
  const question = ctx.options.labelField ?? [...Object.keys(suggestions), ...Object.keys(responses)][0] ?? 'label';
  const extra: ArgillaExtra = { textField, question };
  if (numeric) extra.numericId = true;
  for (const [k, v] of Object.entries(fields)) if (k !== textField) doc.fields[k] = v;
  const rest = otherFields(record, ['id', 'fields', 'suggestions', 'responses']);
  if (Object.keys(rest).length > 0) extra.record = rest;
  const suggestion = suggestions[question];
  if (isObject(suggestion)) {
    const decision = decisionOf(suggestion['value'], length, ctx);
    if (decision) {
      const prediction: ModelPrediction = { ...decision };
      if (typeof suggestion['score'] === 'number') prediction.score = suggestion['score'];
      else if (Array.isArray(suggestion['score']) && decision.spans) decision.spans.forEach((s, i) => ((s as ScoredSpan).score = (suggestion['score'] as number[])[i]));
      if (typeof suggestion['agent'] === 'string') prediction.agent = suggestion['agent'];
      doc.predictions.push(prediction);
      const srest = otherFields(suggestion, ['value', 'score', 'agent']);
      if (Object.keys(srest).length > 0) extra.suggestionRest = srest;
    }
  }
  const others = (from: Record<string, unknown>) => Object.fromEntries(Object.entries(from).filter(([k]) => k !== question));
  if (Object.keys(others(suggestions)).length > 0) extra.otherSuggestions = others(suggestions);
  if (Object.keys(others(responses)).length > 0) {
    extra.otherResponses = others(responses);
    ctx.unsupported.add('Argilla questions besides the task question (kept, not editable in Loopmark)', Object.keys(extra.otherResponses).length);
  }
  const list = responses[question];
  if (Array.isArray(list)) {
    for (const r of list) {
      if (!isObject(r)) continue;
      if (r['status'] === 'draft') {
        (extra.drafts ??= []).push(r);
        ctx.unsupported.add('Argilla draft responses (kept, not counted as decisions)');
        continue;
      }
      const decision = r['status'] === 'discarded' && r['value'] === undefined ? {} : decisionOf(r['value'], length, ctx);
      if (!decision) continue;
      const user = typeof r['user_id'] === 'string' ? r['user_id'] : typeof r['username'] === 'string' ? r['username'] : defaultAnnotator(NAME, ctx.options);
      doc.labels.push({ annotator: user, answer: r['status'] === 'discarded' ? 'ignore' : 'accept', ...decision });
    }
  }
  doc.extra[NAME] = extra;
  return doc;
};

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const out = documents.map((doc) => {
    const extra = (doc.extra[NAME] ?? { textField: 'text', question: 'label' }) as ArgillaExtra;
    const record: Record<string, unknown> = {};
    const id = writeId(doc.id, extra.numericId);
    if (id !== undefined) record['id'] = id;
    record['fields'] = { [extra.textField]: doc.text, ...doc.fields };
    const suggestions: Record<string, unknown> = {};
    const p = doc.predictions[0];
    if (doc.predictions.length > 1) unsupported.add('predictions after the first (Argilla keeps one suggestion per question)', doc.predictions.length - 1);
    if (p) {
      const s: Record<string, unknown> = { value: valueOf(p) };
      if (p.score !== undefined) s['score'] = p.score;
      else if (p.spans?.some((x) => x.score !== undefined)) s['score'] = p.spans.map((x) => x.score ?? null);
      if (p.agent !== undefined || p.modelVersion !== undefined) s['agent'] = p.agent ?? p.modelVersion;
      Object.assign(s, extra.suggestionRest ?? {});
      suggestions[extra.question] = s;
    }
    Object.assign(suggestions, extra.otherSuggestions ?? {});
    if (Object.keys(suggestions).length > 0) record['suggestions'] = suggestions;
    const responses: Record<string, unknown> = {};
    const list: unknown[] = doc.labels.map((a) => {
      if (a.answer === 'reject') unsupported.add('rejected decisions (Argilla responses are submitted or discarded; written as discarded)');
      const submitted = a.answer === 'accept';
      const value = a.label !== undefined || a.labels || a.spans ? valueOf(a) : undefined;
      return { ...(value === undefined ? {} : { value }), user_id: a.annotator, status: submitted ? 'submitted' : 'discarded' };
    });
    list.push(...(extra.drafts ?? []));
    if (list.length > 0) responses[extra.question] = list;
    Object.assign(responses, extra.otherResponses ?? {});
    if (Object.keys(responses).length > 0) record['responses'] = responses;
    Object.assign(record, extra.record ?? {});
    return record;
  });
  return { text: jsonLines(out), unsupported: unsupported.list() };
}

export const argilla: Codec = jsonRecordCodec({
  name: NAME,
  description: 'Argilla records (fields, suggestions with score and agent, responses per user)',
  fromRecord,
  write,
  detect(sample) {
    const records = sampleRecords(sample);
    const v2 = records.filter((r) => isObject(r['fields']) && (isObject(r['suggestions']) || isObject(r['responses']) || '_server_id' in r)).length;
    const v1 = records.filter((r) => ('annotation_agent' in r || 'prediction_agent' in r || isObject(r['inputs']))).length;
    return v2 > 0 ? 0.7 + 0.29 * (v2 / records.length) : v1 > 0 ? 0.6 : 0;
  },
});
