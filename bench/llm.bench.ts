// Benchmark of the llm kind's checks (server/src/core/kinds/llm): every check, near duplicates
// included, over the GSM8K and GPTeacher fixtures and over a generated 100,000-sample chat file with
// planted duplicates; and one incremental edit. Each figure is a median of interleaved runs with
// its baseline, measured in the same run: read every record with a plain JSON.parse.
//
// `llmBench()` returns rows in the shape of model.bench.ts (BenchResult); `llmFixtureCounts()` the
// findings per check on each fixture (for the README).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { assessFile, updateRecord, type LlmAssessment } from '../server/src/core/kinds/llm/assess';
import { parseLlmFile } from '../server/src/core/kinds/llm/records';
import { mulberry32 } from '../server/src/core/model/prng';
import type { BenchResult } from './model.bench';

const FIXTURES = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'llm');
export const LLM_FIXTURES = {
  gsm8k: path.join(FIXTURES, 'gsm8k', 'gsm_8k_train.json'),
  'gpteacher-toolformer': path.join(FIXTURES, 'gpteacher-toolformer', 'toolformer-similarity-0.6-dataset.json'),
};

function fixturePath(file: string): string {
  // Run from dist/ (bundled) or from the repo: the fixtures are beside the repo in ../shared.
  for (const base of [path.resolve(__dirname, '..', '..', 'shared'), path.resolve(process.cwd(), '..', 'shared')]) {
    const p = path.join(base, path.relative(path.resolve(__dirname, '..', '..', 'shared'), file));
    try {
      readFileSync(p, { flag: 'r' });
      return p;
    } catch {
      /* next */
    }
  }
  return file;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median times (ms) of interleaved runs of each fn after one warm-up each (the machine is shared). */
function timeMs(fns: ReadonlyArray<() => void>, runs: number): number[] {
  for (const fn of fns) fn();
  const times = fns.map((): number[] => []);
  for (let r = 0; r < runs; r++)
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      times[i].push(performance.now() - t0);
    });
  return times.map(median);
}

let sink = 0;
/** The baseline: split the file into records and JSON.parse each (the least any check must do). */
function baseline(text: string): void {
  const f = parseLlmFile(text);
  for (const r of f.records) sink += r.value === undefined ? 0 : 1;
}

const WORDS = ('the of and to in is it that for on with as was at by this be from or an are have not but what all were when we there can your which their said if do will each about how up out them then she many some so these would other into has more her two like him see time could no make than first been its who now people my made over did down only way find use may water long little very after words called just where most know get through back much go good new write our me man too any day same right look think also around another came come work three word must because does part even place well such here take why things help put years different away again off went old number great tell men say small every found still between name should home big give air line set own under read last never us left end along while might next sound below saw something thought both few those always looked show large often together asked house world going want school important until form food keep children feet land side without boy once animals life enough took sometimes four head above kind began almost live page got earth need far hand high year mother light parts country father let night following picture being study second eyes soon times story boys since white days ever paper hard near sentence better best across during today others however sure means knew try told young miles sun ways thing whole hear example heard several change answer room sea against top turned learn point city play toward five using himself usually').split(' ');

/** A chat JSONL of `n` samples, deterministic; every 50th an exact copy of an earlier sample, every 50th + 25 a near copy (one word changed). */
export function generateChat(n: number, seed = 42): { text: string; exact: Array<[number, number]>; near: Array<[number, number]> } {
  const rand = mulberry32(seed);
  const words = (k: number): string => Array.from({ length: k }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const sentences = (k: number): string => Array.from({ length: k }, () => `${words(6 + Math.floor(rand() * 10))}.`).map((s) => s[0].toUpperCase() + s.slice(1)).join(' ');
  const lines: string[] = [];
  const values: unknown[] = [];
  const exact: Array<[number, number]> = [];
  const near: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    let v: { messages: Array<{ role: string; content: string }> };
    if (i > 100 && i % 50 === 0) {
      const j = Math.floor(rand() * (i - 1));
      v = values[j] as typeof v;
      exact.push([i, j]);
    } else if (i > 100 && i % 50 === 25) {
      const j = Math.floor(rand() * (i - 1));
      const src = values[j] as typeof v;
      const a = src.messages[src.messages.length - 1].content.split(' ');
      a[Math.floor(a.length / 2)] = 'zebra';
      v = { messages: [...src.messages.slice(0, -1), { role: 'assistant', content: a.join(' ') }] };
      near.push([i, j]);
    } else {
      v = { messages: [...(rand() < 0.3 ? [{ role: 'system', content: 'You are a helpful assistant.' }] : []), { role: 'user', content: `${sentences(1 + Math.floor(rand() * 2))}` }, { role: 'assistant', content: sentences(4 + Math.floor(rand() * 6)) }] };
    }
    values.push(v);
    lines.push(JSON.stringify(v));
  }
  return { text: `${lines.join('\n')}\n`, exact, near };
}

/** Findings per check code on each fixture, and 10 of each to look at. */
export function llmFixtureCounts(): Record<string, { samples: number; counts: Record<string, number>; examples: Record<string, string[]> }> {
  const out: ReturnType<typeof llmFixtureCounts> = {};
  for (const [name, file] of Object.entries(LLM_FIXTURES)) {
    const text = readFileSync(fixturePath(file), 'utf8');
    const a = assessFile(text, undefined, path.basename(file));
    const counts: Record<string, number> = {};
    const examples: Record<string, string[]> = {};
    a.findings.forEach((fs, i) => {
      for (const f of fs) {
        counts[f.code] = (counts[f.code] ?? 0) + 1;
        const list = (examples[f.code] ??= []);
        if (list.length < 10) list.push(`sample ${i + 1} (line ${a.file.records[i].line + 1}): ${f.message}`);
      }
    });
    out[name] = { samples: a.file.records.length, counts, examples };
  }
  return out;
}

const gc = (): void => {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
};

export async function llmBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [name, file] of Object.entries(LLM_FIXTURES)) {
    const text = readFileSync(fixturePath(file), 'utf8');
    const [ms, base] = timeMs([() => void assessFile(text), () => baseline(text)], 5);
    const target = name === 'gsm8k' ? 1000 : undefined;
    results.push({
      name: `llm: all checks incl. near-duplicates, ${name} (${parseLlmFile(text).records.length.toLocaleString('en-US')} samples)`,
      value: Math.round(ms), unit: 'ms', target: target ? `<= ${target}` : 'reference',
      baseline: { name: 'JSON.parse of every record', value: Math.round(base) }, ratio: ms / base, pass: target ? ms <= target : true,
    });
  }

  const gen = generateChat(100_000);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let a: LlmAssessment | undefined = assessFile(gen.text);
  const ms100k = performance.now() - t0;
  gc();
  const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  const rssMB = process.resourceUsage().maxRSS / 1024;
  const [base100k] = timeMs([() => baseline(gen.text)], 3);
  const found = (pairs: Array<[number, number]>, code: string): number => pairs.filter(([i]) => a!.findings[i].some((f) => f.code === code || f.code === 'llm/duplicate')).length;
  const exactFound = found(gen.exact, 'llm/duplicate');
  const nearFound = found(gen.near, 'llm/near-duplicate');
  results.push({ name: 'llm: all checks, generated chat file (100,000 samples, planted duplicates)', value: Math.round(ms100k), unit: 'ms', target: '<= 10000', baseline: { name: 'JSON.parse of every record', value: Math.round(base100k) }, ratio: ms100k / base100k, pass: ms100k <= 10000 });
  results.push({ name: 'llm: memory held by the assessment of 100,000 samples (heap)', value: Math.round(heapMB), unit: 'MB', target: '<= 500', pass: heapMB <= 500 });
  results.push({ name: 'llm: peak RSS of the bench process after the 100,000-sample run', value: Math.round(rssMB), unit: 'MB', target: 'reference', pass: true });
  results.push({ name: `llm: planted exact duplicates found (of ${gen.exact.length})`, value: exactFound, unit: 'samples', target: `>= ${gen.exact.length}`, pass: exactFound === gen.exact.length });
  results.push({ name: `llm: planted near duplicates found (of ${gen.near.length})`, value: nearFound, unit: 'samples', target: `>= ${Math.ceil(gen.near.length * 0.95)}`, pass: nearFound >= gen.near.length * 0.95 });

  // One edit: the record's checks and its duplicate entry, not the dataset's.
  const file = parseLlmFile(gen.text);
  const edits: number[] = [];
  for (let k = 0; k < 50; k++) {
    const i = 1000 + k * 997;
    const r = file.records[i];
    const edited = parseLlmFile(JSON.stringify({ messages: [{ role: 'user', content: `Edited ${k}.` }, { role: 'assistant', content: `A new answer number ${k}.` }] })).records[0];
    const t = performance.now();
    updateRecord(a, i, { ...edited, index: i, start: r.start, end: r.end, line: r.line, column: r.column });
    edits.push(performance.now() - t);
  }
  const editMs = median(edits);
  results.push({ name: 'llm: one edit re-checked incrementally (100,000 samples), median', value: Number(editMs.toFixed(2)), unit: 'ms', target: '<= 50', baseline: { name: 'full 100k assessment', value: Math.round(ms100k) }, ratio: editMs / ms100k, pass: editMs <= 50 });
  a = undefined;
  sink += gen.text.length;
  if (sink < 0) console.log(sink);
  return results;
}
