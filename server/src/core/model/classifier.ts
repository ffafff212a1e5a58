// The embedded text classifier: online logistic regression over hashed n-gram features
// (features.ts).
//
//  - single-label: multinomial (softmax) logistic regression;
//    multi-label: one-vs-rest binary logistic regressions sharing the features.
//  - Learning: AdaGrad with one accumulator per feature row (bucket), shared by the label columns
//    of that row: memory is 4 bytes/bucket + 4 bytes/bucket/label (2^18 buckets: 1 MB per label).
//    Base rate 0.1 (best of 0.01..1 on the Brown corpus tasks, online and batch).
//  - Why no naive Bayes ensemble: a multinomial NB over the same hashed features was measured on
//    the Brown corpus (4 sections, held-out documents) and was not better (0.66 vs 0.66 with all
//    training data; 0.46-0.55 vs 0.55-0.60 with 100-500 labels) while doubling memory and
//    prediction time, so it was left out.
//  - Calibration (calibration.ts): the logits of an example drawn at random are recorded *before*
//    the model learns from it (a prequential, out-of-sample prediction) in a ring buffer of the
//    most recent ones; from it a bounded temperature (single-label) or per-label Platt scaling
//    (multi-label) is fitted, lazily, when a prediction is asked for and the window changed by
//    ~3%. Examples the queue picked (random: false) never enter it: they are the hard cases.
//    `retrain` holds out the examples drawn at random (or, when no example says, 10%: whole
//    groups if the examples have groups, else every 10th), trains on the rest, records the
//    held-out logits for the calibration, then learns them too (in one more epoch over all).
//  - Features may be weighed by inverse document frequencies over the dataset (idf.ts, setIdf).
//  - Deterministic: no Math.random; retrain's epoch shuffles use a seeded PRNG, so the same
//    examples in the same order give bit-identical weights (see weightsHash()).

import { fitPlatt, fitTemperature } from './calibration';
import { Featurizer, fnv1a, type FeatureOptions, type SparseVector } from './features';
import { DocumentFrequencies } from './idf';
import { permutation } from './prng';

export interface Prediction {
  /** Most probable label ('' if the model has no labels). */
  label: string;
  /** Calibrated probability of `label`. */
  score: number;
  /** Calibrated probabilities: sum to 1 (single-label) or independent per label (multi-label). */
  scores: Record<string, number>;
  /** Multi-label only: labels whose probability is at or over their threshold. */
  labels?: string[];
  /** True until every label has at least `minExamplesPerLabel` examples. */
  coldStart: boolean;
}

export interface LabeledText {
  text: string;
  /** One label (single-label) or the set of labels (multi-label; may be empty = none apply). */
  label: string | string[];
  /** Optional group (e.g. source document): retrain's calibration hold-out takes whole groups. */
  group?: string;
  /**
   * true: the example was drawn at random (the calibration is fitted on these only); false: the
   * queue picked it for its uncertainty (never used for calibration); undefined: not known.
   */
  random?: boolean;
}

export interface ClassifierOptions {
  labels: string[];
  multiLabel?: boolean;
  /** Cold start lasts until every label has this many examples (default 3). */
  minExamplesPerLabel?: number;
  /** Hash buckets (power of two, default 2^18). Overrides features.buckets. */
  buckets?: number;
  /** Seed of the shuffles in retrain (default 1). */
  seed?: number;
  /** Featurisation options (char n-gram range, tf, ...). */
  features?: FeatureOptions;
  /** AdaGrad base learning rate (default 0.1: best of 0.01..1 on the Brown corpus, online and batch). */
  learningRate?: number;
  /** Epochs of `retrain`; 'auto' (default) = about 100k updates in all, between 1 and 5 epochs. */
  epochs?: number | 'auto';
  /** Multi-label: probability threshold per label (default 0.5). */
  thresholds?: Record<string, number>;
  /** Default threshold of labels without one (default 0.5). */
  defaultThreshold?: number;
  /** Probability calibration (default true). */
  calibrate?: boolean;
  /** Size of the calibration window: the most recent out-of-sample logits (default 2048). */
  calibrationWindow?: number;
}

/** Examples at least for the fallback hold-out of retrain (every 10th of 300 or more). */
const MIN_CALIBRATION = 30;
/**
 * Examples drawn at random that retrain holds out for the calibration, at least: 10 is the
 * random fifth of the first 50 labels; the prior on the temperature (calibration.ts) keeps a fit
 * on so few sane.
 */
const MIN_RANDOM_CALIBRATION = 10;

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Floats after the last row of W: the dot product reads label columns in whole blocks of 4 or 8,
 * so the last block of a row may run into the next row (or this tail); those sums are dropped.
 */
const W_TAIL = 8;
/** Where the touch pass of dotRows leaves its sum (so that its loads are not optimised away). */
const touchSink = new Float64Array(1);

/**
 * z[k] = sum_j W[idx[j] * L + k] * val[j] for k < L (z needs L + 8 entries).
 *
 * The rows are scattered over megabytes (2^18 buckets x L floats: 4 MB for 4 labels, 15 MB for
 * 15), so past a few labels this waits on memory more than it computes. A light first loop
 * touches the first and last float of every row, so that the CPU has many cache and TLB misses
 * in flight at once; the products then run on rows in cache: in one pass of 4 label columns for
 * up to 4 labels, else in passes of 8 (the accumulators stay in registers; a pass wider than what
 * is left of the row reads into the next row or W_TAIL and drops those sums). Measured on the
 * 2-core dev machine, 500-char texts (~430 features): 15 labels 16.4 -> 13.5 us against passes
 * of 4 columns without the touch loop; 4 labels unchanged (5.1 us: a 16-byte row is one miss).
 */
function dotRows(W: Float32Array, L: number, idx: Int32Array, val: Float32Array, n: number, z: Float64Array): void {
  let t = 0;
  if (L <= 4) {
    for (let j = 0; j < n; j++) t += W[idx[j] * L];
  } else {
    const last = L - 1; // a wider row often straddles two cache lines
    for (let j = 0; j < n; j++) {
      const b = idx[j] * L;
      t += W[b] + W[b + last];
    }
  }
  touchSink[0] = t;
  if (L <= 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let j = 0; j < n; j++) {
      const v = val[j];
      const b = idx[j] * L;
      a0 += W[b] * v;
      a1 += W[b + 1] * v;
      a2 += W[b + 2] * v;
      a3 += W[b + 3] * v;
    }
    z[0] = a0;
    z[1] = a1;
    z[2] = a2;
    z[3] = a3;
    return;
  }
  for (let k0 = 0; k0 < L; k0 += 8) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let j = 0; j < n; j++) {
      const v = val[j];
      const b = idx[j] * L + k0;
      a0 += W[b] * v;
      a1 += W[b + 1] * v;
      a2 += W[b + 2] * v;
      a3 += W[b + 3] * v;
      a4 += W[b + 4] * v;
      a5 += W[b + 5] * v;
      a6 += W[b + 6] * v;
      a7 += W[b + 7] * v;
    }
    z[k0] = a0;
    z[k0 + 1] = a1;
    z[k0 + 2] = a2;
    z[k0 + 3] = a3;
    z[k0 + 4] = a4;
    z[k0 + 5] = a5;
    z[k0 + 6] = a6;
    z[k0 + 7] = a7;
  }
}

/** W[idx[j] * L + k] -= step[j] * g[k], in blocks of up to 4 label columns. */
function axpyRows(W: Float32Array, L: number, idx: Int32Array, step: Float64Array, n: number, g: Float64Array): void {
  let k0 = 0;
  for (; k0 + 4 <= L; k0 += 4) {
    const g0 = g[k0];
    const g1 = g[k0 + 1];
    const g2 = g[k0 + 2];
    const g3 = g[k0 + 3];
    for (let j = 0; j < n; j++) {
      const s = step[j];
      const b = idx[j] * L + k0;
      W[b] -= s * g0;
      W[b + 1] -= s * g1;
      W[b + 2] -= s * g2;
      W[b + 3] -= s * g3;
    }
  }
  for (; k0 < L; k0++) {
    const gk = g[k0];
    for (let j = 0; j < n; j++) W[idx[j] * L + k0] -= step[j] * gk;
  }
}

export class TextClassifier {
  readonly multiLabel: boolean;
  readonly minExamplesPerLabel: number;
  readonly seed: number;
  readonly buckets: number;
  private readonly featurizer: Featurizer;
  private readonly eta: number;
  private readonly epochsOpt: number | 'auto';
  private readonly doCalibrate: boolean;
  private readonly calCap: number;
  private defaultThreshold: number;
  private readonly thresholds = new Map<string, number>();

  private labelList: string[] = [];
  private readonly labelIndex = new Map<string, number>();
  private L = 0;
  /** Weights, bucket-major: W[bucket * L + label]. */
  private W: Float32Array = new Float32Array(0);
  /** AdaGrad accumulator per bucket row. */
  private G: Float32Array;
  private bias: Float64Array = new Float64Array(0);
  private biasG: Float64Array = new Float64Array(0);
  private labelCounts: number[] = [];
  private nExamples = 0;

  // calibration state
  private temperature = 1; // single-label: p = softmax(z / T)
  private plattA: Float64Array = new Float64Array(0); // multi-label: p_k = sigmoid(a_k z_k + c_k)
  private plattC: Float64Array = new Float64Array(0);
  private calZ: Float32Array = new Float32Array(0); // ring: logits, calCap x L
  private calY: Uint8Array | Int32Array = new Int32Array(0); // single: label index; multi: calCap x L bits
  private calFill = 0;
  private calPos = 0;
  private calDirty = 0;

  // scratch
  private z = new Float64Array(0);
  private p = new Float64Array(0);
  private g = new Float64Array(0);
  private y = new Uint8Array(0);
  private step = new Float64Array(256);

  constructor(opts: ClassifierOptions) {
    this.multiLabel = opts.multiLabel ?? false;
    this.minExamplesPerLabel = opts.minExamplesPerLabel ?? 3;
    this.seed = opts.seed ?? 1;
    this.featurizer = new Featurizer({ ...opts.features, buckets: opts.buckets ?? opts.features?.buckets ?? 1 << 18 });
    this.buckets = this.featurizer.buckets;
    this.eta = opts.learningRate ?? 0.1;
    this.epochsOpt = opts.epochs ?? 'auto';
    this.doCalibrate = opts.calibrate ?? true;
    this.calCap = Math.max(64, opts.calibrationWindow ?? 2048);
    this.defaultThreshold = opts.defaultThreshold ?? 0.5;
    for (const [k, v] of Object.entries(opts.thresholds ?? {})) this.thresholds.set(k, v);
    this.G = new Float32Array(this.buckets);
    // Register every label first and allocate once: resizing per label would copy the weights L times.
    for (const l of opts.labels) {
      if (this.labelIndex.has(l)) continue;
      this.labelIndex.set(l, this.labelList.length);
      this.labelList.push(l);
      this.labelCounts.push(0);
    }
    this.resize(this.labelList.length);
  }

  // ------------------------------------------------------------------------------------------
  // label set
  // ------------------------------------------------------------------------------------------

  get labels(): readonly string[] {
    return this.labelList;
  }

  /** Add a label (no-op if known). Existing weights are kept; the new label starts at zero. */
  addLabel(label: string): void {
    if (this.labelIndex.has(label)) return;
    this.labelIndex.set(label, this.L);
    this.labelList.push(label);
    this.labelCounts.push(0);
    this.resize(this.L + 1);
  }

  private resize(newL: number): void {
    const oldL = this.L;
    const B = this.buckets;
    const W = new Float32Array(B * newL + W_TAIL);
    if (oldL > 0 && newL > 0) {
      const old = this.W;
      const m = Math.min(oldL, newL);
      for (let b = 0; b < B; b++) {
        const so = b * oldL;
        const sn = b * newL;
        for (let k = 0; k < m; k++) W[sn + k] = old[so + k];
      }
    }
    this.W = W;
    const grow = (a: Float64Array, fill: number): Float64Array => {
      const r = new Float64Array(newL).fill(fill);
      r.set(a.subarray(0, Math.min(a.length, newL)));
      return r;
    };
    this.bias = grow(this.bias, 0);
    this.biasG = grow(this.biasG, 0);
    this.plattA = grow(this.plattA, 1);
    this.plattC = grow(this.plattC, 0);
    this.L = newL;
    this.z = new Float64Array(newL + 8);
    this.p = new Float64Array(newL);
    this.g = new Float64Array(newL);
    this.y = new Uint8Array(newL);
    // the calibration window's layout depends on L: start it afresh (the fitted values stay)
    this.calZ = new Float32Array(this.calCap * newL);
    this.calY = this.multiLabel ? new Uint8Array(this.calCap * newL) : new Int32Array(this.calCap);
    this.calFill = 0;
    this.calPos = 0;
    this.calDirty = 0;
  }

  /** Multi-label: set the probability threshold of one label. */
  setThreshold(label: string, threshold: number): void {
    this.thresholds.set(label, threshold);
  }

  threshold(label: string): number {
    return this.thresholds.get(label) ?? this.defaultThreshold;
  }

  /** Number of examples seen per label (multi-label: examples where the label applies). */
  counts(): Record<string, number> {
    const r: Record<string, number> = {};
    for (let k = 0; k < this.L; k++) r[this.labelList[k]] = this.labelCounts[k];
    return r;
  }

  /** Total examples learned since construction or the last retrain. */
  get examples(): number {
    return this.nExamples;
  }

  get coldStart(): boolean {
    if (this.L === 0) return true;
    for (let k = 0; k < this.L; k++) if (this.labelCounts[k] < this.minExamplesPerLabel) return true;
    return false;
  }

  /** Bytes held by the model's typed arrays (weights, accumulators, calibration window, buffers). */
  memoryBytes(): number {
    return (
      this.W.byteLength +
      this.G.byteLength +
      this.bias.byteLength +
      this.biasG.byteLength +
      this.plattA.byteLength +
      this.plattC.byteLength +
      this.calZ.byteLength +
      this.calY.byteLength
    );
  }

  /**
   * FNV-1a hash of the raw bits of all weights and biases: equal hashes <=> (practically)
   * bit-identical models. Used to check that retrain is deterministic.
   */
  weightsHash(): string {
    let h = 0x811c9dc5 | 0;
    const mix = (a: Uint32Array): void => {
      for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i], 0x01000193);
    };
    mix(new Uint32Array(this.W.buffer, this.W.byteOffset, this.W.length));
    mix(new Uint32Array(this.bias.buffer, this.bias.byteOffset, this.bias.length * 2));
    return (h >>> 0).toString(16).padStart(8, '0');
  }

  /** Current calibration: temperature (single-label) or per-label Platt [a, c] (multi-label). */
  calibration(): { temperature: number; platt?: Record<string, [number, number]>; window: number } {
    this.maybeRecalibrate();
    const r: { temperature: number; platt?: Record<string, [number, number]>; window: number } = {
      temperature: this.temperature,
      window: this.calFill,
    };
    if (this.multiLabel) {
      r.platt = {};
      for (let k = 0; k < this.L; k++) r.platt[this.labelList[k]] = [this.plattA[k], this.plattC[k]];
    }
    return r;
  }

  // ------------------------------------------------------------------------------------------
  // prediction
  // ------------------------------------------------------------------------------------------

  /** Featurise a text with this model's featuriser (fresh arrays, L2-normalised). */
  features(text: string): SparseVector {
    return this.featurizer.featurize(text);
  }

  predict(text: string): Prediction {
    const x = this.featurizer.featurizeScaled(text);
    this.logits(x, x.scale);
    return this.finishPrediction();
  }

  /** Predict from a vector made by `features()` (or any L2-normalised vector of this size). */
  predictFeatures(x: SparseVector): Prediction {
    this.logits(x, 1);
    return this.finishPrediction();
  }

  /** Raw (uncalibrated) logits into this.z. */
  private logits(x: SparseVector, scale: number): void {
    const L = this.L;
    const z = this.z;
    const idx = x.indices;
    const val = x.values;
    const n = x.length;
    if (L > 0) dotRows(this.W, L, idx, val, n, z);
    const b = this.bias;
    for (let k = 0; k < L; k++) z[k] = z[k] * scale + b[k];
  }

  private finishPrediction(): Prediction {
    const L = this.L;
    const coldStart = this.coldStart;
    if (L === 0) return { label: '', score: 0, scores: {}, coldStart: true, ...(this.multiLabel ? { labels: [] } : {}) };
    this.maybeRecalibrate();
    const z = this.z;
    const p = this.p;
    const scores: Record<string, number> = {};
    let best = 0;
    if (!this.multiLabel) {
      const invT = 1 / this.temperature;
      let max = -Infinity;
      for (let k = 0; k < L; k++) if (z[k] > max) max = z[k];
      let sum = 0;
      for (let k = 0; k < L; k++) {
        const e = Math.exp((z[k] - max) * invT);
        p[k] = e;
        sum += e;
      }
      for (let k = 0; k < L; k++) {
        p[k] /= sum;
        scores[this.labelList[k]] = p[k];
        if (p[k] > p[best]) best = k;
      }
      return { label: this.labelList[best], score: p[best], scores, coldStart };
    }
    const labels: string[] = [];
    for (let k = 0; k < L; k++) {
      p[k] = sigmoid(this.plattA[k] * z[k] + this.plattC[k]);
      const name = this.labelList[k];
      scores[name] = p[k];
      if (p[k] > p[best]) best = k;
      if (p[k] >= this.threshold(name)) labels.push(name);
    }
    return { label: this.labelList[best], score: p[best], scores, labels, coldStart };
  }

  // ------------------------------------------------------------------------------------------
  // learning
  // ------------------------------------------------------------------------------------------

  /**
   * Learn one example online. Unknown labels are added to the label set. An example the queue
   * picked (`random: false`) does not enter the calibration window.
   */
  update(text: string, label: string | string[], opts: { random?: boolean } = {}): void {
    const ys = this.targetIndices(label);
    const x = this.featurizer.featurizeScaled(text);
    this.learn(x, x.scale, ys, opts.random !== false);
  }

  /** Learn one example given as a vector from `features()`. */
  updateFeatures(x: SparseVector, label: string | string[], opts: { random?: boolean } = {}): void {
    this.learn(x, 1, this.targetIndices(label), opts.random !== false);
  }

  /**
   * Weigh the features by these inverse document frequencies (from documentFrequencies(), one
   * per bucket), or by 1 (undefined). Set it before retrain: the weights learned are for it.
   */
  setIdf(idf: Float32Array | undefined): void {
    this.featurizer.setIdf(idf);
  }

  get idf(): Float32Array | undefined {
    return this.featurizer.idf;
  }

  /** A counter of document frequencies over this model's features (add the dataset's texts, then setIdf(counter.idf())). */
  documentFrequencies(): DocumentFrequencies {
    return new DocumentFrequencies(this.featurizer.options);
  }

  private targetIndices(label: string | string[]): number[] {
    const list = typeof label === 'string' ? [label] : label;
    if (!this.multiLabel && list.length !== 1) {
      throw new Error(`single-label classifier needs exactly one label, got ${list.length}`);
    }
    const out: number[] = [];
    for (const l of list) {
      if (!this.labelIndex.has(l)) this.addLabel(l);
      const k = this.labelIndex.get(l)!;
      if (!out.includes(k)) out.push(k);
    }
    return out;
  }

  private learn(x: SparseVector, scale: number, ys: number[], record: boolean): void {
    const L = this.L;
    this.logits(x, scale);
    const z = this.z;
    const g = this.g;
    const y = this.y;
    y.fill(0);
    for (const k of ys) y[k] = 1;
    if (record && this.doCalibrate) this.recordCalibration(ys);

    // gradient of the log-loss w.r.t. the logits
    let g2 = 0;
    if (!this.multiLabel) {
      let max = -Infinity;
      for (let k = 0; k < L; k++) if (z[k] > max) max = z[k];
      let sum = 0;
      for (let k = 0; k < L; k++) {
        const e = Math.exp(z[k] - max);
        g[k] = e;
        sum += e;
      }
      for (let k = 0; k < L; k++) {
        const gk = g[k] / sum - y[k];
        g[k] = gk;
        g2 += gk * gk;
      }
    } else {
      for (let k = 0; k < L; k++) {
        const gk = sigmoid(z[k]) - y[k];
        g[k] = gk;
        g2 += gk * gk;
      }
    }

    // AdaGrad step: one accumulator per feature row, shared by its L label columns
    if (g2 > 0) {
      const eta = this.eta;
      const G = this.G;
      const idx = x.indices;
      const val = x.values;
      const n = x.length;
      if (this.step.length < n) this.step = new Float64Array(Math.max(n, 2 * this.step.length));
      const step = this.step;
      for (let j = 0; j < n; j++) {
        const xi = val[j] * scale;
        const b = idx[j];
        const acc = G[b] + xi * xi * g2;
        G[b] = acc;
        step[j] = (eta * xi) / Math.sqrt(acc + 1e-8);
      }
      axpyRows(this.W, L, idx, step, n, g);
      const bias = this.bias;
      const bg = this.biasG;
      for (let k = 0; k < L; k++) {
        const gk = g[k];
        bg[k] += gk * gk;
        bias[k] -= (eta * gk) / Math.sqrt(bg[k] + 1e-8);
      }
    }
    for (const k of ys) this.labelCounts[k]++;
    this.nExamples++;
  }

  /**
   * Forget everything learned and train from scratch on `examples` (each epoch visits them in an
   * order shuffled with the seed). Same examples in the same order => identical weights.
   */
  retrain(examples: ReadonlyArray<LabeledText>, opts: { epochs?: number } = {}): void {
    const steps = this.retrainSteps(examples, opts);
    while (!steps.next().done);
  }

  /**
   * retrain in steps: yields after every `stepSize` examples learned (default 500, about 2-4 ms
   * of 100-500-char texts), so that a server can train in the background between requests. The
   * model is consistent only once the generator is done: train a fresh classifier and swap it in.
   */
  *retrainSteps(examples: ReadonlyArray<LabeledText>, opts: { epochs?: number; stepSize?: number } = {}): Generator<void, void> {
    // reset weights, keep the label set (plus any new label in the examples)
    for (const ex of examples) this.targetIndices(ex.label);
    const L = this.L;
    this.W = new Float32Array(this.buckets * L + W_TAIL);
    this.G = new Float32Array(this.buckets);
    this.bias = new Float64Array(L);
    this.biasG = new Float64Array(L);
    this.plattA = new Float64Array(L).fill(1);
    this.plattC = new Float64Array(L);
    this.temperature = 1;
    this.labelCounts = new Array<number>(L).fill(0);
    this.nExamples = 0;
    this.calFill = 0;
    this.calPos = 0;
    this.calDirty = 0;

    const n = examples.length;
    if (n === 0) return;
    const stepSize = Math.max(1, opts.stepSize ?? 500);
    const ys = examples.map((ex) => this.targetIndices(ex.label));
    const epochs = opts.epochs ?? (this.epochsOpt === 'auto' ? Math.max(1, Math.min(5, Math.round(100000 / n))) : this.epochsOpt);
    const { train, held } = this.calibrationSplit(examples);

    let sinceYield = 0;
    const counts = new Array<number>(L).fill(0);
    for (const y of ys) for (const k of y) counts[k]++;
    const epoch = function* (this: TextClassifier, indices: number[], e: number): Generator<void, void> {
      // every epoch is shuffled (seeded): files are often sorted by label, and SGD in sorted
      // order ends up predicting whatever came last
      const order = permutation(indices.length, (Math.imul(this.seed, 7919) + e) | 0);
      for (let t = 0; t < indices.length; t++) {
        const i = indices[order[t]];
        const x = this.featurizer.featurizeScaled(examples[i].text);
        this.learn(x, x.scale, ys[i], false);
        if (++sinceYield >= stepSize) {
          sinceYield = 0;
          yield;
        }
      }
    };
    for (let e = 0; e < epochs; e++) yield* epoch.call(this, train, e);
    if (held.length > 0) {
      // record the held-out logits (out-of-sample) for calibration, then learn them: in one more
      // epoch over all examples when there were several (the held-out fifth drawn at random would
      // otherwise be learned once against five times), else once, as every other example
      for (const i of held) {
        const x = this.featurizer.featurizeScaled(examples[i].text);
        this.logits(x, x.scale);
        this.recordCalibration(ys[i]);
      }
      yield* epoch.call(this, epochs > 1 ? Array.from({ length: n }, (_, i) => i) : held, epochs);
    }
    this.labelCounts = counts;
    this.nExamples = n;
    if (held.length) this.recalibrate();
  }

  /**
   * Which examples retrain holds out for the calibration. The examples drawn at random, when at
   * least MIN_RANDOM_CALIBRATION say so (those the queue picked are its hard cases: a calibration
   * on them makes every other score too low); else, with enough examples, every 10th, or, when
   * the examples have groups, the groups whose name hashes to 0 mod 10, so that the held-out
   * texts are as new to the model as the texts it will be asked about.
   */
  private calibrationSplit(examples: ReadonlyArray<LabeledText>): { train: number[]; held: number[] } {
    const n = examples.length;
    const train: number[] = [];
    const held: number[] = [];
    if (!this.doCalibrate) {
      for (let i = 0; i < n; i++) train.push(i);
      return { train, held };
    }
    let drawn = 0;
    for (const ex of examples) if (ex.random === true) drawn++;
    if (drawn >= MIN_RANDOM_CALIBRATION && drawn < n) {
      for (let i = 0; i < n; i++) (examples[i].random === true ? held : train).push(i);
      return { train, held };
    }
    const holdOut = n >= 10 * MIN_CALIBRATION;
    const hasGroups = examples.some((ex) => ex.group !== undefined);
    const groupHeld = new Map<string, boolean>();
    let nGroups = 0;
    for (let i = 0; i < n; i++) {
      let h: boolean;
      const grp = examples[i].group;
      if (!holdOut || examples[i].random === false) h = false;
      else if (!hasGroups) h = i % 10 === 9;
      else if (grp === undefined) h = false;
      else {
        let v = groupHeld.get(grp);
        if (v === undefined) {
          v = fnv1a(grp, this.seed) % 10 === 0;
          groupHeld.set(grp, v);
          nGroups++;
        }
        h = v;
      }
      (h ? held : train).push(i);
    }
    if (hasGroups && (nGroups < 20 || held.length < MIN_CALIBRATION || train.length < held.length)) {
      // too few groups for a group hold-out: fall back to every 10th example
      train.length = 0;
      held.length = 0;
      for (let i = 0; i < n; i++) (holdOut && i % 10 === 9 && examples[i].random !== false ? held : train).push(i);
    }
    return { train, held };
  }

  // ------------------------------------------------------------------------------------------
  // calibration
  // ------------------------------------------------------------------------------------------

  /** Store this.z (logits) and the target of one out-of-sample example in the ring buffer. */
  private recordCalibration(ys: number[]): void {
    const L = this.L;
    const pos = this.calPos;
    const z = this.z;
    const off = pos * L;
    for (let k = 0; k < L; k++) this.calZ[off + k] = z[k];
    if (this.multiLabel) {
      const cy = this.calY as Uint8Array;
      cy.fill(0, off, off + L);
      for (const k of ys) cy[off + k] = 1;
    } else {
      (this.calY as Int32Array)[pos] = ys[0];
    }
    this.calPos = (pos + 1) % this.calCap;
    if (this.calFill < this.calCap) this.calFill++;
    this.calDirty++;
  }

  private maybeRecalibrate(): void {
    if (!this.doCalibrate || this.calDirty === 0 || this.calFill < MIN_RANDOM_CALIBRATION) return;
    // refit when the window changed by more than ~3% (and at least 16 examples)
    if (this.calDirty < Math.max(16, this.calFill >> 5)) return;
    this.recalibrate();
  }

  /** Fit the temperature / Platt parameters on the calibration window now. */
  recalibrate(): void {
    this.calDirty = 0;
    if (this.calFill < MIN_RANDOM_CALIBRATION || this.L === 0) return;
    if (this.multiLabel) this.fitPlatt();
    else this.fitTemperature();
  }

  private fitTemperature(): void {
    this.temperature = fitTemperature(this.calZ, this.calY as Int32Array, this.calFill, this.L);
  }

  private fitPlatt(): void {
    fitPlatt(this.calZ, this.calY as Uint8Array, this.calFill, this.L, this.plattA, this.plattC);
  }
}
