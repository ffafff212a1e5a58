// Small seeded PRNG so that everything random in the model (shuffles, random queue order) is
// reproducible: same seed => same sequence, on every platform.

/** mulberry32: 32-bit state, period 2^32, good enough for shuffling. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle driven by `rand`. */
export function shuffleInPlace<T>(arr: T[] | Int32Array | Uint32Array, rand: () => number): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t as never;
  }
}

/** A permutation of 0..n-1 from `seed`. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  shuffleInPlace(p, mulberry32(seed));
  return p;
}
