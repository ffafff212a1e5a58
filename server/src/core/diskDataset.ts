// A large dataset that no editor holds, indexed from disk by streaming: the index keeps line offsets
// and sample ids, never the text, so a 500 MB file costs tens of MB. Lines are read back on demand
// through a read-ahead window, so a sequential scan reads the file once.
import * as fs from 'node:fs';
import { IdIndex, linesOf, parseLine, type DatasetFields, type DatasetView, type ParsedLine, type Sample } from './dataset';
import { locateValue } from './jsonl';

const CHUNK = 4 << 20;
const WINDOW = 1 << 20;
const CACHE_LINES = 2048;

const LINE_KIND_BLANK = 0;
const LINE_KIND_SAMPLE = 1;
const LINE_KIND_ERROR = 2;

export interface DiskIndexProgress {
  bytes: number;
  size: number;
}

export class DiskDataset implements DatasetView {
  version = 0;
  /** Byte offset where each line starts; one more entry than lines, the end of the file. */
  private offsets: Float64Array;
  private kinds: Uint8Array;
  private lineIds: Array<string | undefined>;
  private index = new IdIndex();
  private lines = 0;
  private cache = new Map<number, ParsedLine>();
  private window: { start: number; buffer: Buffer } | undefined;
  private lastLine = -2;
  samples = 0;
  errors = 0;

  private constructor(
    readonly path: string,
    private fields: DatasetFields,
    readonly size: number,
  ) {
    const estimate = Math.max(1024, Math.ceil(size / 256));
    this.offsets = new Float64Array(estimate + 1);
    this.kinds = new Uint8Array(estimate);
    this.lineIds = [];
  }

  /** Builds the index synchronously (the CLI). */
  static indexSync(path: string, fields: DatasetFields): DiskDataset {
    const steps = DiskDataset.indexSteps(path, fields);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * Builds the index in steps: each `next()` does a bounded amount of work (about `linesPerStep`
   * lines), so a caller can yield to other work between steps.
   */
  static *indexSteps(path: string, fields: DatasetFields, linesPerStep = 200): Generator<DiskIndexProgress, DiskDataset> {
    const size = fs.statSync(path).size;
    const dataset = new DiskDataset(path, fields, size);
    const fd = fs.openSync(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(CHUNK);
      let carry: Buffer | undefined;
      let carryStart = 0;
      let position = 0;
      let sinceYield = 0;
      while (position < size) {
        const read = fs.readSync(fd, buffer, 0, Math.min(CHUNK, size - position), position);
        if (read <= 0) break;
        const chunkStart = position;
        position += read;
        let lineStart = 0;
        for (;;) {
          const nl = buffer.indexOf(10, lineStart);
          if (nl < 0 || nl >= read) break;
          let bytes: Buffer = buffer.subarray(lineStart, nl);
          let start = chunkStart + lineStart;
          if (carry) {
            bytes = Buffer.concat([carry, bytes]);
            start = carryStart;
            carry = undefined;
          }
          dataset.addLine(start, bytes);
          lineStart = nl + 1;
          if (++sinceYield >= linesPerStep) {
            sinceYield = 0;
            yield { bytes: chunkStart + lineStart, size };
          }
        }
        if (lineStart < read) {
          const rest = Buffer.from(buffer.subarray(lineStart, read));
          if (carry) {
            carry = Buffer.concat([carry, rest]);
          } else {
            carry = rest;
            carryStart = chunkStart + lineStart;
          }
        }
      }
      // The last line has no newline after it (or is the empty line after the final newline).
      if (carry) dataset.addLine(carryStart, carry);
      else dataset.addLine(size, Buffer.alloc(0));
      dataset.finish(size);
    } finally {
      fs.closeSync(fd);
    }
    return dataset;
  }

  private addLine(start: number, bytes: Buffer): void {
    const line = this.lines++;
    if (line + 1 >= this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
      const kinds = new Uint8Array(this.kinds.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    this.offsets[line] = start;
    const parsed = parseLine(decode(bytes), this.fields);
    if (parsed.kind === 'sample') {
      this.kinds[line] = LINE_KIND_SAMPLE;
      this.lineIds[line] = parsed.sample.id;
      this.index.add(parsed.sample.id, line);
      this.samples++;
    } else {
      this.kinds[line] = parsed.kind === 'error' ? LINE_KIND_ERROR : LINE_KIND_BLANK;
      if (parsed.kind === 'error') this.errors++;
    }
  }

  private finish(size: number): void {
    this.offsets[this.lines] = size;
    this.offsets = this.offsets.slice(0, this.lines + 1);
    this.kinds = this.kinds.slice(0, this.lines);
  }

  get lineCount(): number {
    return this.lines;
  }

  /** The id of the sample on a line, from the index (no read). */
  idAt(line: number): string | undefined {
    return this.lineIds[line];
  }

  lineKind(line: number): ParsedLine['kind'] {
    const kind = this.kinds[line];
    return kind === LINE_KIND_SAMPLE ? 'sample' : kind === LINE_KIND_ERROR ? 'error' : 'blank';
  }

  lineText(line: number): string {
    if (line < 0 || line >= this.lines) return '';
    const start = this.offsets[line]!;
    const end = this.offsets[line + 1]!;
    const length = end - start;
    if (length <= 0) return '';
    if (!this.window || start < this.window.start || start + length > this.window.start + this.window.buffer.length) {
      // Read ahead only when reading on from the last line (a scan); a random access reads its line alone.
      const sequential = line === this.lastLine + 1;
      const fd = fs.openSync(this.path, 'r');
      try {
        const buffer = Buffer.allocUnsafe(sequential ? Math.max(WINDOW, length) : length);
        const read = fs.readSync(fd, buffer, 0, Math.min(buffer.length, this.size - start), start);
        this.window = { start, buffer: buffer.subarray(0, read) };
      } finally {
        fs.closeSync(fd);
      }
    }
    this.lastLine = line;
    const from = start - this.window.start;
    let bytes = this.window.buffer.subarray(from, from + length);
    if (bytes[bytes.length - 1] === 10) bytes = bytes.subarray(0, bytes.length - 1);
    return decode(bytes);
  }

  parsedLine(line: number): ParsedLine {
    let parsed = this.cache.get(line);
    if (!parsed) {
      if (this.kinds[line] === LINE_KIND_BLANK) return { kind: 'blank' };
      parsed = parseLine(this.lineText(line), this.fields);
      if (this.cache.size >= CACHE_LINES) this.cache.clear();
      this.cache.set(line, parsed);
    }
    return parsed;
  }

  sampleAt(line: number): Sample | undefined {
    if (this.kinds[line] !== LINE_KIND_SAMPLE) return undefined;
    const parsed = this.parsedLine(line);
    return parsed.kind === 'sample' ? parsed.sample : undefined;
  }

  firstLineOf(id: string): number | undefined {
    return this.index.first.get(id);
  }

  duplicatesOf(id: string): readonly number[] | undefined {
    return this.index.duplicates.get(id);
  }

  linesOf(id: string): readonly number[] {
    return linesOf(this, id);
  }

  /** Every sample id with its first line. */
  ids(): ReadonlyMap<string, number> {
    return this.index.first;
  }

  textRange(line: number): { start: number; end: number } {
    const text = this.lineText(line);
    return locateValue(text, this.fields.textField) ?? { start: 0, end: text.length };
  }

  setFields(fields: DatasetFields): void {
    if (fields.textField === this.fields.textField && fields.idField === this.fields.idField) return;
    // The ids depend on the fields: the caller must index again.
    throw new Error('DiskDataset fields changed; index the file again');
  }
}

function decode(bytes: Buffer): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) end--; // CRLF
  return bytes.toString('utf8', 0, end);
}
