// Indexes a large dataset on worker threads, one byte range each (both cores of a small machine),
// while the caller's thread keeps answering.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DatasetFields } from './core/dataset';
import { DiskDataset, splitPoints, type IndexPart } from './core/diskDataset';

const WORKER_SCRIPT = path.join(__dirname, 'indexWorker.js');

/**
 * Nice value of the index workers of a server: on a machine with as many cores as workers, the thread
 * that answers requests otherwise waits up to tens of ms for a core when a message arrives.
 */
export const BACKGROUND_NICE = 10;

export interface WorkerIndexOptions {
  /** Nice value of the worker threads (Linux): BACKGROUND_NICE by default, 0 when nothing else needs the CPU (the CLI). */
  nice?: number;
}

function runWorker(file: string, fields: DatasetFields, start: number, end: number, nice: number): Promise<IndexPart> {
  return new Promise((resolve, reject) => {
    // stdout: true keeps the worker's stdout off the server's, which is the LSP channel.
    const worker = new Worker(WORKER_SCRIPT, { workerData: { path: file, fields, start, end, nice }, stdout: true });
    worker.once('message', (part: IndexPart) => resolve(part));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`indexing ${file} stopped (worker exit code ${code})`));
    });
  });
}

/**
 * Index steps for a large file: the workers do the parsing (the steps yield a promise to wait on
 * meanwhile); this thread keeps their parts as they come. Without the worker script (tests run from
 * sources), it indexes here, in steps.
 */
export function* workerIndexSteps(file: string, fields: DatasetFields, options: WorkerIndexOptions = {}): Generator<unknown, DiskDataset> {
  if (!fs.existsSync(WORKER_SCRIPT)) return yield* DiskDataset.indexSteps(file, fields);
  const points = splitPoints(file, Math.max(1, Math.min(4, os.availableParallelism())));
  const ranges = points.slice(0, -1).map((start, k) => [start, points[k + 1]!] as const);
  // Starting a worker takes the thread for several ms: one per step, none in the turn that asked for the index.
  yield;
  const started: Array<Promise<IndexPart>> = [];
  for (const [start, end] of ranges) {
    const part = runWorker(file, fields, start, end, options.nice ?? BACKGROUND_NICE);
    part.catch(() => undefined); // a failure is taken up below, through Promise.all
    started.push(part);
    yield;
  }
  let parts: IndexPart[] | undefined;
  let failure: unknown;
  const all = Promise.all(started).then(
    (done) => (parts = done),
    (error: unknown) => (failure = error),
  );
  while (!parts && failure === undefined) yield all;
  if (failure !== undefined) throw failure;
  return DiskDataset.fromParts(file, fields, parts!);
}
