// Exact and near-duplicate samples across a dataset, kept up to date one sample at a time.
//
// Near duplicates: MinHash over 5-word shingles (datatrove's n_grams=5) with LSH banding, as
// datatrove and NeMo Curator do. 128 hash functions in 16 bands of 8 rows: a pair becomes a
// candidate with probability 1-(1-J^8)^16, which is 0.95 at Jaccard 0.8 and 0.9999 at 0.9 (the
// S-curve's midpoint is (1/16)^(1/8) = 0.71); each candidate is then kept only if its signatures
// agree on at least `threshold` of the 128 positions (the MinHash estimate of Jaccard, standard
// error 0.035 at 0.8). datatrove uses 14 bands × 8 (112 hashes, midpoint 0.72); NeMo Curator 20 × 13
// (260 hashes, midpoint 0.79) over character 24-grams. Exact duplicates: a 64-bit hash of the text
// with whitespace collapsed.
//
// Incremental: set() of one sample replaces its signature and its 16 band entries and returns the
// samples whose partner may have changed; nothing else is recomputed.

export interface DuplicateOptions {
  /** Estimated Jaccard similarity from which two samples are near duplicates. */
  threshold: number;
  bands: number;
  rows: number;
  /** Words per shingle. */
  shingle: number;
}

export const DEFAULT_DUPLICATE_OPTIONS: DuplicateOptions = { threshold: 0.8, bands: 16, rows: 8, shingle: 5 };

export interface DuplicatePartner {
  key: number;
  /** 1 for an exact duplicate; the MinHash estimate of Jaccard otherwise. */
  similarity: number;
  exact: boolean;
}

interface Entry {
  exact: string;
  signature: Int32Array | undefined;
  bandKeys: number[];
}

/** 32-bit FNV-1a of a string. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A mixer (the murmur3 finalizer): spreads the bits of a 32-bit value. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Lowercased words (runs of letters and digits) of a text, each as a 32-bit hash; one pass, no regex for ASCII. */
function wordHashes(text: string): number[] {
  const out: number[] = [];
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    let letter: boolean;
    if (c < 128) {
      if (c >= 65 && c <= 90) c += 32;
      letter = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    } else letter = LETTER.test(text[i]);
    if (letter) {
      if (!inWord) h = 0x811c9dc5;
      h = Math.imul(h ^ c, 0x01000193);
      inWord = true;
    } else if (inWord) {
      out.push(h);
      inWord = false;
    }
  }
  if (inWord) out.push(h);
  return out;
}
const LETTER = /[\p{L}\p{N}]/u;

/** Hashes of the distinct `n`-word shingles of a text (one shingle of all words when it has fewer), well mixed. */
export function shingleHashes(text: string, n: number): Int32Array {
  const words = wordHashes(text);
  if (words.length === 0) return new Int32Array(0);
  const count = Math.max(1, words.length - n + 1);
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    let h = 0x9747b28c | 0;
    const end = Math.min(i + n, words.length);
    for (let j = i; j < end; j++) h = Math.imul(h ^ words[j], 0x5bd1e995) ^ (h >>> 15);
    out.add(fmix(h) | 0);
  }
  return Int32Array.from(out);
}

/**
 * The MinHash signature: for each hash function h_i(x) = a_i·x + b_i (mod 2^32, a_i odd), the minimum
 * over the shingles. The shingle hashes are already mixed, so the multiply-add family is enough, and
 * it costs 2 operations per shingle and function (the 128 × 97 per GSM8K sample are the hot loop).
 */
export function minhash(shingles: Int32Array, a: Int32Array, b: Int32Array): Int32Array {
  const sig = new Int32Array(a.length).fill(0x7fffffff);
  for (let s = 0; s < shingles.length; s++) {
    const x = shingles[s];
    for (let i = 0; i < a.length; i++) {
      const h = (Math.imul(a[i], x) + b[i]) | 0;
      if (h < sig[i]) sig[i] = h;
    }
  }
  return sig;
}

/** Share of positions where two signatures agree: the MinHash estimate of the Jaccard similarity. */
export function estimateJaccard(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Text as the exact check compares it: whitespace runs collapsed, ends trimmed; as a 64-bit hash. */
function exactKey(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return `${fnv1a(t).toString(36)}.${fnv1a(t, 0x2545f491).toString(36)}.${t.length}`;
}

export class DuplicateIndex {
  readonly options: DuplicateOptions;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly entries = new Map<number, Entry>();
  private readonly exact = new Map<string, Set<number>>();
  private readonly buckets: Array<Map<number, number[]>>;

  constructor(options: Partial<DuplicateOptions> = {}) {
    this.options = { ...DEFAULT_DUPLICATE_OPTIONS, ...options };
    const size = this.options.bands * this.options.rows;
    this.a = new Int32Array(size);
    this.b = new Int32Array(size);
    // Fixed seeds: the same text gets the same signature in every run (deterministic diagnostics).
    for (let i = 0; i < size; i++) {
      this.a[i] = fmix(0x1b873593 + i * 0x9e3779b9) | 1;
      this.b[i] = fmix(0x2545f491 ^ (i * 0x85ebca6b));
    }
    this.buckets = Array.from({ length: this.options.bands }, () => new Map<number, number[]>());
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Sets the text of sample `key` (keys order the samples: the record index, or any number that
   * sorts in file order). Returns the other samples whose partner may have changed.
   */
  set(key: number, text: string): number[] {
    const affected = new Set<number>(this.delete(key));
    const { bands, rows, shingle } = this.options;
    const shingles = shingleHashes(text, shingle);
    const signature = shingles.length ? minhash(shingles, this.a, this.b) : undefined;
    const entry: Entry = { exact: exactKey(text), signature, bandKeys: [] };
    if (signature) {
      for (let b = 0; b < bands; b++) {
        let h = 0x3c6ef372 ^ b;
        for (let r = 0; r < rows; r++) h = fmix(h ^ signature[b * rows + r]);
        entry.bandKeys.push(h);
        const bucket = this.buckets[b].get(h);
        if (bucket) {
          for (const k of bucket) affected.add(k);
          bucket.push(key);
        } else this.buckets[b].set(h, [key]);
      }
    }
    if (text.trim()) {
      let same = this.exact.get(entry.exact);
      if (!same) this.exact.set(entry.exact, (same = new Set()));
      for (const k of same) affected.add(k);
      same.add(key);
    }
    this.entries.set(key, entry);
    affected.delete(key);
    return [...affected];
  }

  /** Removes sample `key`; returns the samples that shared a bucket with it. */
  delete(key: number): number[] {
    const entry = this.entries.get(key);
    if (!entry) return [];
    const affected = new Set<number>();
    entry.bandKeys.forEach((h, b) => {
      const bucket = this.buckets[b].get(h);
      if (!bucket) return;
      const i = bucket.indexOf(key);
      if (i >= 0) bucket.splice(i, 1);
      if (bucket.length === 0) this.buckets[b].delete(h);
      else for (const k of bucket) affected.add(k);
    });
    const same = this.exact.get(entry.exact);
    if (same) {
      same.delete(key);
      if (same.size === 0) this.exact.delete(entry.exact);
      else for (const k of same) affected.add(k);
    }
    this.entries.delete(key);
    return [...affected];
  }

  /** Every other sample that is an exact or near duplicate of `key`, most similar first, then in key order. */
  partners(key: number): DuplicatePartner[] {
    const entry = this.entries.get(key);
    if (!entry) return [];
    const out = new Map<number, DuplicatePartner>();
    for (const k of this.exact.get(entry.exact) ?? []) if (k !== key) out.set(k, { key: k, similarity: 1, exact: true });
    if (entry.signature) {
      entry.bandKeys.forEach((h, b) => {
        for (const k of this.buckets[b].get(h) ?? []) {
          if (k === key || out.has(k)) continue;
          const other = this.entries.get(k)?.signature;
          const sim = other ? estimateJaccard(entry.signature!, other) : 0;
          if (sim >= this.options.threshold) out.set(k, { key: k, similarity: sim, exact: false });
        }
      });
    }
    return [...out.values()].sort((a, b) => Number(b.exact) - Number(a.exact) || b.similarity - a.similarity || a.key - b.key);
  }

  /**
   * The earlier sample that `key` duplicates (exact first, then the most similar), or undefined. The
   * first of a group is the one kept: it gets no finding, the later ones point to it.
   */
  earlierPartner(key: number): DuplicatePartner | undefined {
    return this.partners(key).find((p) => p.key < key);
  }
}
