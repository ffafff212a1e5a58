// Worker thread: indexes one byte range of a large dataset and sends the index back. Parsing every
// line makes garbage; in a worker it dies with the worker instead of inflating the server's heap.
import { parentPort, workerData } from 'node:worker_threads';
import { indexRangeSteps, type IndexPart } from './core/diskDataset';
import type { DatasetFields } from './core/dataset';

const { path, fields, start, end } = workerData as { path: string; fields: DatasetFields; start: number; end: number };
const steps = indexRangeSteps(path, fields, start, end, Number.MAX_SAFE_INTEGER);
let part: IndexPart;
for (;;) {
  const step = steps.next();
  if (step.done) {
    part = step.value;
    break;
  }
}
// One string crosses threads much faster than a million small ones.
const separator = part.ids.some((id) => id.includes('\u0000')) ? undefined : '\u0000';
parentPort!.postMessage(
  { offsets: part.offsets, kinds: part.kinds, ids: separator ? part.ids.join(separator) : JSON.stringify(part.ids), json: !separator, samples: part.samples, errors: part.errors },
  [part.offsets.buffer as ArrayBuffer, part.kinds.buffer as ArrayBuffer],
);
