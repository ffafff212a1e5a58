// `npm run bench`: Loopmark at scale, measured against a baseline taken in the same run.
//
// Generates (or reuses) deterministic datasets in bench/data/ (100,000 and 1,000,000 records of
// ~490 bytes), then measures the core in-process, the built server over real stdio pipes
// (`node dist/cli.js lsp --stdio`, run from a copy in bench/data/build/ so a rebuild of dist/ during
// the run changes nothing), the CLI, and the embedded model (bench/model.bench.ts).
// Each figure is a median (or a p95/p99/max where the target says so) of several runs. The baseline
// is the plainest possible work on the same file: read it and JSON.parse every line (median).
//
// Prints a table and writes it as Markdown to bench/results.md.
//
// Options (node dist/bench.js ...):
//   --only core,open,edit,accept,cancel,responsive,stats,big,shards,model,llm   run some groups only
//   --load N             run N competing CPU-bound processes for the whole run (users run Loopmark beside a build)
//   --profile            start every server with --cpu-prof (profiles in bench/data/profiles/) and summarise them
//   --summarize FILE...  summarise .cpuprofile files and exit
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Project } from '../server/src/core/workspace/project';
import { DiskDataset } from '../server/src/core/diskDataset';
import { benchModel, type BenchResult } from './model.bench';
import { llmBench } from './llm.bench';
import { BENCH_ANNOTATOR, benchConfig, ensureDataset, tinyDataset } from './data';
import { BenchServer, uriOf, type Reply } from './lsp';
import { formatProfileSummary, perfNowToProfileUs, summarizeProfile, summarizeWindows } from './profile';
import type { LoopWatch } from './loopwatch';
import { openFromDiskReference, OPEN_FROM_DISK_KEY, type OpenFromDisk } from '../server/src/protocol';

const REPO = path.resolve(__dirname, '..');
const BUILT_CLI = path.join(REPO, 'dist', 'cli.js');
const DATA = path.join(REPO, 'bench', 'data');
/** A private copy of the built CLI/server, so a rebuild of dist/ during the run changes nothing. */
const CLI = path.join(DATA, 'build', 'cli.js');
/** The preload that measures, inside each server, what held its event loop (bench/loopwatch.ts). */
const LOOPWATCH = path.join(DATA, 'build', 'loopwatch.js');
const LOOPWATCH_DIR = path.join(DATA, 'loopwatch');
const RESULTS = path.join(REPO, 'bench', 'results.md');
const PROFILES = path.join(DATA, 'profiles');

const WS100K = path.join(DATA, 'ws100k');
const WS1M = path.join(DATA, 'ws1m');
const FILE100K = path.join(WS100K, 'data', 'samples.jsonl');
const FILE1M = path.join(WS1M, 'data', 'samples.jsonl');
const LABELS100K = path.join(DATA, 'labels-100k.jsonl');
const SIDECAR100K = path.join(WS100K, 'data', 'samples.labels.jsonl');
const TINY100K = path.join(WS100K, 'data', 'tiny.jsonl');
const TINY1M = path.join(WS1M, 'data', 'tiny.jsonl');

const REPS = 5;
const REPS_1M = 3;
const EDITS = 50;
const ACTIONS = 50;
const ACCEPTS = 50;
const VISIBLE: [number, number] = [0, 59];

const argv = process.argv.slice(2);
const argOf = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ONLY = argOf('--only')?.split(',').map((s) => s.trim());
const PROFILE = argv.includes('--profile');
const runs = (group: string): boolean => !ONLY || ONLY.includes(group);

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile. */
function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const max = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);

function fmt(x: number | undefined, digits?: number): string {
  if (x === undefined || Number.isNaN(x)) return '—';
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

const MB = 2 ** 20;
let sink = 0;

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Row {
  name: string;
  value?: number;
  unit: string;
  target: string;
  pass?: boolean;
  baseline?: { value: number; unit: string };
  ratio?: number;
  error?: string;
}

const rows: Row[] = [];
const notes: string[] = [];

function addRow(row: Row): void {
  rows.push(row);
  const result = row.error ? `ERROR ${row.error}` : row.pass === undefined ? 'info' : row.pass ? 'pass' : 'FAIL';
  log(`${row.name}: ${fmt(row.value)} ${row.unit} (target ${row.target}) ${result}`);
}

/** A row for a time figure compared with `max` ms and with the baseline of its file. */
function msRow(name: string, value: number, maxMs: number, baselineMs: number | undefined): void {
  addRow({
    name, value, unit: 'ms', target: `≤ ${maxMs} ms`, pass: value <= maxMs,
    ...(baselineMs !== undefined ? { baseline: { value: baselineMs, unit: 'ms' }, ratio: value / baselineMs } : {}),
  });
}

function errorRows(names: string[], error: unknown): void {
  const message = String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 160);
  for (const name of names) addRow({ name, unit: '', target: '', error: message });
}

/** The plain baseline: read the file in 8 MB chunks, split lines, JSON.parse each. */
function readParseAll(file: string): { ms: number; lines: number } {
  gc();
  const started = performance.now();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * MB);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lines = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const parts = (rest + decoder.write(buf.subarray(0, n))).split('\n');
    rest = parts.pop()!;
    for (const part of parts) {
      if (!part) continue;
      sink += (JSON.parse(part) as { text: string }).text.length;
      lines++;
    }
  }
  rest += decoder.end();
  if (rest) {
    sink += (JSON.parse(rest) as { text: string }).text.length;
    lines++;
  }
  fs.closeSync(fd);
  return { ms: performance.now() - started, lines };
}

function baselineOf(file: string, reps: number): number {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(readParseAll(file).ms);
  return median(times);
}

let profileCount = 0;
/** Servers started with --cpu-prof, to summarise once they have exited. */
const profiled: BenchServer[] = [];
/** Where each server writes what held its event loop (see loopWatchOf). */
const loopFiles = new Map<BenchServer, string>();

/**
 * Node flags that write CPU profiles into a folder of their own: every thread writes one (the index
 * workers too), and with one name for all, a worker's profile could replace the server's.
 */
function profileArgs(name: string): string[] {
  if (!PROFILE) return [];
  const dir = path.join(PROFILES, name);
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

/** Moves the main thread's profile of each folder to `<folder>.cpuprofile` (the summary reads those). */
function collectProfiles(): void {
  for (const name of fs.readdirSync(PROFILES)) {
    const dir = path.join(PROFILES, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    // Node names them CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
    const main = fs.readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (main) fs.renameSync(path.join(dir, main), `${dir}.cpuprofile`);
  }
}

async function startServer(root: string, phase: string): Promise<BenchServer> {
  const name = `${phase}-${++profileCount}`;
  fs.mkdirSync(LOOPWATCH_DIR, { recursive: true });
  const loopFile = path.join(LOOPWATCH_DIR, `${name}.json`);
  fs.rmSync(loopFile, { force: true });
  const nodeArgs = [...profileArgs(name), '--require', LOOPWATCH];
  const server = await BenchServer.start(CLI, root, { annotator: BENCH_ANNOTATOR, nodeArgs, env: { LOOPMARK_BENCH_LOOPWATCH: loopFile } });
  loopFiles.set(server, loopFile);
  if (PROFILE) {
    server.profileFile = path.join(PROFILES, `${name}.cpuprofile`);
    profiled.push(server);
  }
  return server;
}

/** What held the event loop of a server that has exited (undefined if it wrote nothing). */
function loopWatchOf(server: BenchServer): LoopWatch | undefined {
  const file = loopFiles.get(server);
  try {
    return file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as LoopWatch) : undefined;
  } catch {
    return undefined;
  }
}

/** Epoch ms of a performance.now() of this process (the servers' loop watches use epoch ms too). */
const epochOf = (now: number): number => performance.timeOrigin + now;

/**
 * Rows from inside the server for a window of the run: the longest stretch of main-thread CPU time
 * without a turn of the event loop (what "no task runs more than 15 ms without yielding" asks), and a
 * note with the longest wall-clock block and how it split between work, the OS run queue and GC.
 */
function loopRows(name: string, watch: LoopWatch | undefined, from: number, to: number, baselineMs: number | undefined): void {
  if (!watch) {
    addRow({ name: `${name}: longest main-thread run without a turn of the event loop (in the server)`, unit: '', target: '', error: 'the server wrote no loop watch' });
    return;
  }
  const blocks = watch.blocks.filter((b) => b.at >= from && b.at < to);
  const gcs = watch.gcs.filter((g) => g.at >= from && g.at < to);
  const cpu = blocks.length ? Math.max(...blocks.map((b) => b.cpuMs)) : 0;
  msRow(`${name}: longest main-thread run without a turn of the event loop (CPU time, in the server)`, cpu, 15, baselineMs);
  const longest = blocks.reduce<LoopWatch['blocks'][number] | undefined>((a, b) => (!a || b.ms > a.ms ? b : a), undefined);
  const busiest = blocks.reduce<LoopWatch['blocks'][number] | undefined>((a, b) => (!a || b.cpuMs > a.cpuMs ? b : a), undefined);
  const gcIn = (b: LoopWatch['blocks'][number]): number => gcs.filter((g) => g.at >= b.at && g.at < b.at + b.ms).reduce((sum, g) => sum + g.ms, 0);
  const gcMax = gcs.reduce((m, g) => Math.max(m, g.ms), 0);
  notes.push(
    `In the server (${name}): ${blocks.filter((b) => b.ms > 15).length} turns of the event loop over 15 ms of wall time, ${blocks.filter((b) => b.cpuMs > 15).length} with over 15 ms of main-thread CPU. ` +
      (longest && busiest
        ? `The longest turn, ${fmt(longest.ms)} ms, had ${fmt(longest.cpuMs)} ms of CPU, ${fmt(longest.waitMs)} ms waiting for a core (the OS ran other threads) and ${fmt(gcIn(longest))} ms of GC; ` +
          `the busiest, ${fmt(busiest.ms)} ms, had ${fmt(busiest.cpuMs)} ms of CPU and ${fmt(gcIn(busiest))} ms of GC`
        : 'No turn over 5 ms') +
      `. Longest GC pause ${fmt(gcMax)} ms (${gcs.length} pauses of 2 ms or more).`,
  );
}

/** Waits until cheap requests answer within `quietMs` five times in a row (background work is done). */
async function waitIdle(server: BenchServer, uri: string, maxMs = 300_000, quietMs = 5): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  while (performance.now() - started < maxMs) {
    const reply = await server.request('loopmark/status', { uri }, maxMs);
    if (reply.ms < quietMs) {
      if (++quiet >= 5) return performance.now() - started;
    } else quiet = 0;
    await sleep(20);
  }
  throw new Error(`server not idle after ${maxMs} ms`);
}

interface ProbeResult {
  samples: Array<{ sentAt: number; ms: number }>;
  failed: number;
  clientLagMaxMs: number;
  /** Most probes unanswered at once (open loop: a backlog means the server fell behind). */
  maxOutstanding: number;
}

/**
 * Sends a cheap request (loopmark/status of a 5-line open document) every `everyMs`. With
 * `maxOutstanding` 1 (the default) a tick is skipped while the previous probe is unanswered, so each
 * latency is the wait of one request: the rest of whatever task ran when it arrived. With Infinity the
 * probes do not wait for each other (open loop) and a backlog shows the server's request throughput.
 */
function startProbe(server: BenchServer, uri: string, options: { everyMs?: number; maxOutstanding?: number; slowMs?: number } = {}): { stop(): Promise<ProbeResult> } {
  const { everyMs = 5, maxOutstanding = 1, slowMs = 20 } = options;
  const samples: ProbeResult['samples'] = [];
  const pending: Promise<void>[] = [];
  let outstanding = 0;
  let maxSeen = 0;
  let failed = 0;
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const timer = setInterval(() => {
    if (outstanding >= maxOutstanding) return;
    outstanding++;
    maxSeen = Math.max(maxSeen, outstanding);
    pending.push(server.request('loopmark/status', { uri }, 600_000).then(
      (r) => {
        outstanding--;
        samples.push({ sentAt: r.sentAt, ms: r.ms });
        if (r.ms > slowMs) server.slowWindows.push([perfNowToProfileUs(r.sentAt), perfNowToProfileUs(r.receivedAt)]);
      },
      () => {
        outstanding--;
        failed++;
      },
    ));
  }, everyMs);
  return {
    async stop(): Promise<ProbeResult> {
      clearInterval(timer);
      await Promise.all(pending);
      lag.disable();
      return { samples, failed, clientLagMaxMs: lag.max / 1e6, maxOutstanding: maxSeen };
    },
  };
}

function probeRows(name: string, latencies: number[], baselineMs: number | undefined): void {
  msRow(`${name}: probe latency max (${latencies.length} ${latencies.length === 1 ? 'probe' : 'probes'})`, max(latencies), 20, baselineMs);
  msRow(`${name}: probe latency p99`, percentile(latencies, 99), 15, baselineMs);
}

/** Pre-serialises a didOpen of the file; the stringify + encode time is returned so it can be reported, not timed. */
function preserialisedOpen(uri: string, text: string): { body: Buffer; stringifyMs: number; parseMs: number } {
  gc();
  const t0 = performance.now();
  const body = BenchServer.didOpenBody(uri, text);
  const stringifyMs = performance.now() - t0;
  const t1 = performance.now();
  sink += (JSON.parse(body.toString('utf8')) as { params: { textDocument: { text: string } } }).params.textDocument.text.length;
  const parseMs = performance.now() - t1;
  return { body, stringifyMs, parseMs };
}

/**
 * The didOpen of a saved large document as the VS Code client sends it: by reference, with the
 * length and fingerprint of the editor's text (computed here, inside the timed window) and no text.
 */
function referenceOpenBody(uri: string, text: string): Buffer {
  const reference: OpenFromDisk = openFromDiskReference(text);
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'jsonl', version: 1, text: '' }, [OPEN_FROM_DISK_KEY]: reference } }), 'utf8');
}

/** How a client opens the big document: by reference (the VS Code client) or with its text (any LSP client). */
type OpenMode = 'reference' | 'text';

/** The didOpen to write: by reference (built inside the timed window), or the pre-serialised full text. */
function openBody(mode: OpenMode, uri: string, text: string, preserialised?: Buffer): () => Buffer {
  return mode === 'reference' ? () => referenceOpenBody(uri, text) : () => preserialised!;
}

/** Opens the big document, sends the visible range, pulls diagnostics: ms from the didOpen write to the report. */
async function openAndPull(server: BenchServer, uri: string, body: () => Buffer): Promise<{ ms: number; cpuMs: number; items: any[] }> {
  const cpu0 = server.cpuMs();
  const t0 = performance.now();
  server.writeRaw(body());
  server.markOpened(uri);
  server.visibleRanges(uri, [VISIBLE]);
  const reply = await server.diagnostics(uri, 300_000);
  if (reply.error) throw new Error(`diagnostics failed: ${reply.error.message}`);
  server.slowWindows.push([perfNowToProfileUs(t0), perfNowToProfileUs(reply.receivedAt)]);
  return { ms: reply.receivedAt - t0, cpuMs: server.cpuMs() - cpu0, items: reply.result?.items ?? [] };
}

function removeLabelFiles(dir: string): void {
  const data = path.join(dir, 'data');
  if (!fs.existsSync(data)) return;
  for (const name of fs.readdirSync(data)) if (/\.labels\.jsonl/.test(name)) fs.rmSync(path.join(data, name), { force: true, recursive: true });
}

// ---------------------------------------------------------------------------------------------
// machine
// ---------------------------------------------------------------------------------------------

function machine(): string {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  let commit = '';
  try {
    commit = execFileSync('git', ['log', '-1', '--format=%h %s'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server'], { cwd: REPO, encoding: 'utf8' }).trim();
    if (dirty) commit += ` (+ uncommitted changes in server/: ${dirty.split('\n').length} files)`;
  } catch {
    // not a git checkout
  }
  return [
    `CPU: ${cpu}, ${os.cpus().length} cores; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()}`,
    `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the start (other processes share this machine); Node ${process.version}; commit ${commit || 'unknown'}; ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// measurements
// ---------------------------------------------------------------------------------------------

let base100k: number | undefined;
let base1m: number | undefined;
let file100kText: string | undefined;
const text100k = (): string => (file100kText ??= fs.readFileSync(FILE100K, 'utf8'));

async function benchCore(): Promise<void> {
  const index: number[] = [];
  const full: number[] = [];
  let checked = '';
  for (let r = 0; r < REPS; r++) {
    gc();
    const t0 = performance.now();
    const project = new Project({ root: WS100K, annotator: BENCH_ANNOTATOR });
    const entry = await Promise.resolve(project.entry(FILE100K));
    const t1 = performance.now();
    if (!entry) throw new Error(`${FILE100K} is not a dataset of ${WS100K}`);
    const status = await Promise.resolve(project.status(FILE100K));
    const findings = await Promise.resolve(project.findings(FILE100K));
    const t2 = performance.now();
    index.push(t1 - t0);
    full.push(t2 - t0);
    checked = `status total ${status?.total}, needsReview ${status?.needsReview}; findings ${findings.findings.length} shown + ${findings.omitted} omitted`;
  }
  msRow(`100k JSONL: index (new Project + entry), median of ${REPS}`, median(index), 300, base100k);
  const limit = 1.5 * base100k!;
  const value = median(full);
  addRow({
    name: `100k JSONL: full analysis (index + status + findings), median of ${REPS}`,
    value, unit: 'ms', target: `≤ 1.5× baseline (${fmt(limit, 0)} ms)`, pass: value <= limit,
    baseline: { value: base100k!, unit: 'ms' }, ratio: value / base100k!,
  });
  notes.push(`Core, in-process: ${checked}.`);
}

async function benchOpen(): Promise<void> {
  const uri = uriOf(FILE100K);
  const runs: Record<OpenMode, { times: number[]; cpu: number[]; count: number }> = { reference: { times: [], cpu: [], count: 0 }, text: { times: [], cpu: [], count: 0 } };
  const stringify: number[] = [];
  const parse: number[] = [];
  const idle: number[] = [];
  for (let r = 0; r < REPS; r++) {
    for (const mode of ['reference', 'text'] as const) {
      const server = await startServer(WS100K, `open-${mode}`);
      try {
        server.open(uriOf(TINY100K), fs.readFileSync(TINY100K, 'utf8'));
        idle.push(await waitIdle(server, uriOf(TINY100K)));
        let body: Buffer | undefined;
        if (mode === 'text') {
          const serialised = preserialisedOpen(uri, text100k());
          stringify.push(serialised.stringifyMs);
          parse.push(serialised.parseMs);
          body = serialised.body;
        }
        gc();
        const { ms, cpuMs, items } = await openAndPull(server, uri, openBody(mode, uri, text100k(), body));
        runs[mode].times.push(ms);
        runs[mode].cpu.push(cpuMs);
        runs[mode].count = items.length;
      } finally {
        await server.stop();
      }
    }
  }
  const { reference, text } = runs;
  msRow(`100k: first diagnostics after didOpen (48 MB) as VS Code opens it (by reference), median of ${REPS}`, median(reference.times), 150, base100k);
  addRow({ name: `100k: first diagnostics after a full-text didOpen (48 MB, other LSP clients), median of ${REPS}`, value: median(text.times), unit: 'ms', target: 'info', baseline: { value: base100k!, unit: 'ms' }, ratio: median(text.times) / base100k! });
  notes.push(
    `First diagnostics: time from writing the didOpen (then loopmark/visibleRanges [${VISIBLE}] and a textDocument/diagnostic pull) to the report. ` +
      `By reference (what the VS Code client sends for a saved document of 4 M characters or more: no text, the length and a fingerprint, computed inside the timed window; the server reads the file in 512 KB slices and checks the fingerprint): ` +
      `${reference.count} items; runs ${reference.times.map((t) => fmt(t, 0)).join(', ')} ms; server CPU ${fmt(median(reference.cpu), 0)} ms. ` +
      `Full text (what other LSP clients send): ${text.count} items; runs ${text.times.map((t) => fmt(t, 0)).join(', ')} ms; server CPU ${fmt(median(text.cpu), 0)} ms; it includes the pipe transfer and the server's JSON.parse of the 48 MB message (the same parse in the bench process: median ${fmt(median(parse), 0)} ms), ` +
      `and excludes the client's JSON.stringify + UTF-8 encoding of it (median ${fmt(median(stringify), 0)} ms). ` +
      `Each run starts a fresh server and waits until it is idle (its startup work took median ${fmt(median(idle), 0)} ms).`,
  );
}

async function benchEdit(): Promise<void> {
  const uri = uriOf(FILE100K);
  const tiny = uriOf(TINY100K);
  const server = await startServer(WS100K, 'edit');
  try {
    server.open(tiny, fs.readFileSync(TINY100K, 'utf8'));
    await waitIdle(server, tiny);
    let { items } = await openAndPull(server, uri, () => referenceOpenBody(uri, text100k()));
    await waitIdle(server, tiny);
    server.slowWindows = [];
    const times: number[] = [];
    let missing = 0;
    const cpu0 = server.cpuMs();
    for (let k = 0; k < EDITS; k++) {
      const line = (k * 7) % (VISIBLE[1] + 1);
      const letter = String.fromCharCode(97 + (k % 26));
      const t0 = performance.now();
      server.change(uri, [{ range: { start: { line, character: 30 }, end: { line, character: 31 } }, text: letter }]);
      const reply = await server.diagnostics(uri, 300_000);
      if (reply.error) throw new Error(`diagnostics after an edit failed: ${reply.error.message}`);
      times.push(reply.receivedAt - t0);
      if (reply.receivedAt - t0 > 50) server.slowWindows.push([perfNowToProfileUs(t0), perfNowToProfileUs(reply.receivedAt)]);
      items = reply.result?.items ?? [];
      if (!items.some((d: any) => d.range?.start?.line === line)) missing++;
    }
    const cpuEdits = server.cpuMs() - cpu0;
    msRow(`100k: edit one line → fresh diagnostics, p95 of ${EDITS}`, percentile(times, 95), 50, base100k);
    notes.push(
      `Edits: didChange with one incremental range (one character of a sample's text, lines ${VISIBLE[0]}-${VISIBLE[1]}) then a diagnostic pull; ` +
        `median ${fmt(median(times))} ms, p95 ${fmt(percentile(times, 95))} ms, max ${fmt(max(times))} ms; server CPU ${fmt(cpuEdits / EDITS)} ms per edit` +
        (missing ? `; ${missing} reports had no diagnostic on the edited line` : '') + '.',
    );

    const diagnostic = items.find((d: any) => (d.code === 'review' || d.code === 'suggestion') && d.range.start.line <= VISIBLE[1]) ?? items.find((d: any) => d.data?.sampleId);
    if (!diagnostic) throw new Error('no review diagnostic to ask code actions for');
    const actionTimes: number[] = [];
    let actionCount = 0;
    for (let k = 0; k < ACTIONS; k++) {
      const reply = await server.request<any[]>('textDocument/codeAction', {
        textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic], triggerKind: 1 },
      });
      if (reply.error) throw new Error(`code actions failed: ${reply.error.message}`);
      actionTimes.push(reply.ms);
      actionCount = reply.result?.length ?? 0;
    }
    msRow(`100k: code action list, median of ${ACTIONS}`, median(actionTimes), 20, base100k);
    msRow(`100k: code action list, p95 of ${ACTIONS}`, percentile(actionTimes, 95), 20, base100k);
    notes.push(`Code actions: textDocument/codeAction for one review diagnostic of the open 100k document, ${actionCount} actions offered; max ${fmt(max(actionTimes))} ms.`);
  } finally {
    await server.stop();
  }
}

async function benchAccept(): Promise<void> {
  removeLabelFiles(WS100K);
  fs.copyFileSync(LABELS100K, SIDECAR100K);
  const uri = uriOf(FILE100K);
  const tiny = uriOf(TINY100K);
  const server = await startServer(WS100K, 'accept');
  try {
    server.open(tiny, fs.readFileSync(TINY100K, 'utf8'));
    await waitIdle(server, tiny);
    const status = await server.request<any>('loopmark/status', { uri }, 300_000);
    await waitIdle(server, tiny);
    const accept = (i: number): Promise<Reply<any>> =>
      server.request('workspace/executeCommand', {
        command: 'loopmark.server.applyLabel',
        arguments: [{ uri, decision: { sampleId: `s${String(i).padStart(7, '0')}`, label: 'positive', answer: 'accept', source: 'prediction', score: 0.9 } }],
      });
    const warm = await accept(100_000);
    if (warm.error) throw new Error(`applyLabel failed: ${warm.error.message}`);
    const times: number[] = [];
    let notDurable = 0;
    let size = fs.statSync(SIDECAR100K).size;
    for (let k = 0; k < ACCEPTS; k++) {
      const reply = await accept(1 + ((k * 1999) % 99_000));
      if (reply.error) throw new Error(`applyLabel failed: ${reply.error.message}`);
      times.push(reply.ms);
      const now = fs.statSync(SIDECAR100K).size;
      if (now <= size) notDurable++;
      size = now;
    }
    msRow(`100k labels stored: accept → durable ack, p95 of ${ACCEPTS}`, percentile(times, 95), 30, base100k);
    notes.push(
      `Accept: workspace/executeCommand loopmark.server.applyLabel round trip, the label file holding 100,000 labels (one per sample, by another annotator; status said ${status.result?.total} samples); ` +
        `median ${fmt(median(times))} ms, p95 ${fmt(percentile(times, 95))} ms, max ${fmt(max(times))} ms; the file had grown at every ack` +
        (notDurable ? ` except ${notDurable}` : '') + '. The client answers diagnostic refreshes but does not re-pull between accepts.',
    );
  } finally {
    await server.stop();
    removeLabelFiles(WS100K);
  }
}

/** Sends `request`, cancels it after `afterMs`, then sends a cheap request: how soon is that answered? */
async function cancelProbe(server: BenchServer, tiny: string, send: () => Promise<Reply<unknown>>, afterMs: number): Promise<{ nextMs: number; outcome: string }> {
  const pending = send();
  const id = server.lastId;
  await sleep(afterMs);
  const cancelledAt = performance.now();
  server.cancel(id);
  const next = await server.request('loopmark/status', { uri: tiny }, 600_000);
  const reply = await pending;
  const when = reply.receivedAt - cancelledAt;
  const outcome = reply.error?.code === -32800
    ? `cancelled (answered ${fmt(when, 0)} ms after the cancel)`
    : reply.error
      ? `error ${reply.error.code} ${reply.error.message}`
      : reply.receivedAt < cancelledAt
        ? `completed before the cancel (${fmt(reply.ms, 0)} ms)`
        : `ran to completion ${fmt(when, 0)} ms after the cancel (${fmt(reply.ms, 0)} ms in all)`;
  return { nextMs: next.receivedAt - cancelledAt, outcome };
}

async function benchCancel(): Promise<void> {
  const uri = uriOf(FILE100K);
  const tiny = uriOf(TINY100K);
  const server = await startServer(WS100K, 'cancel');
  try {
    server.open(tiny, fs.readFileSync(TINY100K, 'utf8'));
    await waitIdle(server, tiny);
    server.writeRaw(referenceOpenBody(uri, text100k()));
    server.markOpened(uri);
    server.visibleRanges(uri, [VISIBLE]);
    await server.request('loopmark/status', { uri: tiny }, 300_000); // the didOpen is processed
    const diag = await cancelProbe(server, tiny, () => server.diagnostics(uri, 600_000), 10);
    msRow('cancel: next request answered after $/cancelRequest of the first 100k diagnostics', diag.nextMs, 20, base100k);
    await waitIdle(server, tiny);
    const queue = await cancelProbe(server, tiny, () => server.request('loopmark/queue', { uri, n: 50 }, 600_000), 10);
    msRow('cancel: next request answered after $/cancelRequest of a 100k review queue', queue.nextMs, 20, base100k);
    notes.push(`Cancel (100k): the diagnostics request: ${diag.outcome}; the queue request: ${queue.outcome}. Each is cancelled 10 ms after it is sent, then a loopmark/status of a 5-line document is sent.`);
  } finally {
    await server.stop();
  }
}

async function benchResponsive(): Promise<void> {
  for (const mode of ['reference', 'text'] as const) {
    const uri = uriOf(FILE100K);
    const tiny = uriOf(TINY100K);
    const server = await startServer(WS100K, `responsive-${mode}`);
    let windows: Array<[number, number]> = [];
    try {
      server.open(tiny, fs.readFileSync(TINY100K, 'utf8'));
      await waitIdle(server, tiny);
      const body = openBody(mode, uri, text100k(), mode === 'text' ? preserialisedOpen(uri, text100k()).body : undefined);
      gc();
      const probe = startProbe(server, tiny);
      await sleep(50);
      const openAt = performance.now();
      server.writeRaw(body());
      server.markOpened(uri);
      server.visibleRanges(uri, [VISIBLE]);
      const pullAt = performance.now();
      const report = await server.diagnostics(uri, 300_000);
      const reportAt = performance.now();
      // Pull again after each refresh, as VS Code does: the pull after the read starts the background
      // parse of the whole document. Probe until the server is idle.
      let pulledAt = server.refreshes;
      const repull = setInterval(() => {
        if (server.refreshes === pulledAt) return;
        pulledAt = server.refreshes;
        void server.diagnostics(uri, 300_000).catch(() => undefined);
      }, 20);
      const idleMs = await waitIdle(server, tiny).finally(() => clearInterval(repull));
      const idleAt = performance.now();
      const result = await probe.stop();
      const during = (from: number, to: number): number[] => result.samples.filter((s) => s.sentAt >= from && s.sentAt < to).map((s) => s.ms);
      if (mode === 'reference') {
        probeRows('100k, opened by reference: while the server reads the file and answers the first pull', during(openAt, reportAt), base100k);
        probeRows('100k, opened by reference: while it parses the rest in the background', during(reportAt, Infinity), base100k);
      } else {
        const received = during(openAt, reportAt);
        addRow({ name: `100k, full-text didOpen (other LSP clients): probe latency max while the server receives it (${received.length} probes)`, value: max(received), unit: 'ms', target: 'info', baseline: { value: base100k!, unit: 'ms' }, ratio: max(received) / base100k! });
      }
      notes.push(
        `Probes (100k, ${mode === 'reference' ? 'opened by reference' : 'full-text didOpen'}): loopmark/status of a 5-line open document every 5 ms, at most one unanswered, so each latency is the wait of one request. ` +
          `The first diagnostics came ${fmt(report.receivedAt - pullAt, 0)} ms after the didOpen; the client pulled again after each diagnostic refresh (as VS Code does) and the server was idle again ${fmt(idleMs, 0)} ms later. Client event-loop lag max ${fmt(result.clientLagMaxMs)} ms; ${result.failed} probes failed.` +
          (mode === 'text' ? ' A full-text didOpen of 48 MB is received and JSON-parsed by vscode-jsonrpc before any handler runs; no handler can split that.' : ''),
      );
      windows = mode === 'reference' ? [[epochOf(openAt), epochOf(reportAt)], [epochOf(reportAt), epochOf(idleAt)]] : [];
    } finally {
      await server.stop();
    }
    const watch = loopWatchOf(server);
    if (windows.length === 2) {
      loopRows('100k, opened by reference: while the server reads the file and answers the first pull', watch, windows[0]![0], windows[0]![1], base100k);
      loopRows('100k, opened by reference: while it parses the rest in the background', watch, windows[1]![0], windows[1]![1], base100k);
    }
  }
}

async function benchStats(): Promise<void> {
  const times: number[] = [];
  let samples = 0;
  for (let r = 0; r < REPS_1M; r++) {
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const prof = profileArgs(`stats-${r + 1}`);
      const child = spawn(process.execPath, [...prof, CLI, 'stats', FILE1M, '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`loopmark stats exited ${code}: ${stderr.slice(-500)}`))));
    });
    times.push(performance.now() - t0);
    samples = (JSON.parse(out) as { samples: number }).samples;
  }
  msRow(`1M JSONL: loopmark stats --json (process wall time), median of ${REPS_1M}`, median(times), 3000, base1m);
  notes.push(`Stats: runs ${times.map((t) => fmt(t, 0)).join(', ')} ms; reported ${samples.toLocaleString('en-US')} samples.`);
}

function rssMedian(server: BenchServer): Promise<{ rss: number; hwm: number }> {
  return (async () => {
    const rss: number[] = [];
    let hwm = 0;
    for (let i = 0; i < 5; i++) {
      const m = server.memory();
      rss.push(m.rss);
      hwm = m.hwm;
      await sleep(200);
    }
    return { rss: median(rss), hwm };
  })();
}

/** Starts a server on the 1M workspace and has it index the big file, probing all along. */
async function indexBig(phase: string, maxOutstanding: number): Promise<{ server: BenchServer; indexedMs: number; total: number; queued: Reply<any>; probe: ProbeResult; cpuMs: number; window: [number, number] }> {
  const uri = uriOf(FILE1M);
  const tiny = uriOf(TINY1M);
  const t0 = performance.now();
  const server = await startServer(WS1M, phase);
  // The loop watch starts here: the process start (loading the code) is not a task of the server.
  const started = performance.now();
  server.open(tiny, fs.readFileSync(TINY1M, 'utf8'));
  const probe = startProbe(server, tiny, { maxOutstanding });
  const queue = server.request<any>('loopmark/queue', { uri, n: 20 }, 600_000);
  let total = 0;
  const deadline = performance.now() + 600_000;
  while (performance.now() < deadline) {
    const status = await server.request<any>('loopmark/status', { uri }, 600_000);
    total = status.result?.total ?? 0;
    if (total >= 1_000_000) break;
    await sleep(250);
  }
  const queued = await queue;
  const indexedMs = performance.now() - t0;
  const result = await probe.stop();
  return { server, indexedMs, total, queued, probe: result, cpuMs: server.cpuMs(), window: [epochOf(started), epochOf(t0 + indexedMs)] };
}

async function benchBig(): Promise<void> {
  // An idle server on an empty workspace.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-bench-empty-'));
  let emptyRss: number;
  try {
    const server = await startServer(empty, 'empty');
    try {
      await server.request('loopmark/status', { uri: uriOf(path.join(empty, 'none.jsonl')) });
      await sleep(1500);
      emptyRss = (await rssMedian(server)).rss;
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }

  const uri = uriOf(FILE1M);
  const tiny = uriOf(TINY1M);
  const { server, indexedMs, total, queued, probe, cpuMs, window } = await indexBig('big', 1);
  try {
    const latencies = probe.samples.map((s) => s.ms);
    probeRows('1M: while the server indexes (start, loopmark/queue, loopmark/status)', latencies, base1m);
    addRow({ name: '1M: server start → status answers for all 1M samples', value: indexedMs, unit: 'ms', target: 'info', baseline: { value: base1m!, unit: 'ms' }, ratio: indexedMs / base1m! });

    await sleep(2000);
    const big = await rssMedian(server);
    const above = (big.rss - emptyRss) / MB;
    const fileMb = fs.statSync(FILE1M).size / MB;
    addRow({
      name: '1M: server memory for its index (RSS above an empty server)',
      value: above, unit: 'MB', target: '≤ 150 MB', pass: above <= 150,
      baseline: { value: fileMb, unit: 'MB (file size)' }, ratio: above / fileMb,
    });
    notes.push(
      `Memory (1M): VmRSS of an idle server on an empty workspace ${fmt(emptyRss / MB, 0)} MB; of the server that indexed the 1M file, 2 s after it answered, ${fmt(big.rss / MB, 0)} MB (peak VmHWM ${fmt(big.hwm / MB, 0)} MB). ` +
        `Status said ${total.toLocaleString('en-US')} samples; the queue answered ${queued.error ? `an error (${queued.error.message})` : `${queued.result?.items?.length ?? 0} items`}; server CPU time until then ${fmt(cpuMs, 0)} ms.`,
    );
    notes.push(`Probes (1M, at most one unanswered): ${latencies.length}, median ${fmt(median(latencies))} ms, ${latencies.filter((l) => l > 20).length} over 20 ms; client event-loop lag max ${fmt(probe.clientLagMaxMs)} ms.`);

    await waitIdle(server, tiny);
    const cancel = await cancelProbe(server, tiny, () => server.request('loopmark/queue', { uri, n: 50 }, 600_000), 20);
    msRow('cancel: next request answered after $/cancelRequest of a 1M review queue', cancel.nextMs, 20, base1m);
    notes.push(`Cancel (1M): the queue request, cancelled 20 ms after it was sent: ${cancel.outcome}.`);
  } finally {
    await server.stop(60_000);
  }
  loopRows('1M: while the server indexes', loopWatchOf(server), window[0], window[1], base1m);

  // The same index built in this process: its heap, without the server's other memory and GC slack.
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const index = DiskDataset.indexSync(FILE1M, { textField: 'text', idField: 'id' });
  const indexMs = performance.now() - t0;
  const rssMb = (process.memoryUsage().rss - rss0) / MB;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heap0) / MB;
  notes.push(`Disk index in-process (1M): live heap after a forced GC ${fmt(heapMb, 0)} MB; this process's RSS grew ${fmt(rssMb, 0)} MB while building it (garbage of the per-line parses not yet collected or returned).`);
  sink += index.lineCount;
  addRow({ name: '1M: heap of the disk index built in-process (DiskDataset.indexSync)', value: heapMb, unit: 'MB', target: 'info', baseline: { value: fs.statSync(FILE1M).size / MB, unit: 'MB (file size)' }, ratio: heapMb / (fs.statSync(FILE1M).size / MB) });
  addRow({ name: '1M: DiskDataset.indexSync in-process', value: indexMs, unit: 'ms', target: 'info', baseline: { value: base1m!, unit: 'ms' }, ratio: indexMs / base1m! });

  // Again, with probes that do not wait for each other: a backlog shows how many requests per second get through.
  const open = await indexBig('big-openloop', Infinity);
  try {
    const latencies = open.probe.samples.map((s) => s.ms);
    const seconds = open.indexedMs / 1000;
    addRow({
      name: `1M: while indexing, open-loop probes every 5 ms: latency p99 (${latencies.length} probes)`,
      value: percentile(latencies, 99), unit: 'ms', target: '≤ 15 ms', pass: percentile(latencies, 99) <= 15,
      baseline: { value: base1m!, unit: 'ms' }, ratio: percentile(latencies, 99) / base1m!,
    });
    notes.push(
      `Open-loop probes (1M): a probe every 5 ms (the client's timer sends ${fmt(latencies.length / seconds, 0)}/s) whether or not the previous one was answered, during ${fmt(seconds, 1)} s of indexing: ` +
        `${latencies.length} sent and answered, at most ${open.probe.maxOutstanding} unanswered at once (a server that fell behind would pile them up); median ${fmt(median(latencies))} ms, max ${fmt(max(latencies))} ms.`,
    );
  } finally {
    await open.server.stop(60_000);
  }
  loopRows('1M, open-loop probes: while the server indexes', loopWatchOf(open.server), open.window[0], open.window[1], base1m);
}

const WS_SHARDS = path.join(DATA, 'ws-shards');
const SHARDS = 5000;
const SHARD_LINES = 10;

/**
 * Many small files: a task whose glob matches 5,000 shards of ten lines (a vendor/ folder, a sharded
 * export). The server reads and trains from all of them at start; a cheap request must still be
 * answered within the 15 ms rule, and the first diagnostics of a shard must not wait for the rest.
 */
async function benchShards(): Promise<void> {
  const dir = path.join(WS_SHARDS, 'data', 'shards');
  fs.rmSync(WS_SHARDS, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(WS_SHARDS, 'loopmark.json'), benchConfig().replace('"data/*.jsonl"', '"data/**/*.jsonl"'));
  const tiny = path.join(WS_SHARDS, 'data', 'tiny.jsonl');
  fs.writeFileSync(tiny, tinyDataset());
  const lines = tinyDataset(SHARDS * SHARD_LINES).split('\n');
  for (let i = 0; i < SHARDS; i++) {
    const shard = lines.slice(i * SHARD_LINES, (i + 1) * SHARD_LINES);
    fs.writeFileSync(path.join(dir, `shard-${String(i).padStart(4, '0')}.jsonl`), `${shard.join('\n')}\n`);
    // A label for every other shard's first sample: the training pass reads label files too.
    if (i % 2 === 0) {
      const id = (JSON.parse(shard[0]!) as { id: string }).id;
      fs.writeFileSync(path.join(dir, `shard-${String(i).padStart(4, '0')}.labels.jsonl`), `${JSON.stringify({ id, label: ['positive', 'negative', 'neutral'][i % 3], answer: 'accept', annotator: BENCH_ANNOTATOR, time: '2026-01-01T00:00:00.000Z', source: 'manual' })}\n`);
    }
  }
  // Baseline: read and JSON.parse every line of every shard, in this process.
  const baseline = median(Array.from({ length: 3 }, () => {
    const t0 = performance.now();
    for (const name of fs.readdirSync(dir)) for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) if (line) JSON.parse(line);
    return performance.now() - t0;
  }));
  const server = await startServer(WS_SHARDS, 'shards');
  let window: [number, number] = [0, 0];
  try {
    const tinyUri = uriOf(tiny);
    const startedAt = performance.now();
    server.open(tinyUri, fs.readFileSync(tiny, 'utf8'));
    const probe = startProbe(server, tinyUri);
    const shard = path.join(dir, 'shard-2500.jsonl');
    server.open(uriOf(shard), fs.readFileSync(shard, 'utf8'));
    const first = await server.diagnostics(uriOf(shard), 300_000);
    const firstMs = first.receivedAt - startedAt;
    const idleMs = await waitIdle(server, tinyUri);
    const idleAt = performance.now();
    const result = await probe.stop();
    const latencies = result.samples.map((x) => x.ms);
    probeRows(`${SHARDS} small dataset files: while the server reads and trains from all of them`, latencies, baseline);
    msRow(`${SHARDS} small dataset files: first diagnostics of one shard after start`, firstMs, 1000, baseline);
    const rss = await rssMedian(server);
    addRow({ name: `${SHARDS} small dataset files: server RSS once idle`, value: rss.rss / MB, unit: 'MB', target: 'info', baseline: { value: baseline, unit: 'ms (baseline)' } });
    notes.push(`${SHARDS} shards of ${SHARD_LINES} lines (${SHARDS / 2} label files): the server was idle ${fmt(idleMs, 0)} ms after start; baseline (read + JSON.parse every shard in-process) ${fmt(baseline, 0)} ms; ${result.failed} probes failed.`);
    window = [epochOf(startedAt), epochOf(idleAt)];
  } finally {
    await server.stop();
  }
  loopRows(`${SHARDS} small dataset files: while the server reads and trains from all of them`, loopWatchOf(server), window[0], window[1], baseline);
}

/** The rows of a bench module that measures itself (model, llm): its targets and baselines as it gives them. */
async function benchResultRows(results: BenchResult[]): Promise<void> {
  for (const r of results) {
    addRow({
      name: r.name,
      value: r.value,
      unit: r.unit,
      target: r.target === 'reference' ? 'info' : `${r.target.replace('>=', '≥').replace('<=', '≤')} ${r.unit}`,
      ...(r.target === 'reference' ? {} : { pass: r.pass }),
      ...(r.baseline ? { baseline: { value: r.baseline.value, unit: r.baseline.name } } : {}),
      ...(r.ratio !== undefined ? { ratio: r.ratio } : {}),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

function table(): string {
  const header = ['Measurement', 'Figure', 'Target', 'Baseline', 'Ratio', 'Result'];
  const body = rows.map((r) => [
    r.name,
    r.error ? '—' : `${fmt(r.value)} ${r.unit}`,
    r.target || '—',
    r.baseline ? `${fmt(r.baseline.value)} ${r.baseline.unit}` : '—',
    r.ratio === undefined ? '—' : `${fmt(r.ratio, r.ratio >= 10 ? 1 : r.ratio >= 0.1 ? 2 : 3)}×`,
    r.error ? `error: ${r.error}` : r.pass === undefined ? 'info' : r.pass ? 'pass' : '**FAIL**',
  ]);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((cells) => `| ${cells.map(esc).join(' | ')} |`)].join('\n');
}

function plainTable(): string {
  const cells = [['Measurement', 'Figure', 'Target', 'Baseline', 'Ratio', 'Result'], ...rows.map((r) => [
    r.name,
    r.error ? '—' : `${fmt(r.value)} ${r.unit}`,
    r.target || '—',
    r.baseline ? `${fmt(r.baseline.value)} ${r.baseline.unit}` : '—',
    r.ratio === undefined ? '—' : `${fmt(r.ratio, r.ratio >= 10 ? 1 : r.ratio >= 0.1 ? 2 : 3)}×`,
    r.error ? `ERROR ${r.error}` : r.pass === undefined ? 'info' : r.pass ? 'pass' : 'FAIL',
  ])];
  const widths = cells[0]!.map((_, c) => Math.min(90, Math.max(...cells.map((row) => row[c]!.length))));
  return cells.map((row, i) => {
    const line = row.map((cell, c) => (c === 1 || c === 3 || c === 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

async function group(name: string, rowNames: string[], fn: () => Promise<void>): Promise<void> {
  if (!runs(name)) return;
  const started = performance.now();
  log(`-- ${name}`);
  try {
    await fn();
  } catch (error) {
    log(`${name} failed: ${(error as Error).stack ?? error}`);
    errorRows(rowNames, error);
  }
  log(`-- ${name} done in ${fmt((performance.now() - started) / 1000, 1)} s`);
}

async function main(): Promise<void> {
  const summarize = argv.indexOf('--summarize');
  if (summarize >= 0) {
    for (const file of argv.slice(summarize + 1)) console.log(formatProfileSummary(file, summarizeProfile(file, 20)));
    return;
  }
  const started = performance.now();
  const info = machine();
  console.log(info);
  if (!fs.existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run the build first (npm run bench builds it)`);
  fs.mkdirSync(path.dirname(CLI), { recursive: true });
  // The CLI and the worker script it starts for large files (beside it, as in dist/).
  for (const name of ['cli.js', 'indexWorker.js', 'globWorker.js', 'loopwatch.js']) {
    const built = path.join(path.dirname(BUILT_CLI), name);
    const copy = path.join(path.dirname(CLI), name);
    fs.copyFileSync(built, copy);
    if (fs.existsSync(`${built}.map`)) fs.copyFileSync(`${built}.map`, `${copy}.map`);
  }
  if (PROFILE) fs.rmSync(PROFILES, { recursive: true, force: true });
  // Competing CPU-bound processes, as when Loopmark runs beside a build, a test run or a training job.
  const loadAt = argv.indexOf('--load');
  const load = loadAt >= 0 ? Math.max(1, Number(argv[loadAt + 1] ?? 1) || 1) : 0;
  const burners = Array.from({ length: load }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  process.on('exit', () => burners.forEach((b) => b.kill('SIGKILL')));
  if (load > 0) log(`load: ${load} competing CPU-bound process(es) for the whole run`);

  // ---- data
  const need100k = ['core', 'open', 'edit', 'accept', 'cancel', 'responsive'].some(runs);
  const need1m = ['stats', 'big'].some(runs);
  for (const [ws, tiny] of [[WS100K, TINY100K], [WS1M, TINY1M]] as const) {
    fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'loopmark.json'), benchConfig());
    fs.writeFileSync(tiny, tinyDataset());
    removeLabelFiles(ws);
  }
  const datasets: string[] = [];
  if (need100k) {
    const d = ensureDataset(FILE100K, 100_000, 100_000, LABELS100K);
    if (d.bytes >= 50_000_000) throw new Error(`the 100k dataset has ${d.bytes} characters; it should stay under 50,000,000`);
    datasets.push(`100k: ${(d.bytes / 1e6).toFixed(1)} MB (${d.reused ? 'reused' : `generated in ${fmt(d.ms / 1000, 1)} s`}), labels ${(fs.statSync(LABELS100K).size / 1e6).toFixed(1)} MB`);
  }
  if (need1m) {
    const d = ensureDataset(FILE1M, 1_000_000, 1_000_000);
    datasets.push(`1M: ${(d.bytes / 1e6).toFixed(1)} MB (${d.reused ? 'reused' : `generated in ${fmt(d.ms / 1000, 1)} s`})`);
  }
  log(`datasets: ${datasets.join('; ')}`);

  // ---- baselines
  if (need100k) {
    base100k = baselineOf(FILE100K, REPS);
    log(`baseline 100k (read + JSON.parse every line): median ${fmt(base100k)} ms`);
  }
  if (need1m) {
    base1m = baselineOf(FILE1M, REPS_1M);
    log(`baseline 1M: median ${fmt(base1m)} ms`);
  }

  await group('core', ['100k JSONL: index', '100k JSONL: full analysis'], benchCore);
  await group('open', ['100k: first diagnostics after didOpen'], benchOpen);
  await group('edit', ['100k: edit one line → fresh diagnostics', '100k: code action list'], benchEdit);
  await group('accept', ['100k labels stored: accept → durable ack'], benchAccept);
  await group('responsive', ['100k: probe latency during didOpen and first diagnostics'], benchResponsive);
  await group('cancel', ['cancel: 100k diagnostics and queue'], benchCancel);
  await group('stats', ['1M JSONL: loopmark stats'], benchStats);
  await group('big', ['1M: memory, probe latency while indexing, cancel'], benchBig);
  await group('shards', ['5000 small dataset files'], benchShards);
  await group('model', ['model'], async () => benchResultRows(await benchModel()));
  await group('llm', ['llm'], async () => benchResultRows(await llmBench()));

  const totalS = (performance.now() - started) / 1000;
  const baselineNote = [
    base100k !== undefined ? `100k file: ${fmt(base100k, 0)} ms` : '',
    base1m !== undefined ? `1M file: ${fmt(base1m, 0)} ms` : '',
  ].filter(Boolean).join('; ');
  const failing = rows.filter((r) => r.pass === false || r.error).length;
  const out = [
    '## Benchmark results',
    '',
    '```',
    info,
    `Data: ${datasets.join('; ')}`,
    '```',
    '',
    table(),
    '',
    `Baseline: reading the same file in 8 MB chunks and JSON.parse of every line, median (${baselineNote || 'not run'}); the model rows use their own baselines (bench/model.bench.ts). ` +
      'Ratio = figure / baseline. Probe and cancel rows: loopmark/status of a 5-line open document; target from "no server task runs more than 15 ms without yielding".',
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    `${rows.length} rows, ${failing} failing; the whole run took ${fmt(totalS, 0)} s; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${PROFILE ? ' (servers ran with --cpu-prof: figures are a little slower)' : ''}.`,
    '',
  ].join('\n');
  console.log('');
  console.log(plainTable());
  console.log('');
  for (const n of notes) console.log(`- ${n}`);
  console.log(`\n${rows.length} rows, ${failing} failing; ${fmt(totalS, 0)} s`);
  if (!ONLY) fs.writeFileSync(RESULTS, out);
  else fs.writeFileSync(path.join(DATA, 'results-partial.md'), out);

  if (PROFILE && fs.existsSync(PROFILES)) {
    collectProfiles();
    const windows = new Map(profiled.filter((server) => server.profileFile).map((server) => [server.profileFile!, server.slowWindows]));
    const summaries = fs.readdirSync(PROFILES).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((name) => {
      const file = path.join(PROFILES, name);
      const waited = windows.get(file);
      return formatProfileSummary(path.relative(REPO, file), summarizeProfile(file, 15)) +
        (waited ? `\n  while requests waited (slow probes, first diagnostics, slow edits):\n${summarizeWindows(file, waited)}` : '');
    });
    fs.writeFileSync(path.join(PROFILES, 'summary.txt'), `${summaries.join('\n\n')}\n`);
    console.log(`\nProfiles: ${path.relative(REPO, PROFILES)}/summary.txt`);
  }
  if (sink === 0.5) console.log('');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).stack ?? error);
    process.exit(1);
  },
);
