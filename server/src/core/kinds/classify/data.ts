// The vocabulary of the classify kind: its finding codes, the data its findings carry (from which its
// quick fixes are built), and the phrases its messages share.
import { formatSet, leastSure, predictedLabels } from '../../labelSets';
import type { Prediction, Task } from '../../types';

/** The codes of classify findings: each is about a sample a quick fix can label. */
export type ClassifyCode = 'review' | 'suggestion' | 'conflict' | 'unknown-label';

/** Carried in a diagnostic's `data`, so code actions never re-parse message text. */
export interface SampleData {
  [key: string]: unknown;
  sampleId: string;
  predictedLabel?: string;
  score?: number;
  origin?: Prediction['origin'];
  label?: string;
  /** Multi-label tasks: the predicted set (instead of `predictedLabel`). */
  predictedLabels?: string[];
  /** Multi-label tasks: the labeled set (instead of `label`). */
  labels?: string[];
}

/** Codes whose diagnostics are about a sample that can be labeled by a quick fix. */
export function isReviewCode(code: string): code is 'review' | 'suggestion' | 'conflict' | 'unknown-label' {
  return code === 'review' || code === 'suggestion' || code === 'conflict' || code === 'unknown-label';
}

const namesByTask = new WeakMap<Task, ReadonlySet<string>>();
/** The task's label names as a set, built once per task (label sets can be large). */
export function labelNames(task: Task): ReadonlySet<string> {
  let names = namesByTask.get(task);
  if (!names) {
    names = new Set(task.labels.map((l) => l.name));
    namesByTask.set(task, names);
  }
  return names;
}

/** A label set in a message: the first few names, then how many more. */
export function listLabels(known: ReadonlySet<string>, max = 8): string {
  const names = [...known];
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export function percent(score: number): string {
  return score.toFixed(2);
}

export function predictionPhrase(p: Prediction): string {
  const who = p.origin === 'model' ? (p.coldStart ? 'model (cold start) predicted' : 'model predicted') : 'predicted';
  return `${who} '${p.label}' (${percent(p.score)})`;
}

export function predictionData(p: Prediction | undefined): Partial<SampleData> {
  return p ? { predictedLabel: p.label, score: p.score, origin: p.origin } : {};
}

export function setPredictionData(p: Prediction | undefined): Partial<SampleData> {
  return p ? { predictedLabels: predictedLabels(p), score: p.score, origin: p.origin } : {};
}

export function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** "model predicted {billing, bug} (least sure: 'bug' 0.61)": the probability of the label closest to a coin flip. */
export function setPredictionPhrase(p: Prediction): string {
  const who = p.origin === 'model' ? (p.coldStart ? 'model (cold start) predicted' : 'model predicted') : 'predicted';
  const worst = p.leastSure ?? (p.scores ? leastSure(p.scores)?.label : undefined);
  const sure = worst !== undefined && p.scores?.[worst] !== undefined ? `least sure: '${worst}' ${percent(p.scores[worst]!)}` : percent(p.score);
  return `${who} ${formatSet(predictedLabels(p))} (${sure})`;
}

