// Benchmark of the spans kind's core (server/src/core/kinds/spans): what the editor needs for the
// visible range of a big source file and of a big JSONL dataset, after open and after an edit; the
// span tagger's training speed and F1 on WNUT 2015; re-anchoring 10,000 spans.
//
// Each figure is a median of several runs, interleaved with a baseline on the same data in the
// same run (the machine is shared: the ratio holds under load, the absolute figure less so).
// The WNUT CoNLL reader lives here so that the benchmark and the unit tests read the fixture the
// same way (the CoNLL codec of server/src/core/formats is another helper's work).
//
// bench/index.ts runs it (`benchSpans`); no top-level code here, since a bundle that imports it would run it.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './model.bench';
import { locateValue } from '../server/src/core/jsonl';
import { mulberry32, permutation } from '../server/src/core/model/prng';
import { makeAnchor, reanchorAll, shiftAnchors, type Anchor } from '../server/src/core/kinds/spans/anchor';
import { evaluateSpans, type EvalDocument } from '../server/src/core/kinds/spans/metrics';
import { CodePointIndex, jsonStringOffsets, LineIndex, type Position } from '../server/src/core/kinds/spans/offsets';
import { compilePatterns, matchPatterns } from '../server/src/core/kinds/spans/patterns';
import { SpanTagger, tagsToSpans, type TaggedSentence } from '../server/src/core/kinds/spans/tagger';
import { SpanView } from '../server/src/core/kinds/spans/view';

// ---------------------------------------------------------------------------------------------
// WNUT 2015 (CoNLL, two columns, CRLF, blank lines between tweets)
// ---------------------------------------------------------------------------------------------

export function wnutPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const base of [process.cwd(), here, join(here, '..'), join(here, '../..')]) {
    const p = resolve(base, '../shared/fixtures/ner/wnut2015/wnut_2015_test.conll');
    if (existsSync(p)) return p;
  }
  throw new Error('WNUT 2015 fixture not found (../shared/fixtures/ner/wnut2015/wnut_2015_test.conll)');
}

/** Sentences of a two-column CoNLL file (token, tag; tab or spaces); throws naming the line of a bad row. */
export function readConll(text: string, file = 'conll'): TaggedSentence[] {
  const out: TaggedSentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  const flush = (): void => {
    if (tokens.length) out.push({ tokens, tags });
    tokens = [];
    tags = [];
  };
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (!line.trim()) return flush();
    if (line.startsWith('-DOCSTART-')) return;
    const cols = line.split(/\t| +/);
    if (cols.length < 2) throw new Error(`${file}:${i + 1}: expected "token<TAB>tag", got ${JSON.stringify(line)}`);
    tokens.push(cols[0]);
    tags.push(cols[cols.length - 1]);
  });
  flush();
  return out;
}

/** A fixed 80/20 split of sentences (seeded permutation). */
export function splitSentences<T>(sentences: readonly T[], seed = 2015, trainShare = 0.8): { train: T[]; test: T[] } {
  const order = permutation(sentences.length, seed);
  const cut = Math.round(sentences.length * trainShare);
  return { train: Array.from(order.subarray(0, cut), (i) => sentences[i]), test: Array.from(order.subarray(cut), (i) => sentences[i]) };
}

/** Exact-match span F1 of a tagger on gold sentences (token offsets). */
export function taggerReport(tagger: SpanTagger, test: readonly TaggedSentence[], mode: 'exact' | 'overlap' = 'exact'): ReturnType<typeof evaluateSpans> {
  const gold: EvalDocument[] = test.map((s, i) => ({ id: String(i), spans: tagsToSpans(s.tags as string[]) }));
  const pred: EvalDocument[] = test.map((s, i) => ({ id: String(i), spans: tagger.predictTokens(s.tokens) }));
  return evaluateSpans(gold, pred, mode);
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Median wall ms of `fn` and of `baseline`, run alternately `runs` times after warm-ups, and the
 * median CPU ms of `fn` (the figure a busy machine inflates least): the dev machine is shared (load averages of 10-18 on 2
 * cores were seen while this was written), and there wall time is mostly waiting for a core.
 */
function pair(fn: () => unknown, baseline: () => unknown, runs: number): [number, number, number] {
  // Three warm-ups: the first calls run in V8's interpreter, ~5x slower than once optimised.
  for (let w = 0; w < 3; w++) {
    fn();
    baseline();
  }
  const a: number[] = [];
  const b: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c = process.cpuUsage();
    let t = performance.now();
    fn();
    a.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    t = performance.now();
    baseline();
    b.push(performance.now() - t);
  }
  return [median(a), median(b), median(cpu)];
}

/** A row; for a time in ms, the name also gives the CPU time of the same runs. */
function row(name: string, value: number, unit: string, target: string, pass: boolean, baseline?: { name: string; value: number }, cpuMs?: number): BenchResult {
  const label = cpuMs === undefined ? name : `${name} [cpu ${cpuMs.toFixed(1)} ms]`;
  return { name: label, value, unit, target, pass, ...(baseline ? { baseline, ratio: value / baseline.value } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Data (deterministic)
// ---------------------------------------------------------------------------------------------

const WORDS = ['value', 'result', 'config', 'user', 'token', 'index', 'items', 'count', 'buffer', 'path'];

/** A 5,000-line Python-like file with CRLF endings, an emoji now and then, secrets and TODO markers. */
export function sourceFile(lines = 5000, seed = 5): string {
  const rand = mulberry32(seed);
  const pick = (): string => WORDS[Math.floor(rand() * WORDS.length)];
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const r = rand();
    if (i % 25 === 0) out.push(`def ${pick()}_${i}(${pick()}, ${pick()}):`);
    else if (r < 0.04) out.push(`    key = "AKIA${String(i).padStart(16, 'Q').slice(0, 16)}"  # FIXME rotate`);
    else if (r < 0.08) out.push(`    # XXX 😀 ${pick()} is wrong here (line ${i})`);
    else out.push(`    ${pick()}_${i % 97} = ${pick()}(${pick()}_${i % 13}) + ${i}`);
  }
  return out.join('\r\n') + '\r\n';
}

/** Two spans per line of `doc`: the first identifier and the last number or word. */
export function spansOf(doc: string, perLine = 2, limit = Infinity): Anchor[] {
  const lines = new LineIndex(doc);
  const out: Anchor[] = [];
  const word = /[A-Za-z_][A-Za-z0-9_]*|\d+/g;
  for (let l = 0; l < lines.lineCount && out.length < limit; l++) {
    const from = lines.lineStart(l);
    const text = doc.slice(from, lines.lineEnd(l));
    const found = [...text.matchAll(word)];
    if (!found.length) continue;
    const chosen = perLine === 1 ? [found[0]] : [found[0], found[found.length - 1]];
    for (const m of chosen) out.push(makeAnchor(doc, from + m.index!, from + m.index! + m[0].length, lines));
  }
  return out.slice(0, Math.min(out.length, limit));
}

interface Highlight {
  start: Position;
  end: Position;
  label: string;
}

/** Highlights of spans (UTF-16 offsets in the document) on lines [first, last]. */
function visibleHighlights(spans: ReadonlyArray<{ start: number; end: number; label: string }>, lines: LineIndex, first: number, last: number): Highlight[] {
  return new SpanView(spans).inLines(lines, first, last).map((h) => ({ start: h.start, end: h.end, label: h.span.label }));
}

const RULES = [
  { label: 'secret', regex: 'AKIA[0-9A-Z]{16}' },
  { label: 'todo', terms: ['FIXME', 'XXX', 'TODO'], caseSensitive: false },
];

/** A JSONL dataset of `records` tweets-like texts (emoji, CJK, escapes) and its spans in code points, `perRecord` per record. */
export function jsonlDataset(records = 10_000, perRecord = 5): { text: string; labels: string } {
  const rand = mulberry32(10);
  const lines: string[] = [];
  const labels: string[] = [];
  const pieces = ['Loopmark', 'in', 'Paris', '😀', 'and', '東京', 'with', '"quotes"', 'Ada', 'Lovelace', 'e\u0301t\u00e9', '👨‍👩‍👧', 'at', 'Google', '\n', 'today'];
  for (let r = 0; r < records; r++) {
    const words: string[] = [];
    for (let k = 0; k < 24; k++) words.push(pieces[Math.floor(rand() * pieces.length)]);
    const text = words.join(' ');
    lines.push(JSON.stringify({ id: `r${r}`, text }));
    const cps = [...text];
    const spans: Array<{ start: number; end: number; label: string }> = [];
    const step = Math.floor(cps.length / perRecord);
    for (let k = 0; k < perRecord; k++) spans.push({ start: k * step, end: k * step + Math.min(4, step), label: k % 2 ? 'ORG' : 'PER' });
    labels.push(JSON.stringify({ id: `r${r}`, spans }));
  }
  return { text: lines.join('\n') + '\n', labels: labels.join('\n') + '\n' };
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const VISIBLE_LINES = 60;

function benchSourceFile(): BenchResult[] {
  const doc = sourceFile();
  const anchors = spansOf(doc, 2, 2000).map((a) => ({ ...a, label: 'smell' }));
  const rules = compilePatterns(RULES);
  const first = 2500;
  const last = first + VISIBLE_LINES - 1;
  let view: Highlight[] = [];
  // Open: index the text, check every stored span is still on its text, match rules in view.
  const open = (text: string): void => {
    const lines = new LineIndex(text);
    new CodePointIndex(text);
    const found = reanchorAll(anchors, text, {}, lines);
    const kept = anchors.filter((_, i) => found[i].status === 'kept' || found[i].status === 'moved');
    const from = lines.lineStart(first);
    const to = lines.lineEnd(last);
    const suggested = matchPatterns(rules, text, { from, to }).spans;
    view = visibleHighlights([...kept, ...suggested], lines, first, last);
  };
  const baseline = (): unknown => doc.split(/\r\n|\r|\n/).length;
  const [openMs, baseMs, openCpu] = pair(() => open(doc), baseline, 9);
  // Edit: a line inserted at line 100 (above the view); the editor says where.
  const at = new LineIndex(doc).lineStart(100);
  const edited = doc.slice(0, at) + '    inserted = 1\r\n' + doc.slice(at);
  const edit = (): void => {
    const lines = new LineIndex(edited);
    const shifted = shiftAnchors(anchors, [{ start: at, end: at, text: '    inserted = 1\r\n' }], edited, lines).anchors.map((a, i) => ({ ...(a ?? anchors[i]), label: 'smell' }));
    const suggested = matchPatterns(rules, edited, { from: lines.lineStart(first), to: lines.lineEnd(last) }).spans;
    view = visibleHighlights([...shifted, ...suggested], lines, first, last);
  };
  const [editMs, baseEditMs, editCpu] = pair(edit, baseline, 9);
  if (!view.length) throw new Error('no highlight in view: the bench measures nothing');
  const base = { name: 'split the file into lines', value: baseMs };
  return [
    row(`source 5,000 lines, 2,000 spans: highlights + suggestions in view after open (${view.length} in view)`, openMs, 'ms', '≤ 100 ms', openMs <= 100, base, openCpu),
    row('source 5,000 lines: highlights + suggestions in view after an edit above', editMs, 'ms', '≤ 30 ms', editMs <= 30, { name: base.name, value: baseEditMs }, editCpu),
  ];
}

function benchJsonl(): BenchResult[] {
  const { text, labels } = jsonlDataset();
  const first = 5000;
  const last = first + VISIBLE_LINES - 1;
  let byId = new Map<string, Array<{ start: number; end: number; label: string }>>();
  let view: Highlight[] = [];
  const highlightRecords = (fileText: string, fileLines: LineIndex): Highlight[] => {
    const out: Highlight[] = [];
    for (let l = first; l <= last; l++) {
      const lineStart = fileLines.lineStart(l);
      const line = fileText.slice(lineStart, fileLines.lineEnd(l));
      const record = JSON.parse(line) as { id: string; text: string };
      const spans = byId.get(record.id);
      const at = locateValue(line, 'text');
      if (!spans || !at) continue;
      const toRaw = jsonStringOffsets(line.slice(at.start, at.end));
      const cps = new CodePointIndex(record.text);
      for (const s of spans) {
        const a = lineStart + at.start + toRaw!(cps.toUtf16(s.start));
        const b = lineStart + at.start + toRaw!(cps.toUtf16(s.end));
        out.push({ start: fileLines.positionAt(a), end: fileLines.positionAt(b), label: s.label });
      }
    }
    return out;
  };
  // The label file is read once when the project opens (the label store keeps it), not per document.
  const loadLabels = (): void => {
    byId = new Map();
    for (const line of labels.split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { id: string; spans: Array<{ start: number; end: number; label: string }> };
      byId.set(r.id, r.spans);
    }
  };
  // Open: index the dataset's lines, highlight the records in view from the loaded spans.
  const open = (): void => {
    view = highlightRecords(text, new LineIndex(text));
  };
  const baseline = (): unknown => {
    let n = 0;
    for (const line of text.split('\n')) if (line) n += (JSON.parse(line) as { text: string }).text.length;
    return n;
  };
  const [loadMs, baseLoadMs, loadCpu] = pair(loadLabels, baseline, 9);
  const [openMs, baseMs, openCpu] = pair(open, baseline, 9);
  // Edit: a character typed into a record in view; the view is recomputed on the new text.
  const lines0 = new LineIndex(text);
  const editAt = lines0.lineStart(first + 10) + 30; // inside the record's text
  const edited = text.slice(0, editAt) + 'x' + text.slice(editAt);
  const edit = (): void => {
    view = highlightRecords(edited, new LineIndex(edited));
  };
  const [editMs, baseEditMs, editCpu] = pair(edit, baseline, 9);
  if (!view.length) throw new Error('no highlight in view: the bench measures nothing');
  const base = { name: 'JSON.parse every record', value: baseMs };
  return [
    row('JSONL: read 50,000 spans from the label file (once per project open)', loadMs, 'ms', 'info', true, { name: base.name, value: baseLoadMs }, loadCpu),
    row(`JSONL 10,000 records, 50,000 spans (code points): highlights in view after open (${view.length} in view)`, openMs, 'ms', '≤ 100 ms', openMs <= 100, base, openCpu),
    row('JSONL 10,000 records: highlights in view after an edit in view', editMs, 'ms', '≤ 30 ms', editMs <= 30, { name: base.name, value: baseEditMs }, editCpu),
  ];
}

function benchReanchor(): BenchResult[] {
  const doc = sourceFile(5000, 7);
  const anchors = spansOf(doc, 2, 10_000);
  const insert = '# a comment\r\nimport os\r\n\r\n';
  const edited = insert + doc;
  let kept = 0;
  const search = (): void => {
    kept = reanchorAll(anchors, edited).filter((r) => r.status === 'moved' || r.status === 'kept').length;
  };
  const incremental = (): void => {
    shiftAnchors(anchors, [{ start: 0, end: 0, text: insert }], edited);
  };
  // Baseline: the naive re-find, one indexOf per span's text.
  const naive = (): unknown => {
    let n = 0;
    for (const a of anchors) n += edited.indexOf(a.text) >= 0 ? 1 : 0;
    return n;
  };
  const [searchMs, baseMs, searchCpu] = pair(search, naive, 9);
  const [incMs, baseMs2, incCpu] = pair(incremental, naive, 9);
  const base = { name: 'one indexOf per span', value: baseMs };
  return [
    row(`re-anchor ${anchors.length} spans after 3 lines inserted above them, from the text alone (${kept} found)`, searchMs, 'ms', '≤ 50 ms', searchMs <= 50 && kept === anchors.length, base, searchCpu),
    row(`shift ${anchors.length} spans through the editor's edit (incremental)`, incMs, 'ms', '≤ 50 ms', incMs <= 50, { name: base.name, value: baseMs2 }, incCpu),
  ];
}

function benchTagger(): BenchResult[] {
  const sentences = readConll(readFileSync(wnutPath(), 'utf8'), 'wnut_2015_test.conll');
  const { train, test } = splitSentences(sentences);
  const epochs = 8;
  let tagger: SpanTagger | undefined;
  const fit = (): void => {
    tagger = SpanTagger.train(train, { epochs });
  };
  // Baseline: lowercase every token and count it in a Map, once per epoch (the plainest pass over the same data).
  const count = (): unknown => {
    const m = new Map<string, number>();
    for (let e = 0; e < epochs; e++) for (const s of train) for (const t of s.tokens) m.set(t.toLowerCase(), (m.get(t.toLowerCase()) ?? 0) + 1);
    return m.size;
  };
  const [fitMs, baseMs, fitCpu] = pair(fit, count, 5);
  const perSecond = (train.length * epochs) / (fitMs / 1000);
  const online = new SpanTagger();
  const t0 = performance.now();
  for (const s of train) online.learn(s);
  const onlineMs = (performance.now() - t0) / train.length;
  const exact = taggerReport(tagger!, test);
  const overlap = taggerReport(tagger!, test, 'overlap');
  return [
    row(`span tagger: training on WNUT 2015 (${train.length} tweets × ${epochs} epochs, features included) [cpu ${Math.round((train.length * epochs) / (fitCpu / 1000))} sentences/s]`, perSecond, 'sentences/s', '≥ 5,000 sentences/s', perSecond >= 5000, { name: 'lowercase + count tokens, same passes (ms)', value: baseMs }),
    row('span tagger: one online update (learn one sentence)', onlineMs, 'ms', 'info', true),
    row(`span tagger: WNUT 2015 80/20 split, exact span F1 (micro; P ${exact.micro.precision.toFixed(3)}, R ${exact.micro.recall.toFixed(3)}, ${exact.micro.support} gold spans)`, exact.micro.f1, 'F1', 'info', true),
    row('span tagger: WNUT 2015 80/20 split, token-overlap span F1 (micro)', overlap.micro.f1, 'F1', 'info', true),
  ].map((r) => (r.unit === 'sentences/s' && r.baseline ? { ...r, ratio: fitMs / baseMs } : r));
}

/** Every row of the spans benchmark (for bench/index.ts). */
export async function benchSpans(): Promise<BenchResult[]> {
  return [...benchSourceFile(), ...benchJsonl(), ...benchReanchor(), ...benchTagger()];
}
