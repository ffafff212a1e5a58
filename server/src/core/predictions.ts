// Predictions that come with the data: inside a record (Loopmark's own shape or Label Studio's) or
// in a sidecar file of {"id", "label", "score"} lines. Multi-label tasks' predictions are sets:
// {"labels": [...], "scores": {label: probability}} in Loopmark's shapes, several `choices` in Label Studio's.
import { labelStudioPrediction } from './formats/labelStudioPrediction';
import { readJsonLines } from './jsonl';
import { canonicalSet, leastSure, mostProbable } from './labelSets';
import type { LineProblem, Prediction } from './types';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asScore(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * A set prediction from {"labels", "scores"?, "score"?}, or what is wrong with it. Its confidence is
 * `score` when given, else the least sure label's max(p, 1 - p) from `scores`, else 1.
 */
function setPrediction(value: Record<string, unknown>, where: string): Prediction | string {
  const labels = value['labels'];
  if (!isStringList(labels)) return `"${where}labels" must be a list of label names, like ["billing", "bug"] ([] for none)`;
  const rawScores = value['scores'];
  let scores: Record<string, number> | undefined;
  if (rawScores !== undefined) {
    if (!isObject(rawScores)) return `"${where}scores" must be an object of label: probability (0 to 1)`;
    scores = Object.create(null) as Record<string, number>;
    for (const [label, p] of Object.entries(rawScores)) {
      const score = asScore(p);
      if (score === undefined) return `"${where}scores" must be an object of label: probability (0 to 1); '${label}' is not`;
      scores[label] = score;
    }
  }
  const given = value['score'] === undefined ? undefined : asScore(value['score']);
  if (value['score'] !== undefined && given === undefined) return `"${where}score" must be a number between 0 and 1`;
  const set = canonicalSet(labels);
  const score = given ?? (scores ? leastSure(scores)?.certainty : undefined) ?? 1;
  const prediction: Prediction = { label: mostProbable(scores ?? {}, set), labels: set, score, origin: 'file' };
  if (scores) prediction.scores = { ...scores };
  if (typeof value['model_version'] === 'string') prediction.modelVersion = value['model_version'];
  return prediction;
}

/**
 * The prediction carried by a record, if any:
 * - `"prediction": {"label": "positive", "score": 0.55}` (Loopmark's shape);
 * - `"predictions": [{"result": [{"value": {"choices": ["positive"]}}], "score": 0.55, "model_version": "v1"}]`
 *   (Label Studio's task shape; the best-scored prediction wins, a result's own score overrides).
 * A shape that is present but unusable gives a problem message instead.
 */
export function predictionFromRecord(record: Record<string, unknown>): { prediction?: Prediction; problem?: string } {
  const own = record['prediction'];
  if (own !== undefined) {
    if (isObject(own) && own['labels'] !== undefined) {
      if (own['label'] !== undefined) return { problem: '"prediction" has both "label" and "labels": give one label or the predicted set' };
      const prediction = setPrediction(own, 'prediction.');
      return typeof prediction === 'string' ? { problem: prediction } : { prediction };
    }
    if (!isObject(own) || typeof own['label'] !== 'string') {
      return { problem: '"prediction" must be an object like {"label": "positive", "score": 0.55}' };
    }
    const score = own['score'] === undefined ? 1 : asScore(own['score']);
    if (score === undefined) return { problem: '"prediction.score" must be a number between 0 and 1' };
    const prediction: Prediction = { label: own['label'], score, origin: 'file' };
    if (typeof own['model_version'] === 'string') prediction.modelVersion = own['model_version'];
    return { prediction };
  }
  const studio = record['predictions'];
  return studio === undefined ? {} : labelStudioPrediction(studio);
}

export interface PredictionFile {
  byId: Map<string, Prediction>;
  problems: LineProblem[];
}

/**
 * Parses a predictions sidecar: one {"id", "label", "score"} object per line, or for a multi-label task
 * {"id", "labels", "scores"} (what `loopmark predict` writes); later lines win.
 */
export function parsePredictionFile(text: string): PredictionFile {
  const byId = new Map<string, Prediction>();
  const problems: LineProblem[] = [];
  readJsonLines(text, {
    problem: (problem) => problems.push(problem),
    value: (value, i) => {
      if (!isObject(value)) {
        problems.push({ line: i, message: 'Expected an object like {"id": "...", "label": "...", "score": 0.9}' });
        return;
      }
      const id = value['id'];
      if (value['labels'] !== undefined) {
        const prediction = typeof id !== 'string' && typeof id !== 'number'
          ? 'Expected "id" (string or number)'
          : value['label'] !== undefined ? 'Give "label" or "labels", not both' : setPrediction(value, '');
        if (typeof prediction === 'string') problems.push({ line: i, message: prediction });
        else byId.set(String(id), prediction);
        return;
      }
      const label = value['label'];
      const score = value['score'] === undefined ? 1 : asScore(value['score']);
      if ((typeof id !== 'string' && typeof id !== 'number') || typeof label !== 'string' || score === undefined) {
        problems.push({ line: i, message: 'Expected "id" (string or number), "label" (string) and "score" (0 to 1)' });
        return;
      }
      const prediction: Prediction = { label, score, origin: 'file' };
      if (typeof value['model_version'] === 'string') prediction.modelVersion = value['model_version'];
      byId.set(String(id), prediction);
    },
  });
  return { byId, problems };
}
