// Worker thread: indexes one byte range of a large dataset and sends the index back. Parsing every
// line makes garbage; in a worker it dies with the worker instead of inflating the server's heap.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { indexRangeSteps, type IndexPart } from './core/diskDataset';
import type { DatasetFields } from './core/dataset';
import { runToEnd } from './core/slicer';

const { path, fields, start, end, nice } = workerData as { path: string; fields: DatasetFields; start: number; end: number; nice: number };
if (nice > 0) {
  // Linux: a thread has its own nice value, set through its thread id. The server's thread then gets
  // the CPU as soon as a message arrives, instead of waiting behind the workers for a time slice.
  try {
    os.setPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // elsewhere the workers run at the server's priority
  }
}
const part: IndexPart = runToEnd(indexRangeSteps(path, fields, start, end, Number.MAX_SAFE_INTEGER));
// The typed arrays move to the other thread without a copy; the ids are one string (one copy, no million small ones).
parentPort!.postMessage(part, [part.offsets.buffer as ArrayBuffer, part.kinds.buffer as ArrayBuffer, part.ends.buffer as ArrayBuffer]);
