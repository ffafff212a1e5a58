// Finds the dataset files of a folder on a worker thread. In a folder of 5,000 files tinyglobby
// handles one directory's entries in one callback: about 110 ms in a turn of the event loop that
// answers requests (measured by `npm run bench`, group shards); a worker takes all of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { glob, type GlobOptions } from 'tinyglobby';

const WORKER_SCRIPT = path.join(__dirname, 'globWorker.js');

/** The files matching `patterns`, globbed on a worker thread (in this thread without the built worker: tests from sources). */
export function workerGlob(patterns: string[], options: GlobOptions): Promise<string[]> {
  if (!fs.existsSync(WORKER_SCRIPT)) return glob(patterns, options);
  return new Promise((resolve, reject) => {
    // stdout: true keeps the worker's stdout off the server's, which is the LSP channel.
    const worker = new Worker(WORKER_SCRIPT, { workerData: { patterns, options }, stdout: true });
    worker.once('message', (files: string[]) => resolve(files));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`finding the dataset files stopped (worker exit code ${code})`));
    });
  });
}
