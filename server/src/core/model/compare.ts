// The two comparisons `loopmark simulate` and the bench print, on the same splits (seeds):
//   - the embedded model against the standard baseline (baseline.ts: TF-IDF word and char
//     n-grams, logistic regression trained to convergence), both trained on the first n labels of
//     the same random order, at n = 50, 100, 200, 500, 1,000, with training and prediction times
//     measured side by side in the same run;
//   - queue order against random order (evaluate.ts simulateLearningCurve), and the labels each
//     needs to reach 95% of the accuracy of the model trained on the whole pool.

import { performance } from 'node:perf_hooks';
import { TfidfLogisticRegression } from './baseline';
import { classifierFor, fullPoolScore, labelsToReach, simulateLearningCurve, splitPool, type Example, type LearningCurvePoint } from './evaluate';
import { permutation } from './prng';

export const COMPARISON_SIZES = [50, 100, 200, 500, 1000] as const;

export interface ModelScore {
  accuracy: number;
  macroF1: number;
  /** Training time on the n labels (ms). */
  trainMs: number;
  /** Prediction time per test text (us). */
  predictUs: number;
}

export interface SizeComparison {
  labels: number;
  model: ModelScore;
  baseline: ModelScore;
}

export interface ComparisonOptions {
  sizes?: readonly number[];
  /** Seeds of the splits and orders (default 1..5). */
  seeds?: readonly number[];
  testFraction?: number;
  /** Test examples scored at most per seed (a seeded subset; default 2,000). */
  maxTest?: number;
  labels?: string[];
}

function macroF1(gold: readonly string[], predicted: readonly string[], labels: readonly string[]): number {
  let sum = 0;
  for (const l of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      if (predicted[i] === l && gold[i] === l) tp++;
      else if (predicted[i] === l) fp++;
      else if (gold[i] === l) fn++;
    }
    sum += tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  return labels.length ? sum / labels.length : 0;
}

function goldLabel(ex: Example): string {
  return typeof ex.label === 'string' ? ex.label : ex.label[0] ?? '';
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

/** Model against baseline at each size, averaged over the seeds (single-label). */
export function compareWithBaseline(examples: ReadonlyArray<Example>, opts: ComparisonOptions = {}): SizeComparison[] {
  const sizes = opts.sizes ?? COMPARISON_SIZES;
  const seeds = opts.seeds ?? [1, 2, 3, 4, 5];
  const labels = opts.labels ?? [...new Set(examples.map(goldLabel))].sort();
  const perSize = sizes.map(() => ({ model: [] as ModelScore[], baseline: [] as ModelScore[] }));
  for (const seed of seeds) {
    const { pool, test: allTest } = splitPool(examples, opts.testFraction ?? 0.2, seed);
    const maxTest = opts.maxTest ?? 2000;
    const test = allTest.length > maxTest ? Array.from(permutation(allTest.length, seed ^ 0x7e57).subarray(0, maxTest), (r) => allTest[r]!) : allTest;
    const order = Array.from(permutation(pool.length, seed ^ 0x5eed), (r) => pool[r]!);
    const gold = test.map((i) => goldLabel(examples[i]!));
    const texts = test.map((i) => examples[i]!.text);
    sizes.forEach((n, s) => {
      const train = order.slice(0, Math.min(n, order.length));
      // the embedded model: idf over the dataset (all texts), retrained on the n labels
      const clf = classifierFor(examples, { labels, seed });
      let t0 = performance.now();
      clf.retrain(train.map((i) => ({ text: examples[i]!.text, label: goldLabel(examples[i]!) })));
      const modelTrain = performance.now() - t0;
      t0 = performance.now();
      const mPred = texts.map((t) => clf.predict(t).label);
      const modelPredict = ((performance.now() - t0) * 1000) / texts.length;
      const lr = new TfidfLogisticRegression();
      t0 = performance.now();
      lr.fit(train.map((i) => examples[i]!.text), train.map((i) => goldLabel(examples[i]!)), labels);
      const baseTrain = performance.now() - t0;
      t0 = performance.now();
      const bPred = texts.map((t) => lr.predict(t).label);
      const basePredict = ((performance.now() - t0) * 1000) / texts.length;
      const acc = (p: string[]): number => p.filter((l, i) => l === gold[i]).length / Math.max(1, gold.length);
      perSize[s]!.model.push({ accuracy: acc(mPred), macroF1: macroF1(gold, mPred, labels), trainMs: modelTrain, predictUs: modelPredict });
      perSize[s]!.baseline.push({ accuracy: acc(bPred), macroF1: macroF1(gold, bPred, labels), trainMs: baseTrain, predictUs: basePredict });
    });
  }
  const avg = (xs: ModelScore[]): ModelScore => ({
    accuracy: mean(xs.map((x) => x.accuracy)),
    macroF1: mean(xs.map((x) => x.macroF1)),
    trainMs: mean(xs.map((x) => x.trainMs)),
    predictUs: mean(xs.map((x) => x.predictUs)),
  });
  return sizes.map((n, s) => ({ labels: n, model: avg(perSize[s]!.model), baseline: avg(perSize[s]!.baseline) }));
}

export interface QueueComparison {
  /** Mean curves over the seeds, a point per batch. */
  queue: LearningCurvePoint[];
  random: LearningCurvePoint[];
  /** Mean accuracy of the model trained on the whole pool. */
  fullAccuracy: number;
  /** Labels to reach 95% of fullAccuracy on the mean curve (undefined: not within the labels given). */
  queueReach?: number;
  randomReach?: number;
}

function meanCurve(curves: LearningCurvePoint[][]): LearningCurvePoint[] {
  const len = Math.min(...curves.map((c) => c.length));
  return Array.from({ length: len }, (_, j) => {
    const ps = curves.map((c) => c[j]!);
    return {
      labels: ps[0]!.labels,
      accuracy: mean(ps.map((p) => p.accuracy)),
      macroF1: mean(ps.map((p) => p.macroF1)),
      ece: mean(ps.map((p) => p.ece)),
      confident: {
        threshold: ps[0]!.confident.threshold,
        n: ps.reduce((a, p) => a + p.confident.n, 0),
        correct: ps.reduce((a, p) => a + p.confident.correct, 0),
      },
    };
  });
}

/** Queue order against random order, batches of `step` labels up to `maxLabels`, over the seeds. */
export function compareQueueWithRandom(
  examples: ReadonlyArray<Example>,
  opts: { seeds?: readonly number[]; step?: number; maxLabels?: number; testFraction?: number; multiLabel?: boolean; labels?: string[]; threshold?: number } = {},
): QueueComparison {
  const seeds = opts.seeds ?? [1, 2, 3, 4, 5];
  const common = {
    examples, step: opts.step ?? 50, maxLabels: opts.maxLabels ?? 1000, testFraction: opts.testFraction ?? 0.2,
    ...(opts.multiLabel ? { multiLabel: true } : {}), ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
  };
  const queue = meanCurve(seeds.map((seed) => simulateLearningCurve({ ...common, seed, strategy: 'queue' })));
  const random = meanCurve(seeds.map((seed) => simulateLearningCurve({ ...common, seed, strategy: 'random' })));
  const fullAccuracy = mean(seeds.map((seed) => fullPoolScore({ ...common, seed }).accuracy));
  const queueReach = labelsToReach(queue, 0.95 * fullAccuracy);
  const randomReach = labelsToReach(random, 0.95 * fullAccuracy);
  return { queue, random, fullAccuracy, ...(queueReach !== undefined ? { queueReach } : {}), ...(randomReach !== undefined ? { randomReach } : {}) };
}

const pct = (x: number): string => (100 * x).toFixed(1);

/** The model-vs-baseline table, Markdown. */
export function formatBaselineTable(name: string, rows: readonly SizeComparison[], seeds: number): string {
  const out = [
    `${name}: embedded model vs TF-IDF word+char n-grams + logistic regression (L-BFGS to convergence), mean of ${seeds} seeds, same splits`,
    '',
    '| labels | model acc | baseline acc | Δ acc | model macro-F1 | baseline macro-F1 | Δ F1 | model train ms | baseline train ms | model µs/pred | baseline µs/pred |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.labels} | ${pct(r.model.accuracy)} | ${pct(r.baseline.accuracy)} | ${(100 * (r.model.accuracy - r.baseline.accuracy)).toFixed(1)} | ${pct(r.model.macroF1)} | ${pct(r.baseline.macroF1)} | ${(100 * (r.model.macroF1 - r.baseline.macroF1)).toFixed(1)} | ` +
      `${r.model.trainMs.toFixed(1)} | ${r.baseline.trainMs.toFixed(0)} | ${r.model.predictUs.toFixed(1)} | ${r.baseline.predictUs.toFixed(1)} |`),
  ];
  return out.join('\n');
}

/** The queue-vs-random table at the given checkpoints, Markdown. */
export function formatQueueTable(name: string, q: QueueComparison, checkpoints: readonly number[], seeds: number): string {
  const at = (c: LearningCurvePoint[], n: number): LearningCurvePoint | undefined => c.find((p) => p.labels === n);
  const conf = (p: LearningCurvePoint | undefined): string => (p && p.confident.n ? `${pct(p.confident.correct / p.confident.n)} (${p.confident.n})` : '—');
  const reach = (n: number | undefined): string => (n === undefined ? `> ${q.queue.at(-1)?.labels ?? 0}` : String(n));
  return [
    `${name}: queue order vs random order, batches of 50, model retrained after each, mean of ${seeds} seeds, same splits`,
    '',
    '| labels | queue acc | random acc | Δ | queue macro-F1 | random macro-F1 | queue ECE | random ECE | queue: correct of ≥ 0.8 (n) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...checkpoints.map((n) => {
      const a = at(q.queue, n);
      const b = at(q.random, n);
      if (!a || !b) return `| ${n} | — | — | — | — | — | — | — | — |`;
      return `| ${n} | ${pct(a.accuracy)} | ${pct(b.accuracy)} | ${(100 * (a.accuracy - b.accuracy)).toFixed(1)} | ${pct(a.macroF1)} | ${pct(b.macroF1)} | ${a.ece.toFixed(3)} | ${b.ece.toFixed(3)} | ${conf(a)} |`;
    }),
    '',
    `Full pool accuracy ${pct(q.fullAccuracy)}; labels to reach 95% of it (${pct(0.95 * q.fullAccuracy)}): queue ${reach(q.queueReach)}, random ${reach(q.randomReach)}.`,
  ].join('\n');
}
