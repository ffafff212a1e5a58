// Preloaded into the language server by the benchmark (`node --require dist/loopwatch.js`): what held
// the server's event loop, measured inside the server, where the wall-clock latency a client sees also
// holds the time the OS gave the CPU to other processes. A timer ticks every millisecond; a gap between
// two ticks is a block. For each block longer than BLOCK_MS it records the main thread's CPU time and
// run-queue wait (Linux schedstat) during it, and every GC pause. Written as JSON, when the server
// exits, to $LOOPMARK_BENCH_LOOPWATCH.
import * as fs from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

/** Gaps between ticks longer than this are recorded. */
const BLOCK_MS = 5;

export interface LoopBlock {
  /** Epoch ms when the block started (performance.timeOrigin based: comparable across processes). */
  at: number;
  /** The same instant in µs on the monotonic clock that V8 stamps .cpuprofile samples with. */
  profileUs: number;
  ms: number;
  /** Main-thread CPU time during the block; NaN where /proc is not there. */
  cpuMs: number;
  /** Time the main thread was runnable but waited for a CPU. */
  waitMs: number;
}

export interface GcPause {
  at: number;
  ms: number;
  /** perf_hooks kind: 1 minor (scavenge), 4 major (mark-compact), 8 incremental, 16 weak callbacks. */
  kind: number;
}

export interface LoopWatch {
  blocks: LoopBlock[];
  gcs: GcPause[];
}

const out = process.env['LOOPMARK_BENCH_LOOPWATCH'];
if (out && isMainThread) {
  const blocks: LoopBlock[] = [];
  const gcs: GcPause[] = [];
  const epoch = (t: number): number => performance.timeOrigin + t;
  const monoUs = (t: number): number => Number(process.hrtime.bigint() / 1000n) - (performance.now() - t) * 1000;
  const statFile = `/proc/self/task/${process.pid}/schedstat`;
  const sched = (): [number, number] => {
    try {
      const [run, wait] = fs.readFileSync(statFile, 'latin1').split(' ').map(Number);
      return [run! / 1e6, wait! / 1e6];
    } catch {
      return [NaN, NaN];
    }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 2) gcs.push({ at: epoch(e.startTime), ms: e.duration, kind: ((e as { detail?: { kind?: number } }).detail)?.kind ?? 0 });
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastSched = sched();
  setInterval(() => {
    const now = performance.now();
    const s = sched();
    if (now - last > BLOCK_MS) blocks.push({ at: epoch(last), profileUs: monoUs(last), ms: now - last, cpuMs: s[0] - lastSched[0], waitMs: s[1] - lastSched[1] });
    last = now;
    lastSched = s;
  }, 1).unref();
  process.on('exit', () => {
    try {
      fs.writeFileSync(out, JSON.stringify({ blocks, gcs } satisfies LoopWatch));
    } catch {
      // the benchmark reports the figures as missing
    }
  });
}
