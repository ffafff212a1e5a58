// Indexes a large dataset on worker threads, one byte range each (both cores of a small machine),
// while the caller's thread keeps answering.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DatasetFields } from './core/dataset';
import { DiskDataset, splitPoints, type IndexPart } from './core/diskDataset';

interface RawPart {
  offsets: Float64Array;
  kinds: Uint8Array;
  ids: string;
  json: boolean;
  samples: number;
  errors: number;
}

const WORKER_SCRIPT = path.join(__dirname, 'indexWorker.js');

function runWorker(file: string, fields: DatasetFields, start: number, end: number): Promise<RawPart> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { workerData: { path: file, fields, start, end } });
    worker.once('message', (part: RawPart) => resolve(part));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`indexing ${file} stopped (worker exit code ${code})`));
    });
  });
}

/** Splits a worker's id string in steps of 50,000 ids. */
function* splitIds(raw: RawPart): Generator<void, string[]> {
  if (raw.json) return JSON.parse(raw.ids) as string[];
  const ids: string[] = [];
  if (raw.samples === 0) return ids;
  let from = 0;
  for (;;) {
    const next = raw.ids.indexOf('\u0000', from);
    ids.push(next < 0 ? raw.ids.slice(from) : raw.ids.slice(from, next));
    if (next < 0) return ids;
    from = next + 1;
    if (ids.length % 50_000 === 0) yield;
  }
}

/**
 * Index steps for a large file: the workers do the parsing (the steps yield a promise to wait on
 * meanwhile); this thread only joins their parts. Without the worker script (tests run from
 * sources), it indexes here, in steps.
 */
export function* workerIndexSteps(file: string, fields: DatasetFields): Generator<unknown, DiskDataset> {
  if (!fs.existsSync(WORKER_SCRIPT)) return yield* DiskDataset.indexSteps(file, fields);
  const points = splitPoints(file, Math.max(1, Math.min(4, os.availableParallelism())));
  const ranges = points.slice(0, -1).map((start, k) => [start, points[k + 1]!] as const);
  let raw: RawPart[] | undefined;
  let failure: unknown;
  const all = Promise.all(ranges.map(([start, end]) => runWorker(file, fields, start, end))).then(
    (parts) => (raw = parts),
    (error: unknown) => (failure = error),
  );
  while (!raw && failure === undefined) yield all;
  if (failure !== undefined) throw failure;
  const parts: IndexPart[] = [];
  for (const part of raw!) parts.push({ offsets: part.offsets, kinds: part.kinds, samples: part.samples, errors: part.errors, ids: yield* splitIds(part) });
  return yield* DiskDataset.assembleSteps(file, fields, parts);
}
