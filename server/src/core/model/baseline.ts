// The standard baseline the embedded model is measured against (bench, `loopmark simulate`):
// TF-IDF word and character n-grams with logistic regression trained to convergence, as
// scikit-learn does it:
//   - TfidfVectorizer(ngram_range=(1, 2)) over words (token_pattern \b\w\w+\b, lowercased) and
//     TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5)), each fitted on the training texts
//     (vocabulary and smooth idf = ln((1 + n) / (1 + df)) + 1), each row L2-normalised, the two
//     blocks side by side (a FeatureUnion);
//   - LogisticRegression(C=1): multinomial, L2 penalty 1/2 |W|^2 on the weights (not the
//     intercepts), minimised by L-BFGS (10 corrections) until the largest gradient entry is
//     under 1e-4 (scikit-learn's tol) or 500 iterations.
// It keeps an exact vocabulary in Maps and a sparse matrix of the training texts: what the
// embedded model's hashing and online updates avoid, and what its speed lead is measured against.

import { idfOf } from './idf';

export interface BaselineOptions {
  /** Inverse regularisation strength (default 1, scikit-learn's). */
  C?: number;
  /** Gradient tolerance (default 1e-4). */
  tol?: number;
  /** Iterations at most (default 500). */
  maxIter?: number;
}

export interface BaselinePrediction {
  label: string;
  score: number;
  scores: Record<string, number>;
}

const WORD = /\w\w+/gu;

function wordTerms(text: string, out: string[]): void {
  const words = text.toLowerCase().match(WORD) ?? [];
  for (let i = 0; i < words.length; i++) {
    out.push(`w ${words[i]}`);
    if (i > 0) out.push(`b ${words[i - 1]} ${words[i]}`);
  }
}

function charTerms(text: string, out: string[]): void {
  // char_wb: n-grams inside each whitespace-separated word padded with one space each side
  for (const w of text.toLowerCase().split(/\s+/)) {
    if (!w) continue;
    const p = ` ${w} `;
    for (let n = 2; n <= 5; n++) {
      if (p.length < n) break;
      for (let i = 0; i + n <= p.length; i++) out.push(p.slice(i, i + n));
    }
  }
}

/** One TF-IDF block: vocabulary and idf fitted on the training texts. */
class TfidfBlock {
  private readonly vocab = new Map<string, number>();
  private idf = new Float64Array(0);

  constructor(private readonly terms: (text: string, out: string[]) => void) {}

  get size(): number {
    return this.vocab.size;
  }

  fit(texts: readonly string[]): void {
    const df: number[] = [];
    const buf: string[] = [];
    for (const t of texts) {
      buf.length = 0;
      this.terms(t, buf);
      const seen = new Set<number>();
      for (const term of buf) {
        let j = this.vocab.get(term);
        if (j === undefined) {
          j = this.vocab.size;
          this.vocab.set(term, j);
          df.push(0);
        }
        if (!seen.has(j)) {
          seen.add(j);
          df[j]++;
        }
      }
    }
    this.idf = Float64Array.from(df, (d) => idfOf(texts.length, d));
  }

  /** The L2-normalised tf-idf row of a text: feature index (plus `offset`) -> value. */
  row(text: string, offset: number, cols: number[], vals: number[]): void {
    const buf: string[] = [];
    this.terms(text, buf);
    const tf = new Map<number, number>();
    for (const term of buf) {
      const j = this.vocab.get(term);
      if (j !== undefined) tf.set(j, (tf.get(j) ?? 0) + 1);
    }
    let norm = 0;
    const start = vals.length;
    for (const [j, c] of tf) {
      const v = c * this.idf[j]!;
      cols.push(j + offset);
      vals.push(v);
      norm += v * v;
    }
    const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = start; k < vals.length; k++) vals[k] *= s;
  }
}

interface Csr {
  ptr: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

export class TfidfLogisticRegression {
  private readonly words = new TfidfBlock(wordTerms);
  private readonly chars = new TfidfBlock(charTerms);
  private labels: string[] = [];
  private D = 0;
  /** Weights, feature-major: W[j * L + k]; then L intercepts. */
  private theta = new Float64Array(0);
  /** L-BFGS iterations of the last fit, and whether it met the tolerance. */
  iterations = 0;
  converged = false;

  constructor(private readonly opts: BaselineOptions = {}) {}

  private rows(texts: readonly string[]): Csr {
    const ptr = new Int32Array(texts.length + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    texts.forEach((t, i) => {
      this.words.row(t, 0, cols, vals);
      this.chars.row(t, this.words.size, cols, vals);
      ptr[i + 1] = cols.length;
    });
    return { ptr, col: Int32Array.from(cols), val: Float64Array.from(vals) };
  }

  fit(texts: readonly string[], gold: readonly string[], labels?: readonly string[]): void {
    this.labels = labels ? [...labels] : [...new Set(gold)].sort();
    const index = new Map(this.labels.map((l, k) => [l, k]));
    this.words.fit(texts);
    this.chars.fit(texts);
    this.D = this.words.size + this.chars.size;
    const X = this.rows(texts);
    const y = Int32Array.from(gold, (g) => index.get(g) ?? 0);
    const L = this.labels.length;
    const D = this.D;
    const C = this.opts.C ?? 1;
    const n = texts.length;
    const z = new Float64Array(L);
    const objective = (theta: Float64Array, grad: Float64Array): number => {
      grad.fill(0);
      let f = 0;
      for (let j = 0; j < D * L; j++) {
        f += 0.5 * theta[j]! * theta[j]!;
        grad[j] = theta[j]!;
      }
      const bias = D * L;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < L; k++) z[k] = theta[bias + k]!;
        for (let p = X.ptr[i]!; p < X.ptr[i + 1]!; p++) {
          const base = X.col[p]! * L;
          const v = X.val[p]!;
          for (let k = 0; k < L; k++) z[k] += theta[base + k]! * v;
        }
        let max = -Infinity;
        for (let k = 0; k < L; k++) if (z[k]! > max) max = z[k]!;
        let s = 0;
        for (let k = 0; k < L; k++) {
          z[k] = Math.exp(z[k]! - max);
          s += z[k]!;
        }
        const yi = y[i]!;
        f += C * -Math.log(z[yi]! / s);
        for (let k = 0; k < L; k++) z[k] = C * (z[k]! / s - (k === yi ? 1 : 0));
        for (let k = 0; k < L; k++) grad[bias + k] += z[k]!;
        for (let p = X.ptr[i]!; p < X.ptr[i + 1]!; p++) {
          const base = X.col[p]! * L;
          const v = X.val[p]!;
          for (let k = 0; k < L; k++) grad[base + k] += z[k]! * v;
        }
      }
      return f;
    };
    const { x, iterations, converged } = lbfgs(objective, new Float64Array(D * L + L), this.opts.tol ?? 1e-4, this.opts.maxIter ?? 500);
    this.theta = Float64Array.from(x);
    this.iterations = iterations;
    this.converged = converged;
  }

  predict(text: string): BaselinePrediction {
    const X = this.rows([text]);
    const L = this.labels.length;
    const z = new Float64Array(L);
    for (let k = 0; k < L; k++) z[k] = this.theta[this.D * L + k]!;
    for (let p = 0; p < X.col.length; p++) for (let k = 0; k < L; k++) z[k] += this.theta[X.col[p]! * L + k]! * X.val[p]!;
    let max = -Infinity;
    for (const v of z) if (v > max) max = v;
    let s = 0;
    for (let k = 0; k < L; k++) s += (z[k] = Math.exp(z[k]! - max));
    const scores: Record<string, number> = {};
    let best = 0;
    for (let k = 0; k < L; k++) {
      scores[this.labels[k]!] = z[k]! / s;
      if (z[k]! > z[best]!) best = k;
    }
    return { label: this.labels[best] ?? '', score: z[best]! / s, scores };
  }

  /** Bytes held by the fitted weights (the vocabulary Maps come on top). */
  weightBytes(): number {
    return this.theta.byteLength;
  }
}

/**
 * Limited-memory BFGS (m = 10) with a backtracking Armijo line search, from x0, until the largest
 * gradient entry is under `tol`.
 */
export function lbfgs(
  f: (x: Float64Array, g: Float64Array) => number,
  x0: Float64Array,
  tol: number,
  maxIter: number,
): { x: Float64Array; value: number; iterations: number; converged: boolean } {
  const m = 10;
  const dim = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(dim);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < dim; i++) s += a[i]! * b[i]!;
    return s;
  };
  const maxAbs = (a: Float64Array): number => {
    let v = 0;
    for (let i = 0; i < dim; i++) v = Math.max(v, Math.abs(a[i]!));
    return v;
  };
  const d = new Float64Array(dim);
  const alpha = new Array<number>(m).fill(0);
  const xNew = new Float64Array(dim);
  let gNew = new Float64Array(dim);
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(g) <= tol) return { x, value: fx, iterations: it, converged: true };
    // two-loop recursion: d = -H g
    for (let i = 0; i < dim; i++) d[i] = -g[i]!;
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(S[j]!, d);
      const yj = Y[j]!;
      const a = alpha[j]!;
      for (let i = 0; i < dim; i++) d[i] -= a * yj[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < dim; i++) d[i] *= gamma;
    }
    for (let j = 0; j < S.length; j++) {
      const b = rho[j]! * dot(Y[j]!, d);
      const sj = S[j]!;
      const c = alpha[j]! - b;
      for (let i = 0; i < dim; i++) d[i] += c * sj[i]!;
    }
    let gd = dot(g, d);
    if (!(gd < 0)) {
      // not a descent direction: restart from the gradient
      for (let i = 0; i < dim; i++) d[i] = -g[i]!;
      gd = dot(g, d);
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
    }
    let step = it === 0 && S.length === 0 ? Math.min(1, 1 / Math.sqrt(-gd)) : 1;
    let fNew = 0;
    for (let tries = 0; ; tries++) {
      for (let i = 0; i < dim; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * gd || tries >= 30) break;
      step *= 0.5;
    }
    const s = new Float64Array(dim);
    const yv = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = xNew[i]! - x[i]!;
      yv[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const converged = Math.abs(fx - fNew) <= 1e-12 * Math.max(1, Math.abs(fx));
    x = Float64Array.from(xNew);
    [g, gNew] = [gNew, g];
    fx = fNew;
    if (converged) return { x, value: fx, iterations: it + 1, converged: maxAbs(g) <= tol * 10 };
  }
  return { x, value: fx, iterations: maxIter, converged: maxAbs(g) <= tol };
}
