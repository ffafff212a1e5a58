// Summary of a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time and the
// most total time, mapped through the bundle's source map to the TypeScript source.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(url: string): SourceMap | null {
  if (maps.has(url)) return maps.get(url)!;
  let map: SourceMap | null = null;
  try {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (file && fs.existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
  } catch {
    map = null;
  }
  maps.set(url, map);
  return map;
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const map = sourceMapOf(frame.url);
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
    if (entry?.originalSource) {
      const src = entry.originalSource.replace(/^.*?(server\/src\/|node_modules\/)/, '$1');
      return `${src}:${(entry.originalLine ?? 0) + 1}`;
    }
  }
  const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
  return `${path.basename(file)}:${frame.lineNumber + 1}`;
}

function keyOf(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  const at = where(frame);
  return at ? `${name} ${at}` : name;
}

export interface ProfileSummary {
  totalMs: number;
  self: Array<{ fn: string; ms: number }>;
  total: Array<{ fn: string; ms: number }>;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const keys = new Map<number, string>();
  for (const n of profile.nodes) keys.set(n.id, keyOf(n.callFrame));
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    const k = keys.get(id)!;
    self.set(k, (self.get(k) ?? 0) + us);
    // Total time: charge every distinct function on the stack once.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keys.get(at)!;
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + us);
    }
    void byId;
  }
  const sorted = (m: Map<string, number>): Array<{ fn: string; ms: number }> =>
    [...m.entries()]
      .filter(([k]) => !/^\((root|program|idle)\)/.test(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: us / 1000 }));
  return { totalMs: totalUs / 1000, self: sorted(self), total: sorted(total) };
}

export function formatProfileSummary(file: string, s: ProfileSummary): string {
  const rows = (list: Array<{ fn: string; ms: number }>): string => list.map((r) => `    ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}`).join('\n');
  return [`  ${file} (${s.totalMs.toFixed(0)} ms sampled)`, '  self time:', rows(s.self), '  total time:', rows(s.total)].join('\n');
}

/** Frames that are on every stack and say nothing about the work. */
const PLUMBING = /^\((root|program)\)|^(processImmediate|runMicrotasks|runNextTicks|processTicksAndRejections|listOnTimeout|processTimers|emit|addChunk|readableAddChunk|onStreamRead) |^\(anonymous\) node:/;

/** µs on the clock V8 stamps profiles with (CLOCK_MONOTONIC), for a performance.now() of this process. */
export function perfNowToProfileUs(ms: number): number {
  const nowUs = Number(process.hrtime.bigint() / 1000n);
  return nowUs - (performance.now() - ms) * 1000;
}

/**
 * What the server was doing while requests waited: the functions with the most total time in the
 * samples that fall inside `windows` ([startUs, endUs] on the profile clock), overall and for the
 * longest windows. Event-loop plumbing frames are left out.
 */
export function summarizeWindows(file: string, windows: Array<[number, number]>, top = 16): string {
  if (windows.length === 0) return '  no slow probes';
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keys = new Map<number, string>();
  for (const n of profile.nodes) keys.set(n.id, keyOf(n.callFrame));
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  const charge = (into: Map<string, number>, id: number, us: number): void => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keys.get(at)!;
      if (seen.has(key) || PLUMBING.test(key)) continue;
      seen.add(key);
      into.set(key, (into.get(key) ?? 0) + us);
    }
  };
  const overall = new Map<string, number>();
  const perWindow = new Map<number, Map<string, number>>();
  let t = profile.startTime;
  let w = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    while (w < sorted.length && sorted[w]![1] < t) w++;
    if (w >= sorted.length) break;
    if (t < sorted[w]![0]) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    charge(overall, profile.samples[i]!, us);
    let m = perWindow.get(w);
    if (!m) perWindow.set(w, (m = new Map()));
    charge(m, profile.samples[i]!, us);
  }
  const list = (m: Map<string, number>, n: number): string =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `      ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n');
  const longest = sorted.map((win, i) => ({ i, ms: (win[1] - win[0]) / 1000 })).sort((a, b) => b.ms - a.ms).slice(0, 3);
  const totalMs = sorted.reduce((sum, [a, b]) => sum + (b - a) / 1000, 0);
  return [
    `    ${sorted.length} slow probes, ${totalMs.toFixed(0)} ms of waiting in all; total time by function in those windows:`,
    list(overall, top),
    ...longest.map(({ i, ms }) => `    longest wait ${ms.toFixed(0)} ms:\n${list(perWindow.get(i) ?? new Map(), 10)}`),
  ].join('\n');
}
