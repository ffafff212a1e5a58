// Loopmark's own HTTP contract: a URL that labels batches of samples.
//
// Request (`POST url`, `Content-Type: application/json`, `Authorization: Bearer <apiKey>` when set):
//   {"task": "sentiment",
//    "labels": [{"name": "positive", "description": "..."}, ...],
//    "samples": [{"id": "r001", "text": "..."}, ...]}            // at most `batchSize` samples
//
// Response (2xx, JSON), either form:
//   {"predictions": [{"id": "r001", "label": "positive", "score": 0.93}, ...]}
//   [{"id": "r001", "label": "positive", "score": 0.93}, ...]
//   each entry may add "scores": {"positive": 0.93, "negative": 0.05, ...} (each 0..1).
// For a multi-label task the request adds "multiLabel": true and an entry may give the set instead:
//   {"id": "t05", "labels": ["billing", "bug"], "scores": {"billing": 0.91, "bug": 0.62, ...}}
//   with "score" (the set's confidence) or "scores" (then the confidence is the least sure label's).
// A sample may be left out (no prediction). An id that was not asked for is ignored; an entry with a
// label outside the task's label set, or a score that is not a number in [0, 1], is dropped and logged.
import { canonicalSet, leastSure, mostProbable } from '../labelSets';
import type { Prediction } from '../types';
import type { ExternalResult, ExternalSample, ExternalTask } from './batch';
import type { PostJson } from './transport';
import { describeValue, isObject, isScore, snippet } from './untrusted';

/**
 * Asks the HTTP predictor about one batch and fills `result`. Returns how many answers were ignored
 * because they carried no id of a sample that was asked for.
 */
export async function httpBatch(post: PostJson, url: URL, modelVersion: string, task: ExternalTask, samples: readonly ExternalSample[], result: ExternalResult): Promise<number> {
  const outcome = await post(url, {
    task: task.name,
    ...(task.multiLabel ? { multiLabel: true } : {}),
    labels: task.labels.map((l) => ({ name: l.name, description: l.description ?? '' })),
    samples: samples.map((s) => ({ id: s.id, text: s.text })),
  });
  if (!outcome.ok) {
    result.error = outcome.error;
    return 0;
  }
  const body = outcome.value;
  const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.predictions) ? body.predictions : undefined;
  if (!list) {
    result.error = `${url.origin} answered ${describeValue(body)}, expected {"predictions": [{"id", "label", "score"}, ...]} or a list of them`;
    return 0;
  }
  const asked = new Set(samples.map((s) => s.id));
  const known = new Set(task.labels.map((l) => l.name));
  let unknownIds = 0;
  for (const entry of list) {
    if (!isObject(entry) || typeof entry.id !== 'string') {
      unknownIds++;
      continue;
    }
    const id = entry.id;
    if (!asked.has(id)) {
      unknownIds++;
      continue;
    }
    if (result.predictions.has(id) || result.rejected.has(id)) continue; // the first answer for an id counts
    const why = entry.labels !== undefined ? checkSetEntry(entry, known, task.multiLabel === true, modelVersion) : checkEntry(entry, known, modelVersion);
    if (typeof why === 'string') result.rejected.set(id, why);
    else result.predictions.set(id, why);
  }
  return unknownIds;
}

function checkEntry(entry: Record<string, unknown>, known: ReadonlySet<string>, modelVersion: string): Prediction | string {
  const { label, score, scores } = entry;
  if (typeof label !== 'string' || label === '') return `label is ${describeValue(label)}, expected a non-empty string`;
  if (known.size > 0 && !known.has(label)) return `label '${snippet(label, 40)}' is not in the label set (${[...known].join(', ')})`;
  if (!isScore(score)) return `score is ${describeValue(score)}, expected a number between 0 and 1`;
  const prediction: Prediction = { label, score, origin: 'model', modelVersion };
  if (scores !== undefined) {
    if (!isObject(scores)) return `scores is ${describeValue(scores)}, expected an object of label: number`;
    for (const [name, value] of Object.entries(scores)) {
      if (!isScore(value)) return `scores['${snippet(name, 40)}'] is ${describeValue(value)}, expected a number between 0 and 1`;
    }
    prediction.scores = { ...(scores as Record<string, number>) };
  }
  return prediction;
}

/** A set answer of a multi-label task: every label known, a score or per-label scores in [0, 1]. */
function checkSetEntry(entry: Record<string, unknown>, known: ReadonlySet<string>, multiLabel: boolean, modelVersion: string): Prediction | string {
  const { labels, score, scores } = entry;
  if (entry.label !== undefined) return 'give "label" or "labels", not both';
  if (!multiLabel) return 'this task takes one label per sample: answer "label", not "labels"';
  if (!Array.isArray(labels) || !labels.every((l): l is string => typeof l === 'string' && l !== '')) return `labels is ${describeValue(labels)}, expected a list of label names`;
  const unknown = known.size > 0 ? labels.find((l) => !known.has(l)) : undefined;
  if (unknown !== undefined) return `label '${snippet(unknown, 40)}' is not in the label set (${[...known].join(', ')})`;
  let perLabel: Record<string, number> | undefined;
  if (scores !== undefined) {
    if (!isObject(scores)) return `scores is ${describeValue(scores)}, expected an object of label: number`;
    for (const [name, value] of Object.entries(scores)) {
      if (!isScore(value)) return `scores['${snippet(name, 40)}'] is ${describeValue(value)}, expected a number between 0 and 1`;
    }
    perLabel = { ...(scores as Record<string, number>) };
  }
  if (score !== undefined && !isScore(score)) return `score is ${describeValue(score)}, expected a number between 0 and 1`;
  const confidence = (score as number | undefined) ?? (perLabel ? leastSure(perLabel)?.certainty : undefined);
  if (confidence === undefined) return 'a set needs "score" (its confidence) or "scores" (a probability per label)';
  const set = canonicalSet(labels);
  const prediction: Prediction = { label: mostProbable(perLabel ?? {}, set), labels: set, score: confidence, origin: 'model', modelVersion };
  if (perLabel) prediction.scores = perLabel;
  return prediction;
}
