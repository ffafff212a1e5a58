// Shared by the reliability tests: a seeded RNG, generated workspaces, the built server and CLI as real
// processes, and reading label files back exactly as the server does.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLabels } from '../../server/src/core/labels';
import type { LabelRecord } from '../../server/src/core/types';
import { CLI, LspClient } from '../lsp/client';

export { CLI };

/** The seed of a run: RELIABILITY_SEED when set (to replay a failure), else the given default. */
export function seedFrom(fallback: number): number {
  const fromEnv = Number(process.env['RELIABILITY_SEED']);
  return Number.isInteger(fromEnv) && process.env['RELIABILITY_SEED'] !== '' ? fromEnv >>> 0 : fallback >>> 0;
}

/** mulberry32: small, fast, seeded. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

export const LABELS = ['positive', 'negative', 'neutral'] as const;

const WORDS = ['battery', 'strap', 'screen', 'support', 'refund', 'great', 'broken', 'fast', 'slow', 'price', 'dock', 'charger', 'happy', 'awful', 'fine', 'okay'];

/** A sample id of the generated dataset. */
export function sampleIdOf(i: number): string {
  return `s${String(i).padStart(5, '0')}`;
}

/**
 * Writes a workspace with a declared task over `data/*.jsonl` and a dataset `data/big.jsonl` of `count`
 * samples, each with a prediction. Returns the dataset's path and text.
 */
export function writeDataset(root: string, count: number, rng: Rng): { file: string; text: string; ids: string[] } {
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'loopmark.json'),
    JSON.stringify({ tasks: [{ name: 'sentiment', kind: 'classify', files: ['data/*.jsonl'], labels: [...LABELS], threshold: 0.8, model: { enabled: false } }] }, null, 2),
  );
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = sampleIdOf(i);
    ids.push(id);
    const words = Array.from({ length: rng.range(4, 14) }, () => rng.pick(WORDS)).join(' ');
    lines.push(JSON.stringify({ id, text: `${words} #${i}`, prediction: { label: rng.pick(LABELS), score: Math.round(rng.next() * 100) / 100 } }));
  }
  const text = `${lines.join('\n')}\n`;
  const file = path.join(root, 'data', 'big.jsonl');
  fs.writeFileSync(file, text);
  return { file, text, ids };
}

/** The label file as the server reads it: the latest record per key, and the problems. */
export function readLabels(file: string): { text: string; records: Map<string, LabelRecord>; problems: number; canonical: boolean } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parsed = parseLabels(text);
  const records = new Map<string, LabelRecord>();
  for (const r of parsed.records.values()) records.set(`${r.id}\u0000${r.annotator}`, r);
  return { text, records, problems: parsed.problems.length, canonical: parsed.canonical };
}

/** What a decision sent to the server looks like, and the record that should come back from disk. */
export interface Decision {
  sampleId: string;
  label: string;
  answer: 'accept' | 'reject' | 'ignore';
  source: 'prediction' | 'correction' | 'manual';
  score?: number;
}

export const APPLY_LABEL = 'loopmark.server.applyLabel';

export function applyLabel(client: LspClient, uri: string, decision: Decision): Promise<unknown> {
  return client.request('workspace/executeCommand', { command: APPLY_LABEL, arguments: [{ uri, decision }] });
}

/** Runs the CLI to completion. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loopmark ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20_000} ms`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Files beside the label file that a writer left behind (locks, temp files, set-aside locks). */
export function leftovers(dir: string, keep: readonly string[]): string[] {
  return fs.readdirSync(dir).filter((name) => !keep.includes(name));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `promise` takes longer than `ms`: a hang must fail the test with a message, not time it out. */
export function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

export { LspClient };
