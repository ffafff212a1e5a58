// The review queue: the unlabeled samples of a task, across its datasets, in the order that teaches
// the model most (or the order the task asks for). Computed in resumable steps so the server can
// yield between them; at most POOL_SIZE samples are scored per ranking, as active-learning tools do
// on large pools, so a million-sample task ranks in bounded time.
import { mulberry32 } from './model/prng';
import { withRandomDraws, type QueueCandidate, type ScoredPrediction } from './model/queue';
import { labelThresholds, predictedLabels } from './labelSets';
import type { DatasetEntry, Project } from './workspace/project';
import type { Prediction, Task } from './types';

/** Samples scored per ranking; larger tasks are ranked on a seeded random pool of this size. */
export const POOL_SIZE = 5000;
/** Candidates scored between two yields (each may read its line from disk and predict). */
const STEP = 20;

export interface QueueItem {
  path: string;
  line: number;
  sampleId: string;
  text: string;
  /** The prediction shown for the sample (the task's preferred one). */
  prediction?: Prediction;
  model?: Prediction;
  file?: Prediction;
}

export interface QueueOptions {
  /** `path#line` keys to leave out (e.g. the sample under the cursor). */
  skip?: ReadonlySet<string>;
  seed?: number;
  isCancelled?: () => boolean;
}

/**
 * What the ranking needs of a prediction. In a multi-label task every prediction is a set (one label is
 * a set of one), and model/queue.ts ranks a set by its least sure label: uncertainty = closeness of
 * that label's probability to its threshold (loopmark.json's for the embedded model, else 0.5),
 * 1 - 2 * min_k |p_k - 0.5| at 0.5; the `entropy` strategy takes the largest binary entropy instead. A set
 * without per-label scores counts each of its labels at the set's confidence.
 */
function scored(p: Prediction, task: Task): ScoredPrediction {
  const cold = p.coldStart ? { coldStart: true } : {};
  if (!task.multiLabel) return { label: p.label, score: p.score, scores: p.scores ?? { [p.label]: p.score }, ...cold };
  const labels = predictedLabels(p);
  const scores = p.scores ?? (labels.length > 0 ? Object.fromEntries(labels.map((l) => [l, p.score])) : { [p.label]: 1 - p.score });
  // The embedded model judges each label against its threshold in loopmark.json; others against 0.5.
  const thresholds = p.origin === 'model' && !p.modelVersion ? labelThresholds(task) : undefined;
  return { label: p.label, score: p.score, scores, labels, ...cold, ...(thresholds ? { thresholds } : {}) };
}

/** The entries of a task's datasets (those already indexed). */
export function taskEntries(project: Project, task: Task): DatasetEntry[] {
  return project
    .datasetFiles()
    .map((f) => project.entry(f))
    .filter((e): e is DatasetEntry => e !== undefined && e.task.name === task.name);
}

/** Computes the first `n` samples to review in steps; the generator's return value is the queue. */
export function* reviewQueueSteps(project: Project, task: Task, n: number, options: QueueOptions = {}): Generator<void, QueueItem[]> {
  const entries = taskEntries(project, task);
  // 1. Unlabeled candidates, from the ids alone (no text is read for a disk dataset). Kept in typed
  //    arrays: a million candidates as objects would cost tens of MB.
  let refEntry = new Uint16Array(1024);
  let refLine = new Int32Array(1024);
  let count = 0;
  const fileOrder = task.queue.strategy === 'file-order';
  for (let e = 0; e < entries.length && !(fileOrder && count >= n); e++) {
    const entry = entries[e]!;
    const index = project.labelStore(entry.labelPath).index;
    const { dataset } = entry;
    for (let line = 0; line < dataset.lineCount; line++) {
      if ((line + 1) % (STEP * 10) === 0) yield;
      const id = dataset.idAt(line);
      if (id === undefined || index.current(id, project.annotator)) continue;
      if (options.skip?.has(`${entry.path}#${line}`)) continue;
      if (count === refLine.length) {
        const lines = new Int32Array(count * 2);
        lines.set(refLine);
        refLine = lines;
        const owners = new Uint16Array(count * 2);
        owners.set(refEntry);
        refEntry = owners;
      }
      refEntry[count] = e;
      refLine[count] = line;
      count++;
      if (fileOrder && count >= n) break;
    }
  }
  // 2. The pool to score: all candidates, or a seeded random sample of a large task (in file order).
  let pool: number[];
  if (!fileOrder && count > POOL_SIZE) {
    const random = mulberry32((options.seed ?? 0) ^ count);
    const chosen: number[] = [];
    for (let i = 0; i < count; i++) {
      const k = chosen.length < POOL_SIZE ? chosen.length : Math.floor(random() * (i + 1));
      if (k < POOL_SIZE) chosen[k] = i; // reservoir sampling
      if ((i + 1) % (STEP * 1000) === 0) yield;
    }
    pool = chosen.sort((x, y) => x - y);
  } else {
    pool = Array.from({ length: count }, (_, i) => i);
  }
  // 3. Score the pool and rank it.
  const candidates: QueueCandidate[] = [];
  const items = new Map<string, QueueItem>();
  for (let i = 0; i < pool.length; i++) {
    if ((i + 1) % STEP === 0) yield;
    const entry = entries[refEntry[pool[i]!]!]!;
    const line = refLine[pool[i]!]!;
    const sample = entry.dataset.sampleAt(line);
    if (!sample) continue;
    const key = `${entry.path}#${line}`;
    const { file, model, shown } = project.predictions(entry, sample);
    const candidate: QueueCandidate = { key, id: sample.id, order: i };
    // A model in cold start does not rank: its opinion shows only in hovers until it has seen enough labels.
    const modelLike = model && !model.coldStart ? model : file;
    if (modelLike) candidate.model = scored(modelLike, task);
    if (file && model) candidate.file = { label: file.label, score: file.score, ...(task.multiLabel ? { labels: predictedLabels(file) } : {}) };
    candidates.push(candidate);
    items.set(key, {
      path: entry.path, line, sampleId: sample.id, text: sample.text,
      ...(shown ? { prediction: shown } : {}), ...(model ? { model } : {}), ...(file ? { file } : {}),
    });
  }
  yield;
  // In pool order the candidates keep their file order, which the strategies use to break ties.
  // An uncertainty queue takes every fifth sample from the random stratum (model/queue.ts): the
  // calibration is fitted on those labels, and they keep the queue from beating random order
  // only on the model's blind spots.
  return withRandomDraws(candidates, task.queue.strategy, n, { seed: options.seed ?? 0, ...(task.queue.randomDraws === undefined ? {} : { share: task.queue.randomDraws }) }).map((key) => items.get(key)!);
}

/** The queue, computed at once (CLI, tests). */
export function reviewQueue(project: Project, task: Task, n: number, options: QueueOptions = {}): QueueItem[] {
  const steps = reviewQueueSteps(project, task, n, options);
  for (;;) {
    if (options.isCancelled?.()) return [];
    const step = steps.next();
    if (step.done) return step.value;
  }
}
