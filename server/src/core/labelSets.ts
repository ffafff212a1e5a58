// Label sets of multi-label tasks: one name for each operation on them, so the label files, the
// analysis, the model and the CLI agree on what a set is (sorted, unique, closed world) and on how
// sure a set prediction is.
import type { LabelRecord, Prediction, Task } from './types';

/** A set in canonical form: unique, sorted by UTF-16 code units (as label files sort ids). */
export function canonicalSet(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The labels a decision gives: its set, or its one label as a set of one. */
export function recordLabels(record: Pick<LabelRecord, 'label' | 'labels'>): string[] {
  return record.labels ?? (record.label === undefined ? [] : [record.label]);
}

/** The labels a prediction gives: its set, or its one label as a set of one. */
export function predictedLabels(prediction: Pick<Prediction, 'label' | 'labels'>): string[] {
  return prediction.labels ?? (prediction.label === '' ? [] : [prediction.label]);
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const other = new Set(b);
  return a.every((l) => other.has(l));
}

/** A set as people read it: `{billing, bug}`; `{}` for "none of the labels". */
export function formatSet(labels: readonly string[]): string {
  return `{${canonicalSet(labels).join(', ')}}`;
}

/** How a decision reads in a message: `'positive'` or `{billing, bug}`. */
export function describeLabels(record: Pick<LabelRecord, 'label' | 'labels'>): string {
  return record.labels ? formatSet(record.labels) : `'${record.label ?? ''}'`;
}

/**
 * How sure the decision "in the set" (p >= threshold) or "out" is, from 0.5 (p at the threshold) to 1
 * (p at 0 or 1): max(p, 1 - p) for the usual threshold of 0.5, stretched linearly on each side of
 * another threshold.
 */
export function labelCertainty(p: number, threshold = 0.5): number {
  if (threshold === 0.5) return Math.max(p, 1 - p);
  return p >= threshold ? 0.5 + (0.5 * (p - threshold)) / (1 - threshold) : 0.5 + (0.5 * (threshold - p)) / threshold;
}

/**
 * The least sure label of per-label probabilities: the one whose decision (in or out of the set) is
 * closest to its threshold, with its certainty (`labelCertainty`: max(p, 1 - p) at 0.5). The
 * confidence of a set prediction is this certainty: a set is only as sure as its least sure member
 * (or non-member).
 */
export function leastSure(
  scores: Readonly<Record<string, number>>,
  thresholdOf: (label: string) => number = () => 0.5,
): { label: string; certainty: number } | undefined {
  let worst: { label: string; certainty: number } | undefined;
  for (const [label, p] of Object.entries(scores)) {
    const certainty = labelCertainty(p, thresholdOf(label));
    if (!worst || certainty < worst.certainty) worst = { label, certainty };
  }
  return worst;
}

/** The most probable label of per-label probabilities, or '' without any. */
export function mostProbable(scores: Readonly<Record<string, number>>, fallback: readonly string[] = []): string {
  let best = '';
  let bestP = -Infinity;
  for (const [label, p] of Object.entries(scores)) {
    if (p > bestP) {
      best = label;
      bestP = p;
    }
  }
  return best || (fallback[0] ?? '');
}

const thresholdsByTask = new WeakMap<object, Readonly<Record<string, number>>>();
/**
 * Multi-label: the thresholds loopmark.json sets on labels (the others are at 0.5). Built once per
 * task: predictions and queue ranking ask for every sample.
 */
export function labelThresholds(task: Pick<Task, 'multiLabel' | 'labels'>): Readonly<Record<string, number>> {
  let thresholds = thresholdsByTask.get(task);
  if (!thresholds) {
    const built: Record<string, number> = {};
    if (task.multiLabel) for (const l of task.labels) if (l.threshold !== undefined) built[l.name] = l.threshold;
    thresholds = built;
    thresholdsByTask.set(task, thresholds);
  }
  return thresholds;
}
