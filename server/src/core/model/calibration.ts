// Probability calibration of the embedded classifier, fitted on out-of-sample logits.
//
//  - single-label: one temperature T, p = softmax(z / T). The negative log-likelihood is
//    minimised in log T with a Gaussian prior on log T (PRIOR_STRENGTH pseudo-examples at T = 1)
//    and T kept in [MIN_TEMPERATURE, MAX_TEMPERATURE]. Why: without a prior, a hold-out with no
//    error drives the likelihood to T -> 0; the shipped fit hit its floor (T = 0.01-0.02) in 2 of
//    25 retrains of a published study, and then nearly every prediction scored >= 0.8, errors
//    included, and nothing went to review.
//  - multi-label: per label Platt scaling, p_k = sigmoid(a_k z_k + c_k), with a weak Gaussian
//    prior pulling (a, c) towards the identity (1, 0) so that rare labels stay sane.
//
// The logits are those of examples the model had not learned yet, and only examples drawn at
// random count (the queue draws about a fifth of every batch at random for that): a window of the
// hard cases the queue picked made the online model's calibration error .139 after 1,000 labels,
// against .035 in random order (the study quoted in issue 11).

/** Bounds of the temperature: a model at most 5x sharper or 5x softer than its raw logits. */
export const MIN_TEMPERATURE = 0.2;
export const MAX_TEMPERATURE = 5;
/** Weight of the prior on log T, in examples: 10 calibration examples move T about as far as the prior holds it. */
export const PRIOR_STRENGTH = 5;

/**
 * Negative log-likelihood of softmax(beta * z) over N rows of L logits (row-major in Z) with the
 * gold label index of each row in Y.
 */
function temperatureNll(Z: Float32Array, Y: Int32Array, N: number, L: number, beta: number): number {
  let f = 0;
  for (let i = 0; i < N; i++) {
    const off = i * L;
    let max = -Infinity;
    for (let k = 0; k < L; k++) if (Z[off + k] > max) max = Z[off + k]!;
    let s = 0;
    for (let k = 0; k < L; k++) s += Math.exp(beta * (Z[off + k]! - max));
    f += Math.log(s) - beta * (Z[off + Y[i]!]! - max);
  }
  return f;
}

/**
 * The temperature that minimises NLL + PRIOR_STRENGTH / 2 * (log T)^2 over the window, within
 * [MIN_TEMPERATURE, MAX_TEMPERATURE], by golden-section search on log T (the objective is
 * unimodal there; 40 steps narrow the bracket to 1e-8 of its width). 1 with fewer than 2 labels
 * or no rows.
 */
export function fitTemperature(Z: Float32Array, Y: Int32Array, N: number, L: number, prior = PRIOR_STRENGTH): number {
  if (L < 2 || N === 0) return 1;
  // u = log beta = -log T
  const objective = (u: number): number => temperatureNll(Z, Y, N, L, Math.exp(u)) + 0.5 * prior * u * u;
  let lo = -Math.log(MAX_TEMPERATURE);
  let hi = -Math.log(MIN_TEMPERATURE);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = objective(a);
  let fb = objective(b);
  for (let it = 0; it < 40; it++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = objective(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = objective(b);
    }
  }
  const u = (lo + hi) / 2;
  return Math.min(MAX_TEMPERATURE, Math.max(MIN_TEMPERATURE, Math.exp(-u)));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Per label k: (a_k, c_k) of p = sigmoid(a z + c) by Newton's method on NLL + lambda/2 ((a-1)^2 +
 * c^2), starting from (A[k], C[k]) and written back there; Y holds N x L 0/1 targets.
 */
export function fitPlatt(Z: Float32Array, Y: Uint8Array, N: number, L: number, A: Float64Array, C: Float64Array): void {
  const lambda = 1; // prior strength (in examples)
  for (let k = 0; k < L; k++) {
    let a = A[k]!;
    let c = C[k]!;
    for (let it = 0; it < 25; it++) {
      let ga = lambda * (a - 1);
      let gc = lambda * c;
      let haa = lambda;
      let hac = 0;
      let hcc = lambda;
      for (let i = 0; i < N; i++) {
        const zi = Z[i * L + k]!;
        const pi = sigmoid(a * zi + c);
        const r = pi - Y[i * L + k]!;
        const w = pi * (1 - pi);
        ga += r * zi;
        gc += r;
        haa += w * zi * zi;
        hac += w * zi;
        hcc += w;
      }
      const det = haa * hcc - hac * hac;
      if (!(det > 1e-12)) break;
      const da = (hcc * ga - hac * gc) / det;
      const dc = (haa * gc - hac * ga) / det;
      a -= da;
      c -= dc;
      if (Math.abs(da) + Math.abs(dc) < 1e-7) break;
    }
    if (Number.isFinite(a) && Number.isFinite(c)) {
      A[k] = Math.max(0.01, a);
      C[k] = c;
    }
  }
}
