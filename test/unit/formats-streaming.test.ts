// Large files stream: a 100,000-task Label Studio export and a 1,000,000-line CoNLL file are read
// through the codecs' incremental readers in 1 MB pieces. Prints the heap the read needed, beside
// the file's size and the time of the baseline (reading the file whole and parsing it).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { readFileWith } from '../../server/src/core/formats/readFile';
import { codecNamed } from '../../server/src/core/formats/registry';

const MB = 1024 * 1024;

// A full collection before each reading, so the figure is what the read keeps alive, not garbage
// waiting for the collector (without it the heap "grew" by 358 MB on the 61 MB export).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function liveHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Reads with the codec; the live heap is taken every 20,000 documents (time of those collections excluded). */
async function measure(format: string, file: string) {
  const base = liveHeap();
  let peak = 0;
  let spans = 0;
  let documents = 0;
  let collecting = 0n;
  const started = process.hrtime.bigint();
  const summary = await readFileWith(codecNamed(format)!, file, {}, (doc) => {
    for (const a of doc.labels) spans += a.spans?.length ?? 0;
    if (++documents % 20_000 === 0) {
      const t = process.hrtime.bigint();
      peak = Math.max(peak, liveHeap() - base);
      collecting += process.hrtime.bigint() - t;
    }
  });
  const ms = Number(process.hrtime.bigint() - started - collecting) / 1e6;
  return { summary, spans, ms, peak };
}

function baseline(parse: (text: string) => number, file: string) {
  const started = process.hrtime.bigint();
  const n = parse(fs.readFileSync(file, 'utf8'));
  return { n, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

describe('formats: large files stream in bounded memory (prints the figures)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-formats-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a 100,000-task Label Studio export (annotations with spans, predictions)', async () => {
    const file = path.join(dir, 'export.json');
    const out = fs.openSync(file, 'w');
    fs.writeSync(out, '[');
    for (let i = 0; i < 100_000; i++) {
      const text = `Task ${i}: Ada Lovelace met 😀 Charles Babbage in London on a Tuesday in ${1800 + (i % 60)}.`;
      const task = {
        id: i + 1,
        data: { text },
        annotations: [{ id: i + 1, completed_by: 1, was_cancelled: false, lead_time: 3.2, result: [
          { id: `a${i}`, from_name: 'label', to_name: 'text', type: 'labels', value: { start: text.indexOf('Ada'), end: text.indexOf('Ada') + 12, text: 'Ada Lovelace', labels: ['PER'] } },
          { id: `b${i}`, from_name: 'label', to_name: 'text', type: 'labels', value: { start: text.indexOf('London') - 1, end: text.indexOf('London') + 5, text: 'London', labels: ['LOC'] } },
        ] }],
        predictions: [{ model_version: 'v1', score: 0.7, result: [{ from_name: 'label', to_name: 'text', type: 'labels', value: { start: 0, end: 4, labels: ['MISC'] } }] }],
      };
      fs.writeSync(out, `${i === 0 ? '' : ',\n'}${JSON.stringify(task)}`);
    }
    fs.writeSync(out, ']\n');
    fs.closeSync(out);
    const size = fs.statSync(file).size;
    const whole = baseline((t) => (JSON.parse(t) as unknown[]).length, file);
    const read = await measure('label-studio', file);
    assert.equal(read.summary.documents, 100_000);
    assert.equal(read.spans, 200_000);
    assert.deepEqual(read.summary.problems, [], 'code point offsets after the emoji are read as they are');
    console.log(`      Label Studio: ${(size / MB).toFixed(1)} MB, 100,000 tasks in ${read.ms.toFixed(0)} ms (read + JSON.parse whole: ${whole.ms.toFixed(0)} ms, ratio ${(whole.ms / read.ms).toFixed(2)}); heap at most ${(read.peak / MB).toFixed(1)} MB above the start`);
    assert.ok(read.peak < size / 4, `the live heap grew by ${(read.peak / MB).toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB file: the export is held, not streamed`);
  });

  it('a 1,000,000-line CoNLL file (BIO, CRLF, blank lines between sentences)', async () => {
    const file = path.join(dir, 'big.conll');
    const out = fs.openSync(file, 'w');
    const sentence = 'Ada\tB-PER\r\nLovelace\tI-PER\r\nmet\tO\r\nCharles\tB-PER\r\nBabbage\tI-PER\r\nin\tO\r\nLondon\tB-LOC\r\n😀\tO\r\n.\tO\r\n\r\n';
    let chunk = '';
    for (let i = 0; i < 100_000; i++) {
      chunk += sentence;
      if (chunk.length > MB) {
        fs.writeSync(out, chunk);
        chunk = '';
      }
    }
    fs.writeSync(out, chunk);
    fs.closeSync(out);
    const size = fs.statSync(file).size;
    const whole = baseline((t) => t.split(/\r?\n/).map((l) => l.split('\t')).length, file);
    const read = await measure('conll', file);
    assert.equal(read.summary.documents, 100_000);
    assert.equal(read.spans, 300_000);
    console.log(`      CoNLL: ${(size / MB).toFixed(1)} MB, ${whole.n - 1} lines in ${read.ms.toFixed(0)} ms (read + split whole: ${whole.ms.toFixed(0)} ms, ratio ${(whole.ms / read.ms).toFixed(2)}); heap at most ${(read.peak / MB).toFixed(1)} MB above the start`);
    assert.ok(read.peak < size / 4, `the live heap grew by ${(read.peak / MB).toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB file: the file is held, not streamed`);
  });
});
