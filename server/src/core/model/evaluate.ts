// Offline evaluation of the embedded classifier: k-fold cross-validation, hold-out, and a
// simulated active-learning run (learning curve of queue order vs random order).
//
// Everything is deterministic for a given seed. If examples carry a `group` (e.g. the document
// they come from), all examples of a group go to the same fold / side of the split, so that
// near-duplicates of a test text are never trained on.

import { TextClassifier, type ClassifierOptions, type LabeledText, type Prediction } from './classifier';
import { mulberry32, permutation, shuffleInPlace } from './prng';
import { isRandomDraw, withRandomDraws, type QueueCandidate, type QueueStrategy } from './queue';

export interface Example {
  text: string;
  /** Gold label (single-label) or gold label set (multi-label). */
  label: string | string[];
  /** Examples of one group (e.g. one document) are never split between train and test. */
  group?: string;
}

export interface LabelMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of test examples whose gold labels include this label. */
  support: number;
}

export interface EvalResult {
  /** Examples evaluated (each once in cross-validation). */
  n: number;
  /** Single-label: fraction predicted right. Multi-label: exact-match (subset) accuracy. */
  accuracy: number;
  /** Mean of the per-label F1 over all labels (labels without support nor predictions count 0). */
  macroF1: number;
  /** Micro-averaged F1 (equals accuracy for single-label). */
  microF1: number;
  perLabel: Record<string, LabelMetrics>;
  /**
   * Single-label: matrix[i][j] = examples of gold labels[i] predicted as labels[j] (sums to n).
   * Multi-label: matrix[i][j] = examples with gold label labels[i] and predicted label labels[j].
   */
  confusion: { labels: string[]; matrix: number[][] };
  /** Mean negative log-likelihood of the gold label (single-label) / labels (multi-label). */
  logLoss: number;
  /** Expected calibration error, 10 equal-width bins: of the top label (single-label) or of every per-label probability (multi-label). */
  ece: number;
  /** Fraction of examples whose most frequent training label is right (single-label baseline). */
  majorityBaseline: number;
}

export interface EvalOptions {
  /** Label set (default: all labels in the examples, sorted). */
  labels?: string[];
  multiLabel?: boolean;
  /** Seed of the fold assignment / split and of the classifier (default 1). */
  seed?: number;
  /** Extra classifier options (learning rate, features, epochs...). */
  classifier?: Partial<ClassifierOptions>;
}

function goldList(label: string | string[]): string[] {
  return typeof label === 'string' ? [label] : label;
}

function labelSet(examples: ReadonlyArray<Example>, given?: string[]): string[] {
  if (given) {
    const extra = new Set<string>();
    for (const ex of examples) for (const l of goldList(ex.label)) if (!given.includes(l)) extra.add(l);
    return [...given, ...[...extra].sort()];
  }
  const s = new Set<string>();
  for (const ex of examples) for (const l of goldList(ex.label)) s.add(l);
  return [...s].sort();
}

/** Fold of each example, 0..folds-1: groups (or single examples) dealt round-robin after a seeded shuffle. */
function assignFolds(examples: ReadonlyArray<Example>, folds: number, seed: number): Int32Array {
  const keyOf = (i: number): string => examples[i].group ?? `\u0000${i}`;
  const groups: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < examples.length; i++) {
    const k = keyOf(i);
    if (!seen.has(k)) {
      seen.set(k, groups.length);
      groups.push(k);
    }
  }
  const order = permutation(groups.length, seed);
  const foldOfGroup = new Int32Array(groups.length);
  for (let r = 0; r < order.length; r++) foldOfGroup[order[r]] = r % folds;
  const out = new Int32Array(examples.length);
  for (let i = 0; i < examples.length; i++) out[i] = foldOfGroup[seen.get(keyOf(i))!];
  return out;
}

/** Accumulates predictions against gold labels into an EvalResult. */
class Scorer {
  private readonly index = new Map<string, number>();
  private readonly matrix: number[][];
  private readonly tp: number[];
  private readonly fp: number[];
  private readonly fn: number[];
  private readonly support: number[];
  private n = 0;
  private correct = 0;
  private nll = 0;
  private readonly bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, hit: 0 }));
  private binTotal = 0;

  constructor(
    private readonly labels: string[],
    private readonly multiLabel: boolean,
  ) {
    labels.forEach((l, i) => this.index.set(l, i));
    const L = labels.length;
    this.matrix = Array.from({ length: L }, () => new Array<number>(L).fill(0));
    this.tp = new Array<number>(L).fill(0);
    this.fp = new Array<number>(L).fill(0);
    this.fn = new Array<number>(L).fill(0);
    this.support = new Array<number>(L).fill(0);
  }

  private bin(conf: number, hit: boolean): void {
    const b = this.bins[Math.min(9, Math.max(0, Math.floor(conf * 10)))];
    b.n++;
    b.conf += conf;
    b.hit += hit ? 1 : 0;
    this.binTotal++;
  }

  add(gold: string | string[], pred: Prediction): void {
    this.n++;
    const g = goldList(gold).map((l) => this.index.get(l)!);
    if (!this.multiLabel) {
      const gi = g[0];
      const pi = this.index.get(pred.label) ?? -1;
      this.support[gi]++;
      if (pi >= 0) this.matrix[gi][pi]++;
      if (pi === gi) {
        this.correct++;
        this.tp[gi]++;
      } else {
        this.fn[gi]++;
        if (pi >= 0) this.fp[pi]++;
      }
      this.nll -= Math.log(Math.max(1e-15, pred.scores[this.labels[gi]] ?? 0));
      this.bin(pred.score, pi === gi);
      return;
    }
    const predicted = new Set((pred.labels ?? []).map((l) => this.index.get(l)!));
    const goldSet = new Set(g);
    let exact = predicted.size === goldSet.size;
    for (const k of goldSet) {
      this.support[k]++;
      if (predicted.has(k)) this.tp[k]++;
      else {
        this.fn[k]++;
        exact = false;
      }
      for (const j of predicted) this.matrix[k][j]++;
    }
    for (const j of predicted) if (!goldSet.has(j)) this.fp[j]++;
    if (exact) this.correct++;
    for (let k = 0; k < this.labels.length; k++) {
      const p = pred.scores[this.labels[k]] ?? 0;
      const y = goldSet.has(k);
      this.nll -= Math.log(Math.max(1e-15, y ? p : 1 - p));
      this.bin(p, y);
    }
  }

  result(majorityBaseline: number): EvalResult {
    const perLabel: Record<string, LabelMetrics> = {};
    let f1sum = 0;
    let TP = 0;
    let FP = 0;
    let FN = 0;
    this.labels.forEach((l, k) => {
      const tp = this.tp[k];
      const fp = this.fp[k];
      const fn = this.fn[k];
      TP += tp;
      FP += fp;
      FN += fn;
      const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
      const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
      const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
      perLabel[l] = { precision, recall, f1, support: this.support[k] };
      f1sum += f1;
    });
    const microP = TP + FP > 0 ? TP / (TP + FP) : 0;
    const microR = TP + FN > 0 ? TP / (TP + FN) : 0;
    let ece = 0;
    for (const b of this.bins) if (b.n) ece += Math.abs(b.conf - b.hit);
    return {
      n: this.n,
      accuracy: this.n ? this.correct / this.n : 0,
      macroF1: this.labels.length ? f1sum / this.labels.length : 0,
      microF1: microP + microR > 0 ? (2 * microP * microR) / (microP + microR) : 0,
      perLabel,
      confusion: { labels: [...this.labels], matrix: this.matrix.map((r) => [...r]) },
      logLoss: this.n ? this.nll / (this.multiLabel ? this.n * Math.max(1, this.labels.length) : this.n) : 0,
      ece: this.binTotal ? ece / this.binTotal : 0,
      majorityBaseline,
    };
  }
}

function makeClassifier(labels: string[], opts: EvalOptions): TextClassifier {
  return new TextClassifier({ ...opts.classifier, labels, multiLabel: opts.multiLabel ?? false, seed: opts.seed ?? opts.classifier?.seed ?? 1 });
}

function majorityOf(train: ReadonlyArray<Example>): string | undefined {
  const counts = new Map<string, number>();
  for (const ex of train) for (const l of goldList(ex.label)) counts.set(l, (counts.get(l) ?? 0) + 1);
  let best: string | undefined;
  let bc = -1;
  for (const [l, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (c > bc) {
      bc = c;
      best = l;
    }
  }
  return best;
}

function evaluateSplits(examples: ReadonlyArray<Example>, testMask: (i: number) => number, nSplits: number, opts: EvalOptions): EvalResult {
  const labels = labelSet(examples, opts.labels);
  const scorer = new Scorer(labels, opts.multiLabel ?? false);
  let majorityHits = 0;
  let tested = 0;
  for (let f = 0; f < nSplits; f++) {
    const train: Example[] = [];
    const test: Example[] = [];
    for (let i = 0; i < examples.length; i++) (testMask(i) === f ? test : train).push(examples[i]);
    if (!test.length) continue;
    const clf = makeClassifier(labels, opts);
    clf.retrain(train);
    const maj = majorityOf(train);
    for (const ex of test) {
      scorer.add(ex.label, clf.predict(ex.text));
      tested++;
      if (!opts.multiLabel && maj !== undefined && goldList(ex.label)[0] === maj) majorityHits++;
    }
  }
  return scorer.result(tested ? majorityHits / tested : 0);
}

/** k-fold cross-validation (deterministic shuffle; group-aware). Metrics pool all folds' predictions. */
export function crossValidate(examples: ReadonlyArray<Example>, opts: EvalOptions & { folds?: number } = {}): EvalResult {
  const folds = Math.max(2, Math.min(opts.folds ?? 5, examples.length));
  const fold = assignFolds(examples, folds, opts.seed ?? 1);
  return evaluateSplits(examples, (i) => fold[i], folds, opts);
}

/** Train on a (1 - testFraction) split, evaluate on the rest (deterministic; group-aware). */
export function holdout(examples: ReadonlyArray<Example>, opts: EvalOptions & { testFraction?: number } = {}): EvalResult {
  const isTest = splitTest(examples, opts.testFraction ?? 0.2, opts.seed ?? 1);
  return evaluateSplits(examples, (i) => (isTest[i] ? 0 : -1), 1, opts);
}

/** Deterministic test split of about `fraction` of the examples (whole groups). */
function splitTest(examples: ReadonlyArray<Example>, fraction: number, seed: number): Uint8Array {
  const keyOf = (i: number): string => examples[i].group ?? `\u0000${i}`;
  const groups = new Map<string, number>();
  for (let i = 0; i < examples.length; i++) if (!groups.has(keyOf(i))) groups.set(keyOf(i), groups.size);
  // the groups that come first in a seeded shuffle, until the test side has `fraction` of the examples
  const order = permutation(groups.size, seed);
  const size = new Int32Array(groups.size);
  for (let i = 0; i < examples.length; i++) size[groups.get(keyOf(i))!]++;
  const inTest = new Uint8Array(groups.size);
  const want = Math.max(0, Math.min(1, fraction)) * examples.length;
  let taken = 0;
  for (let r = 0; r < order.length && taken < want; r++) {
    inTest[order[r]] = 1;
    taken += size[order[r]];
  }
  const out = new Uint8Array(examples.length);
  for (let i = 0; i < examples.length; i++) out[i] = inTest[groups.get(keyOf(i))!];
  return out;
}

export interface LearningCurvePoint {
  /** Labels given to the model so far. */
  labels: number;
  /** Accuracy on the fixed test set (exact match for multi-label). */
  accuracy: number;
  /** Macro-F1 on the test set. */
  macroF1: number;
  /** Expected calibration error on the test set. */
  ece: number;
  /** Single-label: test predictions scoring at or over `threshold`, and how many of them are right. */
  confident: { threshold: number; n: number; correct: number };
}

export interface LearningCurveOptions extends EvalOptions {
  examples: ReadonlyArray<Example>;
  /**
   * 'queue': each batch takes every fifth label from the random stratum (queue.ts
   * withRandomDraws) and the others most uncertain first, per the model retrained after the last
   * batch; 'random': seeded random order.
   */
  strategy: 'queue' | 'random';
  /** Labels per batch (default 50): the model is retrained from all labels after each. */
  step?: number;
  /** Fraction of the examples held out as the fixed test set (default 0.2). */
  testFraction?: number;
  /** Stop after this many labels (default: the whole pool). */
  maxLabels?: number;
  /** Queue strategy used to pick uncertain items (default 'margin'). */
  queueStrategy?: Exclude<QueueStrategy, 'random' | 'file-order' | 'disagreement'>;
  /** Score at most this many random pool items per batch to pick it (default 5000). */
  poolSample?: number;
  /** Weigh features by idf over all the examples' texts, the dataset being labeled (default true). */
  idf?: boolean;
  /** Review threshold whose precision `confident` reports (default 0.8, a task's default). */
  threshold?: number;
}

/** The split of a simulation: test indices and pool indices, from the seed (group-aware). */
export function splitPool(examples: ReadonlyArray<Example>, testFraction: number, seed: number): { pool: number[]; test: number[] } {
  const isTest = splitTest(examples, testFraction, seed);
  const pool: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < examples.length; i++) (isTest[i] ? test : pool).push(i);
  return { pool, test };
}

/** A classifier for the examples' label set, with idf over all their texts unless opts.idf is false. */
export function classifierFor(examples: ReadonlyArray<Example>, opts: EvalOptions & { idf?: boolean }): TextClassifier {
  const clf = makeClassifier(labelSet(examples, opts.labels), opts);
  if (opts.idf !== false) {
    const df = clf.documentFrequencies();
    for (const ex of examples) df.add(ex.text);
    clf.setIdf(df.idf());
  }
  return clf;
}

function scoreOn(clf: TextClassifier, examples: ReadonlyArray<Example>, test: readonly number[], labels: string[], multi: boolean, threshold: number): Omit<LearningCurvePoint, 'labels'> {
  const scorer = new Scorer(labels, multi);
  const confident = { threshold, n: 0, correct: 0 };
  for (const i of test) {
    const p = clf.predict(examples[i].text);
    scorer.add(examples[i].label, p);
    if (!multi && p.score >= threshold) {
      confident.n++;
      if (p.label === examples[i].label) confident.correct++;
    }
  }
  const r = scorer.result(0);
  return { accuracy: r.accuracy, macroF1: r.macroF1, ece: r.ece, confident };
}

/** Example id of the random stratum: its group and index, stable across runs. */
function sampleId(examples: ReadonlyArray<Example>, i: number): string {
  return `${examples[i].group ?? ''}#${i}`;
}

/**
 * Replay gold labels: split off a fixed test set, then label the pool in batches, in queue order
 * (see `strategy`) or in random order, retraining the model from all labels after every batch
 * (as the server does in the background) and evaluating it on the test set. Labels of the random
 * stratum (queue) or all labels (random order) count as drawn at random: the calibration is
 * fitted on those only.
 */
export function simulateLearningCurve(opts: LearningCurveOptions): LearningCurvePoint[] {
  const { examples, strategy } = opts;
  const step = Math.max(1, Math.floor(opts.step ?? 50));
  const seed = opts.seed ?? 1;
  const labels = labelSet(examples, opts.labels);
  const multi = opts.multiLabel ?? false;
  const threshold = opts.threshold ?? 0.8;
  const { pool, test } = splitPool(examples, opts.testFraction ?? 0.2, seed);
  const clf = classifierFor(examples, opts);
  const randomOrder = Array.from(permutation(pool.length, seed ^ 0x5eed), (r) => pool[r]);
  const rank = new Map<number, number>();
  randomOrder.forEach((i, r) => rank.set(i, r));
  const maxLabels = Math.min(pool.length, opts.maxLabels ?? pool.length);
  const remaining = new Set(pool);
  const rand = mulberry32(seed ^ 0xa11ce);
  const poolSample = opts.poolSample ?? 5000;
  const curve: LearningCurvePoint[] = [];
  const labeled: LabeledText[] = [];
  let randPos = 0;
  while (labeled.length < maxLabels) {
    const k = Math.min(step, maxLabels - labeled.length);
    let batch: number[];
    if (strategy === 'random') {
      batch = randomOrder.slice(randPos, randPos + k);
      randPos += k;
    } else {
      let cand = [...remaining];
      if (cand.length > poolSample) {
        shuffleInPlace(cand, rand);
        cand = cand.slice(0, poolSample);
      }
      // Before the first batch the model has no opinion: the queue falls back to its order (a
      // random one here: corpora are often sorted by label, files less so).
      const trained = labeled.length > 0;
      const candidates: QueueCandidate[] = cand.map((i) => ({
        key: String(i), id: sampleId(examples, i), order: rank.get(i)!, ...(trained ? { model: clf.predict(examples[i].text) } : {}),
      }));
      batch = withRandomDraws(candidates, opts.queueStrategy ?? 'margin', k).map(Number);
    }
    if (!batch.length) break;
    for (const i of batch) {
      remaining.delete(i);
      const random = strategy === 'random' || isRandomDraw(sampleId(examples, i));
      labeled.push({ text: examples[i].text, label: examples[i].label, random });
    }
    clf.retrain(labeled);
    curve.push({ labels: labeled.length, ...scoreOn(clf, examples, test, labels, multi, threshold) });
  }
  return curve;
}

/** Accuracy and macro-F1 of the model trained on the whole pool of the split (the ceiling of a learning curve). */
export function fullPoolScore(opts: Omit<LearningCurveOptions, 'strategy'>): Omit<LearningCurvePoint, 'labels'> & { labels: number } {
  const { examples } = opts;
  const seed = opts.seed ?? 1;
  const { pool, test } = splitPool(examples, opts.testFraction ?? 0.2, seed);
  const clf = classifierFor(examples, opts);
  clf.retrain(pool.map((i) => ({ text: examples[i].text, label: examples[i].label, ...(examples[i].group !== undefined ? { group: examples[i].group } : {}) })));
  return { labels: pool.length, ...scoreOn(clf, examples, test, labelSet(examples, opts.labels), opts.multiLabel ?? false, opts.threshold ?? 0.8) };
}

/** Labels of the first point of the curve at or over `accuracy`, or undefined if none is. */
export function labelsToReach(curve: readonly LearningCurvePoint[], accuracy: number): number | undefined {
  return curve.find((p) => p.accuracy >= accuracy)?.labels;
}
