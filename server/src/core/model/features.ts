// Text -> sparse hashed feature vector (the input of the embedded classifier).
//
// Features, hashed into `buckets` slots (FNV-1a over UTF-16 code units, then a murmur3 finaliser
// or Fibonacci hashing to pick the bucket):
//   - lowercased word unigrams and word bigrams; a punctuation character is a token of its own;
//     digits are folded to '0' (so "1999" and "2024" share features);
//   - character n-grams (default 4-grams) inside each word padded with boundary markers, so "cat"
//     yields "<cat" and "cat>" (with 3- to 5-grams: "<ca", "cat", "at>", "<cat", "cat>", "<cat>").
// Values are sublinear term frequencies (sqrt by default, or 1 + log) times a per-family weight,
// times the bucket's inverse document frequency when one is set (idf.ts, counted over the
// dataset being labeled); the vector is L2-normalised.
//
// Hot path, all in reusable typed arrays: the text's UTF-16 codes are copied by one native call
// (TextEncoder.encodeInto, which also tells an ASCII text: reading a 500-char string with
// charCodeAt cost 2 us by itself), tokenised in one flat pass that lowercases and folds digits in
// place, repeated tokens merged into "types" with counts, and the n-grams of each type hashed by
// a window sliding over its codes. By default (mergeGrams: false) nothing else is deduplicated: a
// repeated bigram or an n-gram shared by two words is one entry per occurrence (the consumer sums
// them), as in fastText; merging the word features in a hash table cost an eighth of the time
// for the same held-out figures on the Brown sections (5-fold macro-F1 .641, .640 merged). Measured
// on the 2-core dev machine, a 500-char English passage (~430 features): 8 us, against 14 us
// before this design (charCodeAt scans, word features merged in a table, an n-gram cache).

export type TfMode = 'sqrt' | 'log' | 'binary' | 'raw';

export interface FeatureOptions {
  /** Number of hash buckets; rounded up to a power of two. Default 2^18. */
  buckets?: number;
  /** Emit word unigrams (default true). */
  unigrams?: boolean;
  /** Emit word bigrams (default true). */
  bigrams?: boolean;
  /**
   * Smallest char n-gram length (default 4). Character 4-grams alone beat 3-5-grams on the Brown
   * sections after a full retrain (5-fold macro-F1 .641 vs .616) at half the features, so
   * prediction is 1.6x faster (14 vs 24 us for a 500-char text). Set charMax < charMin to disable.
   */
  charMin?: number;
  /** Largest char n-gram length (default 4). */
  charMax?: number;
  /** Term-frequency transform (default 'sqrt'). */
  tf?: TfMode;
  /** Weight of word features relative to char n-grams before normalisation (default 1). */
  wordWeight?: number;
  /** Weight of char n-gram features (default 1). */
  charWeight?: number;
  /** Replace every digit by '0' so numbers generalise (default true). */
  foldDigits?: boolean;
  /** Only the first maxChars characters of a text are featurised (default 20,000). */
  maxChars?: number;
  /**
   * Merge every repeated bucket (n-grams shared by different words, repeated bigrams) into one
   * feature with the exact tf (default false: fastText-style, each word type adds its own n-grams
   * and each bigram occurrence its own entry; twice as fast).
   */
  mergeGrams?: boolean;
}

/**
 * A sparse vector: entry j is (indices[j], values[j]) for j < length, unigrams first, then
 * bigrams, then char n-grams, each in first-seen order. With `mergeGrams: true` the indices are
 * distinct bucket numbers; by default a bucket may appear more than once (an n-gram shared by
 * several words, a repeated bigram): sum them.
 */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
  /** Number of valid entries (the arrays may be longer: reused buffers). */
  length: number;
}

/**
 * The zero-copy form used on the hot path: `values` are NOT normalised; the L2-normalised vector
 * is `values[i] * scale`. (Folding the scale into the consumer's dot product saves a pass.)
 */
export interface ScaledSparseVector extends SparseVector {
  scale: number;
}

// term-frequency transforms (sqrt / log precomputed for small counts)
const TF_TABLE = 256;
const SQRT_TF = new Float64Array(TF_TABLE);
const LOG_TF = new Float64Array(TF_TABLE);
for (let t = 1; t < TF_TABLE; t++) {
  SQRT_TF[t] = Math.sqrt(t);
  LOG_TF[t] = 1 + Math.log(t);
}
const tfSqrt = (t: number): number => (t < TF_TABLE ? SQRT_TF[t] : Math.sqrt(t));
const tfLog = (t: number): number => (t < TF_TABLE ? LOG_TF[t] : 1 + Math.log(t));
const tfBinary = (_t: number): number => 1;
const tfRaw = (t: number): number => t;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
// Namespace seeds so that a word "abc" and the char trigram "abc" land in different buckets.
const SEED_WORD = 0x5bd1e995 | 0;
const SEED_BIGRAM = 0x1b873593 | 0;
const SEED_CHAR = 0xcc9e2d51 | 0;
const BOW = 2; // begin-of-word marker code
const EOW = 3; // end-of-word marker code
const MAX_WORD = 64; // chars of a word used for char n-grams (longer words: their first 64)
const GOLDEN = 0x9e3779b1 | 0;

/** murmur3 32-bit finaliser: spreads FNV's weak low bits before masking. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string (exported for tests and callers that need it). */
export function fnv1a(s: string, seed = FNV_OFFSET): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

// Character classes for the tokenizer: 0 = separator, 1 = word char, 2 = punctuation token.
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) ASCII_CLASS[c] = 1;
  else if (c <= 32 || c === 127) ASCII_CLASS[c] = 0;
  else ASCII_CLASS[c] = 2;
}

function charClass(c: number): number {
  if (c < 128) return ASCII_CLASS[c];
  if (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff) return 0;
  if ((c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205e) || (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) || c === 0xab || c === 0xbb || c === 0xbf || c === 0xa1) return 2;
  return 1; // letters, digits, marks, CJK, emoji surrogates...
}

/**
 * The char 4-gram buckets of the word codes[s0, s0 + len), padded with BOW and EOW, into
 * out[off...]: a window of 4 codes slides over the word (the same FNV-1a hash as the general
 * case, without copying the word). Returns how many (len - 1, or 0 for a one-char word).
 */
function quadGrams(codes: Uint16Array, s0: number, len: number, sh: number, out: Int32Array, off: number): number {
  if (len < 2) return 0;
  let k = off;
  let c0 = BOW;
  let c1 = codes[s0];
  let c2 = codes[s0 + 1];
  for (let j = s0 + 2, e = s0 + len; j < e; j++) {
    const c3 = codes[j];
    out[k++] = Math.imul(Math.imul(Math.imul(Math.imul(Math.imul(SEED_CHAR ^ c0, FNV_PRIME) ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3, FNV_PRIME), GOLDEN) >>> sh;
    c0 = c1;
    c1 = c2;
    c2 = c3;
  }
  out[k++] = Math.imul(Math.imul(Math.imul(Math.imul(Math.imul(SEED_CHAR ^ c0, FNV_PRIME) ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ EOW, FNV_PRIME), GOLDEN) >>> sh;
  return k - off;
}

// shared by all featurisers: encodeInto keeps no state between calls
const ENCODER = new TextEncoder();

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export class Featurizer {
  readonly buckets: number;
  readonly options: Readonly<Required<FeatureOptions>>;
  private readonly mask: number;
  private readonly shift: number;
  /** ASCII code -> char class << 16 | the code lowercased (and, with foldDigits, digit-folded). */
  private readonly classFold = new Int32Array(128);
  private readonly tf: (t: number) => number;
  private capChars = -1;
  // the text as UTF-16 code units, lowercased and digit-folded in place by the scan
  private codes = new Uint16Array(0);
  private bytes = new Uint8Array(0); // encodeInto target: tells an ASCII text in one native call
  // tokens of the current text: start, length (0 = a punctuation char), hash
  private tokStart = new Int32Array(0);
  private tokLen = new Int32Array(0);
  private tokHash = new Int32Array(0);
  // its types (distinct tokens): open-addressing table of [hash, id + 1] pairs (0 = empty), and
  // per type its slot there (to clear it afterwards), first occurrence, length and count
  private typeTable = new Int32Array(0);
  private typeSlot = new Int32Array(0);
  private typeStart = new Int32Array(0);
  private typeLen = new Int32Array(0);
  private typeCount = new Int32Array(0);
  private nTypes = 0;
  private nBigrams = 0;
  // mergeGrams' dedup table: open addressing on the bucket number, entries are [key, slot] pairs
  // (key -1 = empty), slot = position of the feature in the output; outSlot[slot] = its entry,
  // so that only the used entries are cleared
  private table = new Int32Array(0);
  private outSlot = new Int32Array(0);
  // output buffers, reused between calls; countTypes also leaves the unigram bucket of type t in
  // outIdx[t] and the bigram buckets from outIdx[capChars] on
  private outIdx = new Int32Array(0);
  private outVal = new Float32Array(0);
  private readonly wordBuf = new Int32Array(MAX_WORD + 2);
  private gramBuf = new Int32Array(0); // grams of one word (mergeGrams)
  private readonly result: ScaledSparseVector = { indices: new Int32Array(0), values: new Float32Array(0), length: 0, scale: 1 };
  /** Inverse document frequency per bucket (idf.ts), or undefined: every feature weighs 1. */
  private idfTable: Float32Array | undefined;

  constructor(opts: FeatureOptions = {}) {
    const buckets = nextPow2(Math.max(16, opts.buckets ?? 1 << 18));
    if (buckets > 1 << 30) throw new RangeError('buckets must be at most 2^30');
    this.options = Object.freeze({
      buckets,
      unigrams: opts.unigrams ?? true,
      bigrams: opts.bigrams ?? true,
      charMin: Math.max(1, opts.charMin ?? 4),
      charMax: opts.charMax ?? 4,
      tf: opts.tf ?? 'sqrt',
      wordWeight: opts.wordWeight ?? 1,
      charWeight: opts.charWeight ?? 1,
      foldDigits: opts.foldDigits ?? true,
      maxChars: opts.maxChars ?? 20000,
      mergeGrams: opts.mergeGrams ?? false,
    });
    this.buckets = buckets;
    this.mask = buckets - 1;
    this.shift = 32 - Math.round(Math.log2(buckets));
    for (let c = 0; c < 128; c++) {
      const cls = ASCII_CLASS[c];
      const folded = this.options.foldDigits && c >= 48 && c <= 57 ? 48 : c >= 65 && c <= 90 ? c + 32 : c;
      this.classFold[c] = (cls << 16) | (cls === 1 ? folded : c);
    }
    const tf = this.options.tf;
    this.tf = tf === 'sqrt' ? tfSqrt : tf === 'log' ? tfLog : tf === 'binary' ? tfBinary : tfRaw;
    this.gramBuf = new Int32Array(Math.max(1, this.gramCount(MAX_WORD)));
    this.ensureCapacity(256);
  }

  /**
   * Weigh every feature by the idf of its bucket (one float per bucket, from DocumentFrequencies
   * with this featuriser's options), or stop weighing (undefined).
   */
  setIdf(idf: Float32Array | undefined): void {
    if (idf && idf.length !== this.buckets) throw new RangeError(`idf has ${idf.length} buckets, the featuriser ${this.buckets}`);
    this.idfTable = idf;
  }

  get idf(): Float32Array | undefined {
    return this.idfTable;
  }

  /** Number of char n-grams of a word of `len` chars (padded to len + 2). */
  private gramCount(len: number): number {
    const { charMin, charMax } = this.options;
    let c = 0;
    for (let k = charMin; k <= charMax; k++) c += Math.max(0, len + 2 - k + 1);
    return c;
  }

  /**
   * Char n-gram buckets of the (folded) word codes[start, start + len) into out[off...]; returns
   * how many. FNV-1a from each start position, emitting every length from charMin to charMax.
   */
  private wordGrams(codes: Uint16Array, start: number, len: number, out: Int32Array, off: number): number {
    const cmin = this.options.charMin;
    const cmax = this.options.charMax;
    const sh = this.shift;
    if (cmin === 4 && cmax === 4) return quadGrams(codes, start, len, sh, out, off);
    const wb = this.wordBuf;
    wb[0] = BOW;
    for (let j = 0; j < len; j++) wb[j + 1] = codes[start + j];
    wb[len + 1] = EOW;
    const m = len + 2;
    let k = off;
    for (let st = 0; st + cmin <= m; st++) {
      let g = SEED_CHAR;
      const end = st + cmax <= m ? st + cmax : m;
      const first = st + cmin - 1;
      for (let j = st; j < end; j++) {
        g = Math.imul(g ^ wb[j], FNV_PRIME);
        if (j >= first) out[k++] = Math.imul(g, GOLDEN) >>> sh; // Fibonacci hashing: top bits
      }
    }
    return k - off;
  }

  /** Size the reusable buffers for a text of n chars (grows only). */
  private ensureCapacity(n: number): void {
    if (n <= this.capChars) return;
    const cap = nextPow2(Math.max(n, 64));
    this.capChars = cap;
    const o = this.options;
    const nChar = o.charMax >= o.charMin ? o.charMax - o.charMin + 1 : 0;
    // at most n tokens/types, n bigrams; the char grams of the types are at most
    // nChar * (sum of padded type lengths) <= nChar * 3n
    this.codes = new Uint16Array(cap);
    this.bytes = new Uint8Array(cap);
    this.tokStart = new Int32Array(cap);
    this.tokLen = new Int32Array(cap);
    this.tokHash = new Int32Array(cap);
    this.typeTable = new Int32Array(4 * cap);
    this.typeSlot = new Int32Array(cap);
    this.typeStart = new Int32Array(cap);
    this.typeLen = new Int32Array(cap);
    this.typeCount = new Int32Array(cap);
    const maxOut = nextPow2(2 * cap + nChar * 3 * cap + 8);
    this.outIdx = new Int32Array(maxOut);
    this.outVal = new Float32Array(maxOut);
    if (o.mergeGrams) {
      this.outSlot = new Int32Array(maxOut);
      this.table = new Int32Array(4 * maxOut).fill(-1);
    }
  }

  /**
   * The text's first maxChars chars, lowercased, into this.codes; returns their number. An ASCII
   * text (one native encodeInto tells) is copied as is and lowercased by the scan; any other is
   * lowercased by toLowerCase first (which may change its length) and copied char by char.
   */
  private loadCodes(text: string): number {
    const src = text.length > this.options.maxChars ? text.slice(0, this.options.maxChars) : text;
    const n = src.length;
    this.ensureCapacity(n);
    // a full buffer stops the encoder early: read < n then, so the test below still holds
    const r = ENCODER.encodeInto(src, this.bytes);
    if (r.read === n && r.written === n) {
      this.codes.set(n === this.bytes.length ? this.bytes : this.bytes.subarray(0, n));
      return n;
    }
    const s = src.toLowerCase();
    const m = s.length;
    this.ensureCapacity(m);
    const codes = this.codes;
    for (let i = 0; i < m; i++) codes[i] = s.charCodeAt(i);
    return m;
  }

  /**
   * Tokenise this.codes[0, n) in one flat pass (a branch per token boundary rather than several
   * per token), lowercasing and folding digits in place; fills tokStart/tokLen/tokHash and returns
   * the number of tokens. A word's hash is FNV-1a over its folded codes, a punctuation char's the
   * same over that one char.
   */
  private scanTokens(n: number): number {
    const codes = this.codes;
    const cf = this.classFold;
    const kStart = this.tokStart;
    const kLen = this.tokLen;
    const kHash = this.tokHash;
    let nTok = 0;
    let h = SEED_WORD;
    let start = 0; // where the current word (if any) started
    for (let i = 0; i < n; i++) {
      const x = codes[i];
      const e = x < 128 ? cf[x] : (charClass(x) << 16) | x;
      const c = e & 0xffff;
      if (e >>> 16 === 1) {
        codes[i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
        continue;
      }
      if (i > start) {
        kStart[nTok] = start;
        kLen[nTok] = i - start;
        kHash[nTok++] = h;
        h = SEED_WORD;
      }
      start = i + 1;
      if (e >= 2 << 16) {
        kStart[nTok] = i;
        kLen[nTok] = 0;
        kHash[nTok++] = Math.imul(SEED_WORD ^ c, FNV_PRIME);
      }
    }
    if (n > start) {
      kStart[nTok] = start;
      kLen[nTok] = n - start;
      kHash[nTok++] = h;
    }
    return nTok;
  }

  /**
   * Merge the tokens into types (first occurrence, length, count), into this.nTypes; the
   * unigram bucket of type t goes to outIdx[t], the bucket of the i-th bigram to
   * outIdx[capChars + i] (this.nBigrams of them).
   */
  private countTypes(nTok: number): void {
    const kStart = this.tokStart;
    const kLen = this.tokLen;
    const kHash = this.tokHash;
    const ttab = this.typeTable;
    const tSlot = this.typeSlot;
    const tStart = this.typeStart;
    const tLen = this.typeLen;
    const tCount = this.typeCount;
    const outIdx = this.outIdx;
    const bmask = this.mask;
    const biBase = this.capChars;
    const bi = this.options.bigrams;
    let ttSize = 16;
    while (ttSize < 2 * nTok) ttSize *= 2;
    const ttMask = ttSize - 1;
    let nTypes = 0;
    let nBi = 0;
    let prev = 0; // hash of the previous token (0 = none)
    for (let k = 0; k < nTok; k++) {
      const h = kHash[k];
      const len = kLen[k];
      let p = (Math.imul(h, GOLDEN) >>> 0) & ttMask;
      for (;;) {
        const id1 = ttab[2 * p + 1];
        if (id1 === 0) {
          ttab[2 * p] = h;
          ttab[2 * p + 1] = nTypes + 1;
          tSlot[nTypes] = p;
          tStart[nTypes] = kStart[k];
          tLen[nTypes] = len;
          tCount[nTypes] = 1;
          outIdx[nTypes++] = fmix32(h) & bmask;
          break;
        }
        // the same 32-bit hash and length: the same token (another token colliding on both in
        // one text is as unlikely as it would be harmless; comparing the chars cost 6% of the
        // featurisation time)
        if (ttab[2 * p] === h && tLen[id1 - 1] === len) {
          tCount[id1 - 1]++;
          break;
        }
        p = (p + 1) & ttMask;
      }
      if (bi && prev !== 0) outIdx[biBase + nBi++] = fmix32(Math.imul(prev ^ SEED_BIGRAM, FNV_PRIME) + h) & bmask;
      prev = h | 1;
    }
    for (let t = 0; t < nTypes; t++) ttab[2 * tSlot[t] + 1] = 0;
    this.nTypes = nTypes;
    this.nBigrams = nBi;
  }

  /**
   * Featurise into internal buffers (valid until the next call on this instance), without
   * normalising: the unit vector is `values * scale`. This is the zero-allocation hot path used
   * by the classifier.
   */
  featurizeScaled(text: string): ScaledSparseVector {
    const n = this.loadCodes(text);
    this.countTypes(this.scanTokens(n));
    const r = this.result;
    r.indices = this.outIdx;
    r.values = this.outVal;
    let norm = this.options.mergeGrams ? this.mergedValues() : this.unmergedValues();
    if (this.idfTable) norm = this.weighByIdf(this.idfTable);
    r.scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return r;
  }

  /**
   * values[j] *= idf[indices[j]] over the current vector; returns the new squared norm. One pass
   * of its own, which leaves the unweighted loops as they were. Its cost is the table's scattered
   * reads (1 MB at 2^18 buckets): a whole 500-char prediction, 4 labels, 27.6 -> 37.5 us measured
   * side by side on the shared 2-core machine (load 4), still 40x under the TF-IDF baseline's.
   */
  private weighByIdf(idf: Float32Array): number {
    const idx = this.outIdx;
    const val = this.outVal;
    const n = this.result.length;
    let norm = 0;
    for (let j = 0; j < n; j++) {
      const v = val[j]! * idf[idx[j]!]!;
      val[j] = v;
      norm += v * v;
    }
    return norm;
  }

  /**
   * The vector without merging: unigrams (weighted by the type count), bigrams (each occurrence),
   * then the char n-grams of each type (weighted by its count). A bucket may appear more than once
   * (an n-gram shared by two words, a repeated bigram, a hash collision): consumers sum them, and
   * the norm counts them as distinct features, as fastText does. Sets result.length and returns
   * the squared norm.
   */
  private unmergedValues(): number {
    const o = this.options;
    const outIdx = this.outIdx;
    const outVal = this.outVal;
    const tf = this.tf;
    const nTypes = this.nTypes;
    const nBi = this.nBigrams;
    const tStart = this.typeStart;
    const tLen = this.typeLen;
    const tCount = this.typeCount;
    const ww = o.wordWeight;
    const cw = o.charWeight;
    const ww1 = ww * tf(1);
    const cw1 = cw * tf(1);
    const nUni = o.unigrams ? nTypes : 0;
    let norm = 0;
    for (let t = 0; t < nUni; t++) {
      const c = tCount[t];
      const v = c === 1 ? ww1 : ww * tf(c);
      outVal[t] = v;
      norm += v * v;
    }
    const biBase = this.capChars;
    outIdx.copyWithin(nUni, biBase, biBase + nBi);
    let count = nUni + nBi;
    outVal.fill(ww1, nUni, count);
    norm += nBi * ww1 * ww1;
    if (o.charMax >= o.charMin) {
      const codes = this.codes;
      let gramNorm = 0;
      for (let t = 0; t < nTypes; t++) {
        const len = tLen[t] < MAX_WORD ? tLen[t] : MAX_WORD;
        if (len === 0) continue; // punctuation
        const ng = this.wordGrams(codes, tStart[t], len, outIdx, count);
        const c = tCount[t];
        const v = c === 1 ? cw1 : cw * tf(c);
        for (const e = count + ng; count < e; count++) outVal[count] = v;
        gramNorm += ng * v * v;
      }
      norm += gramNorm;
    }
    this.result.length = count;
    return norm;
  }

  /**
   * The vector with every bucket once (mergeGrams): counts summed in an open-addressing table
   * (bucket -> output slot) sized for this text, then turned into weight * tf(count). Word
   * features first, in first-seen order. Sets result.length and returns the squared norm.
   */
  private mergedValues(): number {
    const o = this.options;
    const outIdx = this.outIdx;
    const outVal = this.outVal;
    const outSlot = this.outSlot;
    const table = this.table;
    const tf = this.tf;
    const nTypes = this.nTypes;
    const nBi = this.nBigrams;
    const tStart = this.typeStart;
    const tLen = this.typeLen;
    const tCount = this.typeCount;
    const biBase = this.capChars;
    let est = nBi + nTypes;
    for (let t = 0; t < nTypes; t++) est += 3 * tLen[t];
    let tsize = 64; // load factor <= 0.5
    while (tsize < 2 * est) tsize *= 2;
    const tmask = tsize - 1;
    let count = 0;
    /** Count `add` more of bucket b (outVal holds counts until the end). */
    const addFeature = (b: number, add: number): void => {
      let q = b & tmask;
      for (;;) {
        const key = table[2 * q];
        if (key === -1) {
          table[2 * q] = b;
          table[2 * q + 1] = count;
          outSlot[count] = q;
          outIdx[count] = b;
          outVal[count++] = add;
          return;
        }
        if (key === b) {
          outVal[table[2 * q + 1]] += add;
          return;
        }
        q = (q + 1) & tmask;
      }
    };
    // unigrams (count = type count), then bigrams; reading outIdx[k] before writing outIdx[count]
    // is safe as count <= k, and the bigrams live beyond any output slot
    for (let k = o.unigrams ? 0 : nTypes; k < nTypes; k++) addFeature(outIdx[k], tCount[k]);
    for (let i = 0; i < nBi; i++) addFeature(outIdx[biBase + i], 1);
    const nWordOut = count;
    if (o.charMax >= o.charMin) {
      const codes = this.codes;
      const gbuf = this.gramBuf;
      for (let t = 0; t < nTypes; t++) {
        const len = tLen[t] < MAX_WORD ? tLen[t] : MAX_WORD;
        if (len === 0) continue; // punctuation
        const ng = this.wordGrams(codes, tStart[t], len, gbuf, 0);
        for (let k = 0; k < ng; k++) addFeature(gbuf[k], tCount[t]);
      }
    }
    for (let j = 0; j < count; j++) table[2 * outSlot[j]] = -1;
    // counts -> weight * tf(count), and the squared norm
    const ww = o.wordWeight;
    const cw = o.charWeight;
    const ww1 = ww * tf(1);
    const cw1 = cw * tf(1);
    let norm = 0;
    for (let j = 0; j < nWordOut; j++) {
      const t = outVal[j];
      const v = t === 1 ? ww1 : ww * tf(t);
      outVal[j] = v;
      norm += v * v;
    }
    let n1 = 0; // char grams seen once (most of them) add cw1^2 each
    for (let j = nWordOut; j < count; j++) {
      const t = outVal[j];
      if (t === 1) {
        outVal[j] = cw1;
        n1++;
      } else {
        const v = cw * tf(t);
        outVal[j] = v;
        norm += v * v;
      }
    }
    norm += n1 * cw1 * cw1;
    this.result.length = count;
    return norm;
  }

  /** Featurise into internal buffers (valid until the next call), L2-normalised. */
  featurizeInto(text: string): SparseVector {
    const r = this.featurizeScaled(text);
    const v = r.values;
    const sc = r.scale;
    for (let j = 0; j < r.length; j++) v[j] *= sc;
    r.scale = 1;
    return r;
  }

  /** Featurise and return freshly allocated, exactly-sized arrays (L2-normalised). */
  featurize(text: string): SparseVector {
    const r = this.featurizeInto(text);
    return { indices: r.indices.slice(0, r.length), values: r.values.slice(0, r.length), length: r.length };
  }
}

/** One-shot convenience: featurise `text` with the given options (allocates a Featurizer). */
export function featurize(text: string, opts?: FeatureOptions): SparseVector {
  return new Featurizer(opts).featurize(text);
}
