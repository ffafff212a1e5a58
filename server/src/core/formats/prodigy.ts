// Prodigy JSONL (explosion.ai): one task per line. `text`; `spans` [{start, end, label, token_start,
// token_end}] in code points (Python); `label` + `answer` for binary text classification; `accept`
// (option ids) for choice tasks; `answer` accept/reject/ignore; `meta.score` is the model's score of
// the suggestion; `_annotator_id` names the annotator in multi-user sessions. A patterns file
// ({"label", "pattern"}) is recognised and reported: it holds rules, not annotated samples.
import type { Codec } from './codec';
import { isObject, sampleRecords } from './jsonRecords';
import { newDocument, UnsupportedCounter, type Annotation, type Answer, type InterchangeDocument, type ModelPrediction, type Span } from './model';
import { codePointLength } from './offsets';
import { defaultAnnotator, jsonLines, jsonRecordCodec, otherFields, type FromRecord } from './recordCodec';
import { keepSpanExtras, spanKey, type SpanExtras } from './spanExtras';

const NAME = 'prodigy';
const ANSWERS: readonly string[] = ['accept', 'reject', 'ignore'];
const INTERPRETED = ['text', 'spans', 'answer', '_annotator_id'];
// `text` is kept with the other keys too: a span's text does not survive a label file.
const SPAN_KEYS = ['start', 'end', 'label'];

interface ProdigyExtra {
  /** The task had an answer but no `spans` key (a manual NER task with no entity). */
  spansAbsent?: boolean;
  /** The task carried `_annotator_id`. */
  annotatorId?: boolean;
  /** `accept` held numbers (option ids), written back as numbers. */
  numericAccept?: boolean;
  /** Keys of each span the model has no place for (token_start/token_end, source, input_hash). */
  spanExtras?: SpanExtras;
}

function readSpans(raw: unknown, text: string, extras: SpanExtras, problem: (m: string) => void): Span[] | undefined {
  if (!Array.isArray(raw)) {
    problem('"spans" must be a list of {"start", "end", "label"}');
    return undefined;
  }
  const length = codePointLength(text);
  const spans: Span[] = [];
  for (const s of raw) {
    if (!isObject(s) || !Number.isInteger(s['start']) || !Number.isInteger(s['end']) || typeof s['label'] !== 'string') {
      problem(`a span is not {"start": int, "end": int, "label": string}: ${JSON.stringify(s).slice(0, 80)}`);
      continue;
    }
    const span: Span = { start: s['start'] as number, end: s['end'] as number, label: s['label'] };
    if (span.start < 0 || span.end < span.start || span.end > length) {
      problem(`span ${span.start}-${span.end} (${span.label}) is outside the text (${length} characters)`);
      continue;
    }
    if (typeof s['text'] === 'string') span.text = s['text'];
    keepSpanExtras(extras, span, s, SPAN_KEYS);
    spans.push(span);
  }
  return spans;
}

const fromRecord: FromRecord = (record, ctx) => {
  const text = record['text'];
  if (typeof text !== 'string') {
    if (typeof record['label'] === 'string' && record['pattern'] !== undefined) {
      ctx.unsupported.add('Prodigy match patterns (rules for suggestions, not annotated samples)');
      return undefined;
    }
    ctx.problem('the task has no "text" (a string): skipped');
    return undefined;
  }
  const hash = record['_input_hash'];
  const doc = newDocument(text, typeof hash === 'number' || typeof hash === 'string' ? String(hash) : undefined);
  const extra: ProdigyExtra = {};
  const spanExtras: SpanExtras = {};
  let interpreted = [...INTERPRETED];
  let spans: Span[] | undefined;
  if (record['spans'] !== undefined) spans = readSpans(record['spans'], text, spanExtras, ctx.problem);
  let decision: Pick<Annotation, 'label' | 'labels' | 'spans'> | undefined;
  if (record['accept'] !== undefined) {
    const accept = record['accept'];
    if (Array.isArray(accept) && accept.every((a) => typeof a === 'string' || typeof a === 'number')) {
      if (accept.length > 0 && accept.every((a) => typeof a === 'number')) extra.numericAccept = true;
      decision = { labels: accept.map(String) };
      interpreted.push('accept');
    } else ctx.problem('"accept" must be a list of option ids');
  } else if (spans) {
    decision = { spans };
  } else if (typeof record['label'] === 'string') {
    decision = { label: record['label'] };
    interpreted.push('label');
  }
  const answer = record['answer'];
  if (answer !== undefined && !ANSWERS.includes(answer as string)) {
    ctx.problem(`"answer" must be accept, reject or ignore, not ${JSON.stringify(answer)}: the task is read without its decision`);
    interpreted = interpreted.filter((k) => k !== 'answer'); // kept as it is
  }
  const score = isObject(record['meta']) ? record['meta']['score'] : undefined;
  if (ANSWERS.includes(answer as string)) {
    if (!decision) {
      decision = { spans: [] };
      extra.spansAbsent = true;
    }
    const annotatorId = record['_annotator_id'];
    if (typeof annotatorId === 'string') extra.annotatorId = true;
    const annotation: Annotation = { annotator: typeof annotatorId === 'string' ? annotatorId : defaultAnnotator(NAME, ctx.options), answer: answer as Answer, ...decision };
    if (typeof record['_timestamp'] === 'number') annotation.time = new Date((record['_timestamp'] as number) * 1000).toISOString();
    doc.labels.push(annotation);
    if (typeof score === 'number') doc.predictions.push({ ...decision, score });
  } else if (decision) {
    // A task not yet answered: its spans or label are a suggestion (ner.teach, textcat.teach input).
    const prediction: ModelPrediction = { ...decision };
    if (typeof score === 'number') prediction.score = score;
    doc.predictions.push(prediction);
  } else {
    interpreted = interpreted.filter((k) => k !== 'answer');
  }
  if (Object.keys(spanExtras).length > 0) extra.spanExtras = spanExtras;
  doc.fields = otherFields(record, interpreted);
  if (Object.keys(extra).length > 0) doc.extra[NAME] = extra;
  return doc;
};

function writeSpans(spans: readonly Span[], doc: InterchangeDocument, extras: SpanExtras | undefined): Record<string, unknown>[] {
  const tokens = Array.isArray(doc.fields['tokens']) ? (doc.fields['tokens'] as unknown[]).filter(isObject) : [];
  return spans.map((span) => {
    const out: Record<string, unknown> = { start: span.start, end: span.end };
    const kept = extras?.[spanKey(span)];
    if (span.text !== undefined && !kept) out['text'] = span.text;
    if (kept) Object.assign(out, kept);
    else if (tokens.length > 0) {
      // A span made in Loopmark: Prodigy's token indices, from the task's tokens.
      const first = tokens.findIndex((t) => t['start'] === span.start);
      const last = tokens.findIndex((t) => t['end'] === span.end);
      if (first >= 0 && last >= first) Object.assign(out, { token_start: first, token_end: last });
    }
    out['label'] = span.label;
    return out;
  });
}

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const lines: Record<string, unknown>[] = [];
  for (const doc of documents) {
    const extra = (doc.extra[NAME] ?? {}) as ProdigyExtra;
    const prediction = doc.predictions[0];
    if (doc.predictions.length > 1) unsupported.add('predictions after the first (a Prodigy task has one suggestion)', doc.predictions.length - 1);
    const base = (): Record<string, unknown> => {
      const out: Record<string, unknown> = { text: doc.text, ...doc.fields };
      if (prediction?.score !== undefined) out['meta'] = { ...(isObject(out['meta']) ? out['meta'] : {}), score: prediction.score };
      return out;
    };
    const decide = (out: Record<string, unknown>, d: Pick<Annotation, 'label' | 'labels' | 'spans'>, isAnswered: boolean) => {
      if (d.labels) out['accept'] = extra.numericAccept ? d.labels.map(Number) : [...d.labels];
      else if (d.label !== undefined) out['label'] = d.label;
      else if (d.spans && !(isAnswered && extra.spansAbsent && d.spans.length === 0)) out['spans'] = writeSpans(d.spans, doc, extra.spanExtras);
    };
    if (doc.labels.length === 0) {
      const out = base();
      if (prediction) decide(out, prediction, false);
      lines.push(out);
      continue;
    }
    const several = new Set(doc.labels.map((a) => a.annotator)).size > 1;
    for (const annotation of doc.labels) {
      const out = base();
      decide(out, annotation, true);
      out['answer'] = annotation.answer;
      if (extra.annotatorId || several) out['_annotator_id'] = annotation.annotator;
      lines.push(out);
    }
  }
  return { text: jsonLines(lines), unsupported: unsupported.list() };
}

export const prodigy: Codec = jsonRecordCodec({
  name: NAME,
  description: 'Prodigy JSONL (text, spans, label/accept, answer, _input_hash, meta.score)',
  fromRecord,
  write,
  detect(sample, fileName) {
    const records = sampleRecords(sample);
    if (records.length === 0) return 0;
    const hits = records.filter((r) => '_input_hash' in r || '_task_hash' in r || ('answer' in r && typeof r['text'] === 'string') || ('pattern' in r && 'label' in r)).length;
    if (hits > 0) return 0.5 + 0.45 * (hits / records.length);
    const spansLike = records.filter((r) => typeof r['text'] === 'string' && Array.isArray(r['spans'])).length;
    return spansLike > 0 ? 0.4 + (/\.jsonl$/i.test(fileName) ? 0.05 : 0) : 0;
  },
});

