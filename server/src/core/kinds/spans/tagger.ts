// The embedded span model: an averaged-perceptron BIO tagger (Collins 2002; the greedy left-to-right
// form of Honnibal's spaCy 1 tagger), small enough to learn from every accepted span at once.
//
// Features of token i: bias, the word, its lowercase, its shape (Xxxx, dd, x_x), prefixes and
// suffixes of 1-3 characters, the lowercase words at i-2..i+2, and the previous tag (a dense
// tag-transition table). Decoding is greedy, left to right, and keeps BIO well formed: I-X only
// after B-X or I-X. Weights are averaged over every update (Daumé's trick: w - u/c, two arrays, no
// timestamps), which is what makes a perceptron generalise instead of remembering its last update.
//
// Deterministic: features get ids in order of first appearance, training visits sentences in a
// permutation from a fixed seed, so the same sentences in the same order give the same weights.
//
// Confidence of a predicted span: for every token the softmax of its averaged scores over the tags
// allowed after the previous tag; the span's score is the lowest probability of its tokens' tags
// (a span is as sure as its weakest token). It ranks spans for the review queue (the lowest first);
// it is not a calibrated probability.

import { permutation } from '../../model/prng';
import { tokenize, type Token } from './tokens';

export interface TaggedSentence {
  tokens: readonly string[];
  /** BIO tags ("O", "B-PER", "I-PER"); with `learn`, undefined marks a token whose tag is unknown. */
  tags: ReadonlyArray<string | undefined>;
}

export interface TokenSpan {
  /** Token indices, end exclusive. */
  start: number;
  end: number;
  label: string;
  score: number;
}

export interface TextSpan {
  /** UTF-16 offsets in the text, end exclusive. */
  start: number;
  end: number;
  label: string;
}

export interface PredictedSpan extends TextSpan {
  score: number;
}

export interface TrainOptions {
  /** Passes over the sentences. Default 8: on three WNUT 80/20 splits mean exact F1 was 0.302 at 3, 0.295 at 5, 0.319 at 8. */
  epochs?: number;
  seed?: number;
}

/** Features of the word itself (bias, word, lowercase, shape, 3 prefixes, 3 suffixes), then 6 of its context. */
const OWN_FEATURES = 10;
const STATIC_FEATURES = 16;

/** Shape of a word: Xxxx, dd.d, x_x; runs longer than 2 collapse (Collins' "word class"). */
export function wordShape(w: string): string {
  let out = '';
  let last = '';
  let run = 0;
  for (const ch of w.length > 24 ? w.slice(0, 24) : w) {
    const c = ch >= 'a' && ch <= 'z' ? 'x' : ch >= 'A' && ch <= 'Z' ? 'X' : ch >= '0' && ch <= '9' ? 'd' : ch.toLowerCase() !== ch ? 'X' : ch.toUpperCase() !== ch ? 'x' : ch;
    if (c === last) {
      if (++run > 2) continue;
    } else {
      last = c;
      run = 1;
    }
    out += c;
  }
  return out;
}

export class SpanTagger {
  private readonly featureIds = new Map<string, number>();
  /** Feature ids of a word's own features, once all are known. */
  private readonly wordFeatures = new Map<string, Int32Array>();
  /** Tags: index 0 is "O", then B-X at 1 + 2k and I-X at 2 + 2k for label k. */
  private readonly tagNames: string[] = ['O'];
  private readonly tagIds = new Map<string, number>([['O', 0]]);
  private tagCap = 8;
  private w: Float64Array = new Float64Array(1024 * 8);
  private u: Float64Array = new Float64Array(1024 * 8);
  /** Transition weights [prev tag (0 = start, t + 1) x tag], same averaging. */
  private tw: Float64Array = new Float64Array(9 * 8);
  private tu: Float64Array = new Float64Array(9 * 8);
  /** Updates counter c of the averaging (one per token seen in training). */
  private c = 1;

  /** Labels the tagger knows, in order of first appearance. */
  get labels(): string[] {
    const out: string[] = [];
    for (let t = 1; t < this.tagNames.length; t += 2) out.push(this.tagNames[t].slice(2));
    return out;
  }

  /** A new tagger trained on `sentences` from scratch. */
  static train(sentences: readonly TaggedSentence[], options: TrainOptions = {}): SpanTagger {
    const tagger = new SpanTagger();
    tagger.fit(sentences, options);
    return tagger;
  }

  /** Trains on `sentences` for a few epochs in a seeded order (keeps what it knew). */
  fit(sentences: readonly TaggedSentence[], options: TrainOptions = {}): void {
    const epochs = options.epochs ?? 8;
    // Featurize once: the static features do not change between epochs (~60% of the time per pass).
    // Tags first: a new label after features exist re-lays every weight row out (20% of a WNUT fit when it came second).
    const gold = sentences.map((s) => this.tagIndices(s.tags));
    const feats = sentences.map((s) => this.featurize(s.tokens, true));
    for (let e = 0; e < epochs; e++) {
      const order = permutation(sentences.length, (options.seed ?? 1) * 7919 + e);
      for (let k = 0; k < order.length; k++) this.update(feats[order[k]], gold[order[k]]);
    }
  }

  /** One online update on one sentence (an accepted span's sentence); undefined tags are not learned from. */
  learn(sentence: TaggedSentence): void {
    const gold = this.tagIndices(sentence.tags);
    this.update(this.featurize(sentence.tokens, true), gold);
  }

  /**
   * Learns from spans of a text. With `complete` (every span of the text is labeled, as in a
   * reviewed JSONL record) every other token is O; without it only the spans' tokens and the
   * tokens of `rejected` spans (which become O) are learned from, so a half-labeled file does not
   * teach that its unlabeled entities are not entities.
   */
  learnText(text: string, spans: readonly TextSpan[], options: { complete?: boolean; rejected?: readonly TextSpan[] } = {}): void {
    const tokens = tokenize(text);
    const tags = spansToTags(tokens, spans, options.complete ?? false);
    for (const r of options.rejected ?? []) {
      for (let i = 0; i < tokens.length; i++) if (tokens[i].start < r.end && tokens[i].end > r.start && tags[i] === undefined) tags[i] = 'O';
    }
    this.learn({ tokens: tokens.map((t) => t.text), tags });
  }

  /** Predicted spans of a token sequence, with their confidence. */
  predictTokens(tokens: readonly string[]): TokenSpan[] {
    const feats = this.featurize(tokens, false);
    const n = tokens.length;
    const T = this.tagNames.length;
    const tags = new Int32Array(n);
    const probs = new Float64Array(n);
    const scores = new Float64Array(T);
    const invC = 1 / this.c;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      this.score(feats, i, prev, scores, invC);
      let best = -1;
      let max = -Infinity;
      for (let t = 0; t < T; t++) if (allowed(prev, t) && scores[t] > max) {
        max = scores[t];
        best = t;
      }
      let z = 0;
      for (let t = 0; t < T; t++) if (allowed(prev, t)) z += Math.exp(scores[t] - max);
      tags[i] = best;
      probs[i] = 1 / z;
      prev = best;
    }
    const out: TokenSpan[] = [];
    for (let i = 0; i < n; i++) {
      if (tags[i] === 0 || tags[i] % 2 === 0) continue; // O, or an I- (continues a B- below)
      let end = i + 1;
      let score = probs[i];
      while (end < n && tags[end] === tags[i] + 1) score = Math.min(score, probs[end++]);
      out.push({ start: i, end, label: this.tagNames[tags[i]].slice(2), score });
    }
    return out;
  }

  /** Predicted spans of a text (UTF-16 offsets), with their confidence. */
  predict(text: string): PredictedSpan[] {
    const tokens = tokenize(text);
    return this.predictTokens(tokens.map((t) => t.text)).map((s) => ({ start: tokens[s.start].start, end: tokens[s.end - 1].end, label: s.label, score: s.score }));
  }

  /** A hash of the averaged weights: equal for equal models (the determinism tests compare it). */
  fingerprint(): string {
    let h = 0x811c9dc5;
    const mix = (x: number): void => {
      h = Math.imul(h ^ (Math.round(x * 1e6) | 0), 0x01000193);
    };
    const invC = 1 / this.c;
    for (const [name, id] of [...this.featureIds].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      for (let c = 0; c < name.length; c++) mix(name.charCodeAt(c));
      for (let t = 0; t < this.tagNames.length; t++) mix(this.w[id * this.tagCap + t] - this.u[id * this.tagCap + t] * invC);
    }
    for (let k = 0; k < this.tw.length; k++) mix(this.tw[k] - this.tu[k] * invC);
    return (h >>> 0).toString(16) + ':' + this.featureIds.size + ':' + this.tagNames.join(',');
  }

  get featureCount(): number {
    return this.featureIds.size;
  }

  // -------------------------------------------------------------------------------------------

  private tagIndices(tags: ReadonlyArray<string | undefined>): Int32Array {
    const out = new Int32Array(tags.length);
    for (let i = 0; i < tags.length; i++) out[i] = tags[i] === undefined ? -1 : this.tagIndex(tags[i]!);
    return out;
  }

  private tagIndex(tag: string): number {
    const known = this.tagIds.get(tag);
    if (known !== undefined) return known;
    const m = /^([BI])-(.+)$/.exec(tag);
    if (!m) throw new Error(`not a BIO tag: "${tag}" (use O, B-LABEL or I-LABEL)`);
    const label = m[2];
    this.tagIds.set('B-' + label, this.tagNames.length);
    this.tagNames.push('B-' + label);
    this.tagIds.set('I-' + label, this.tagNames.length);
    this.tagNames.push('I-' + label);
    if (this.tagNames.length > this.tagCap) this.growTags();
    return this.tagIds.get(tag)!;
  }

  /** More tags than slots per row: rows get twice the slots (rare: new labels while learning online). */
  private growTags(): void {
    const old = this.tagCap;
    const cap = Math.max(old * 2, this.tagNames.length);
    const relayout = (a: Float64Array, rows: number): Float64Array => {
      const b = new Float64Array(rows * cap);
      for (let r = 0; r < a.length / old; r++) b.set(a.subarray(r * old, (r + 1) * old), r * cap);
      return b;
    };
    const rows = this.w.length / old;
    this.w = relayout(this.w, rows);
    this.u = relayout(this.u, rows);
    this.tw = relayout(this.tw, cap + 1);
    this.tu = relayout(this.tu, cap + 1);
    this.tagCap = cap;
  }

  private featureId(name: string, add: boolean): number {
    const id = this.featureIds.get(name);
    if (id !== undefined || !add) return id ?? -1;
    const next = this.featureIds.size;
    this.featureIds.set(name, next);
    if ((next + 1) * this.tagCap > this.w.length) {
      const w = new Float64Array(this.w.length * 2);
      w.set(this.w);
      this.w = w;
      const u = new Float64Array(this.u.length * 2);
      u.set(this.u);
      this.u = u;
    }
    return next;
  }

  /** STATIC_FEATURES ids per token (-1: unknown feature at prediction time). */
  private featurize(tokens: readonly string[], add: boolean): Int32Array {
    const n = tokens.length;
    const lower = tokens.map((t) => t.toLowerCase());
    const out = new Int32Array(n * STATIC_FEATURES);
    const ctx = (i: number): string => (i < 0 ? '<s>' : i >= n ? '</s>' : lower[i]);
    for (let i = 0; i < n; i++) {
      const w = tokens[i];
      const l = lower[i];
      const at = i * STATIC_FEATURES;
      // The features of the word alone repeat with the word: looked up once per distinct word.
      let own = this.wordFeatures.get(w);
      if (!own) {
        own = Int32Array.from(['b', 'w=' + w, 'l=' + l, 'sh=' + wordShape(w), 'p1=' + l.slice(0, 1), 'p2=' + l.slice(0, 2), 'p3=' + l.slice(0, 3), 's1=' + l.slice(-1), 's2=' + l.slice(-2), 's3=' + l.slice(-3)], (f) => this.featureId(f, add));
        if (own.every((id) => id >= 0)) this.wordFeatures.set(w, own);
      }
      out.set(own, at);
      const names = [
        'l-1=' + ctx(i - 1),
        'l-2=' + ctx(i - 2),
        'l+1=' + ctx(i + 1),
        'l+2=' + ctx(i + 2),
        'l-1l=' + ctx(i - 1) + ' ' + l,
        'll+1=' + l + ' ' + ctx(i + 1),
      ];
      for (let k = 0; k < names.length; k++) out[at + OWN_FEATURES + k] = this.featureId(names[k], add);
    }
    return out;
  }

  /** Scores of every tag for token i after tag `prev`, into `scores`; averaged weights when invC > 0. */
  private score(feats: Int32Array, i: number, prev: number, scores: Float64Array, invC: number): void {
    const T = this.tagNames.length;
    const cap = this.tagCap;
    const w = this.w;
    const u = this.u;
    scores.fill(0, 0, T);
    for (let k = 0; k < STATIC_FEATURES; k++) {
      const f = feats[i * STATIC_FEATURES + k];
      if (f < 0) continue;
      const base = f * cap;
      if (invC) for (let t = 0; t < T; t++) scores[t] += w[base + t] - u[base + t] * invC;
      else for (let t = 0; t < T; t++) scores[t] += w[base + t];
    }
    const tb = (prev + 1) * cap;
    if (invC) for (let t = 0; t < T; t++) scores[t] += this.tw[tb + t] - this.tu[tb + t] * invC;
    else for (let t = 0; t < T; t++) scores[t] += this.tw[tb + t];
  }

  /** Greedy decode with the current weights; where the guess differs from a known gold tag, move weights toward gold. */
  private update(feats: Int32Array, gold: Int32Array): void {
    const n = gold.length;
    const T = this.tagNames.length;
    const scores = new Float64Array(T);
    const cap = this.tagCap;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      this.score(feats, i, prev, scores, 0);
      let guess = 0;
      let max = -Infinity;
      for (let t = 0; t < T; t++) if (allowed(prev, t) && scores[t] > max) {
        max = scores[t];
        guess = t;
      }
      const g = gold[i];
      if (g >= 0 && g !== guess) {
        const c = this.c;
        for (let k = 0; k < STATIC_FEATURES; k++) {
          const f = feats[i * STATIC_FEATURES + k];
          if (f < 0) continue;
          this.w[f * cap + g] += 1;
          this.u[f * cap + g] += c;
          this.w[f * cap + guess] -= 1;
          this.u[f * cap + guess] -= c;
        }
        const tb = (prev + 1) * cap;
        this.tw[tb + g] += 1;
        this.tu[tb + g] += c;
        this.tw[tb + guess] -= 1;
        this.tu[tb + guess] -= c;
      }
      this.c++;
      // The next token sees the guess, as at prediction time (Honnibal's greedy training): on three
      // WNUT 80/20 splits, mean exact F1 0.295 against 0.275 when it saw the gold tag.
      prev = guess;
    }
  }
}

/** BIO: I-X (even index > 0) only right after B-X or I-X of the same label. */
function allowed(prev: number, tag: number): boolean {
  if (tag === 0 || tag % 2 === 1) return true;
  return prev === tag - 1 || prev === tag;
}

/**
 * BIO tags of tokens from character spans (a token belongs to a span it overlaps); tokens outside
 * every span are "O" when the spans are `complete`, else undefined ("unknown").
 */
export function spansToTags(tokens: readonly Token[], spans: readonly TextSpan[], complete = true): Array<string | undefined> {
  const outside = complete ? 'O' : undefined;
  const tags: Array<string | undefined> = tokens.map(() => outside);
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const s of sorted) {
    let first = true;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i].end <= s.start || tokens[i].start >= s.end) continue;
      if (tags[i] !== outside && tags[i] !== undefined) continue; // nested or overlapping: the first span keeps the token
      tags[i] = (first ? 'B-' : 'I-') + s.label;
      first = false;
    }
  }
  return tags;
}

/** Spans (token indices) of a BIO tag sequence; a stray I-X starts a span, as conlleval reads it. */
export function tagsToSpans(tags: readonly string[]): Array<{ start: number; end: number; label: string }> {
  const out: Array<{ start: number; end: number; label: string }> = [];
  let cur: { start: number; end: number; label: string } | undefined;
  tags.forEach((tag, i) => {
    const m = /^([BIES])-(.+)$/.exec(tag);
    const prefix = m?.[1];
    const label = m?.[2];
    if (!m || prefix === 'B' || prefix === 'S' || !cur || cur.label !== label || cur.end !== i) {
      if (cur) out.push(cur);
      cur = m ? { start: i, end: i + 1, label: label! } : undefined;
    } else {
      cur.end = i + 1;
    }
    if (cur && (prefix === 'E' || prefix === 'S')) {
      out.push(cur);
      cur = undefined;
    }
  });
  if (cur) out.push(cur);
  return out;
}
