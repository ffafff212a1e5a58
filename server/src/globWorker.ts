// Worker thread of parallelGlob.ts: finds files with tinyglobby off the thread that answers requests.
import { parentPort, workerData } from 'node:worker_threads';
import { globSync, type GlobOptions } from 'tinyglobby';

const { patterns, options } = workerData as { patterns: string[]; options: GlobOptions };
parentPort!.postMessage(globSync(patterns, options));
