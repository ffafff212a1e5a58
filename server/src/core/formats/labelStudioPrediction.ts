// Label Studio's prediction shape inside a task record (`predictions[].result[].value.choices`), as
// the datasets of a classify task carry it: the best-scored prediction is the record's prediction.
// The whole Label Studio export (annotations, spans, JSON-MIN) is labelStudio.ts.
import { canonicalSet } from '../labelSets';
import type { Prediction } from '../types';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asScore(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** The prediction of a record's `predictions` (a result's own score overrides its prediction's), or what is wrong with it. */
export function labelStudioPrediction(studio: unknown): { prediction?: Prediction; problem?: string } {
  if (!Array.isArray(studio)) return { problem: '"predictions" must be a list (Label Studio shape)' };
  let best: Prediction | undefined;
  let badScore = false;
  for (const entry of studio) {
    if (!isObject(entry) || !Array.isArray(entry['result'])) continue;
    for (const result of entry['result']) {
      if (!isObject(result) || !isObject(result['value'])) continue;
      const choices = result['value']['choices'];
      if (!Array.isArray(choices) || typeof choices[0] !== 'string') continue;
      // Absent or null (as Label Studio exports an unscored prediction) means certain; anything else must be 0 to 1.
      const raw = result['score'] ?? entry['score'];
      const score = raw === undefined || raw === null ? 1 : asScore(raw);
      if (score === undefined) {
        badScore = true;
        continue;
      }
      if (!best || score > best.score) {
        best = { label: choices[0], score, origin: 'file' };
        // Several choices: a multi-label prediction (a `choices` control with `choice="multiple"`).
        if (choices.length > 1 && isStringList(choices)) best.labels = canonicalSet(choices);
        if (typeof entry['model_version'] === 'string') best.modelVersion = entry['model_version'];
      }
    }
  }
  if (best) return { prediction: best };
  return { problem: badScore ? '"predictions": "score" must be a number between 0 and 1' : '"predictions" has no result with "value.choices"' };
}
