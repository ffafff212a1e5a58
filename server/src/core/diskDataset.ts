// A large dataset that no editor holds, indexed from disk by streaming: the index keeps line offsets
// and sample ids, never the text, so a 500 MB file costs tens of MB. Lines are read back on demand
// through a read-ahead window, so a sequential scan reads the file once.
import * as fs from 'node:fs';
import { classifyLine, parseLine, type DatasetFields, type DatasetView, type ParsedLine, type Sample } from './dataset';
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

/** The index of one byte range of a file: what a worker thread sends back. */
export interface IndexPart {
  /** Start offset of each line of the range. */
  offsets: Float64Array;
  kinds: Uint8Array;
  /** The id of each sample line, in line order (non-sample lines have none). */
  ids: string[];
  samples: number;
  errors: number;
}

/** Where to cut a file into `count` ranges, each starting at the beginning of a line. */
export function splitPoints(path: string, count: number): number[] {
  const size = fs.statSync(path).size;
  const points = [0];
  const fd = fs.openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(64 << 10);
    for (let k = 1; k < count; k++) {
      let position = Math.max(points[points.length - 1]!, Math.floor((size * k) / count));
      let cut = size;
      while (position < size) {
        const read = fs.readSync(fd, buffer, 0, buffer.length, position);
        if (read <= 0) break;
        const nl = buffer.subarray(0, read).indexOf(10);
        if (nl >= 0) {
          cut = position + nl + 1;
          break;
        }
        position += read;
      }
      if (cut < size && cut > points[points.length - 1]!) points.push(cut);
    }
  } finally {
    fs.closeSync(fd);
  }
  points.push(size);
  return points;
}

/**
 * Indexes the lines that start in [start, end) of a file, in steps of about `linesPerStep` lines.
 * The last range of a file also gets the line after the final newline (as an editor counts it).
 */
export function* indexRangeSteps(path: string, fields: DatasetFields, start: number, end: number, linesPerStep = 200): Generator<DiskIndexProgress, IndexPart> {
  const size = fs.statSync(path).size;
  let offsets = new Float64Array(Math.max(1024, Math.ceil((end - start) / 256)));
  let kinds = new Uint8Array(offsets.length);
  const ids: string[] = [];
  let lines = 0;
  let samples = 0;
  let errors = 0;
  const addLine = (lineStart: number, bytes: Buffer): void => {
    if (lines >= offsets.length) {
      const grown = new Float64Array(offsets.length * 2);
      grown.set(offsets);
      offsets = grown;
      const grownKinds = new Uint8Array(kinds.length * 2);
      grownKinds.set(kinds);
      kinds = grownKinds;
    }
    offsets[lines] = lineStart;
    const { kind, id } = classifyLine(decode(bytes), fields);
    if (kind === 'sample') {
      kinds[lines] = LINE_KIND_SAMPLE;
      ids.push(id!);
      samples++;
    } else {
      kinds[lines] = kind === 'error' ? LINE_KIND_ERROR : LINE_KIND_BLANK;
      if (kind === 'error') errors++;
    }
    lines++;
  };
  const fd = fs.openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer | undefined;
    let carryStart = start;
    let position = start;
    let sinceYield = 0;
    while (position < end) {
      const read = fs.readSync(fd, buffer, 0, Math.min(CHUNK, end - position), position);
      if (read <= 0) break;
      const chunkStart = position;
      position += read;
      let lineStart = 0;
      for (;;) {
        const nl = buffer.indexOf(10, lineStart);
        if (nl < 0 || nl >= read) break;
        let bytes: Buffer = buffer.subarray(lineStart, nl);
        let at = chunkStart + lineStart;
        if (carry) {
          bytes = Buffer.concat([carry, bytes]);
          at = carryStart;
          carry = undefined;
        }
        addLine(at, bytes);
        lineStart = nl + 1;
        if (++sinceYield >= linesPerStep) {
          sinceYield = 0;
          yield { bytes: chunkStart + lineStart, size };
        }
      }
      if (lineStart < read) {
        const rest = Buffer.from(buffer.subarray(lineStart, read));
        if (carry) carry = Buffer.concat([carry, rest]);
        else {
          carry = rest;
          carryStart = chunkStart + lineStart;
        }
      }
    }
    // The range's last line has no newline after it; the file's final newline is followed by an empty line.
    if (carry) addLine(carryStart, carry);
    else if (end === size) addLine(size, Buffer.alloc(0));
  } finally {
    fs.closeSync(fd);
  }
  return { offsets: offsets.slice(0, lines), kinds: kinds.slice(0, lines), ids, samples, errors };
}

function runToEnd<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export class DiskDataset implements DatasetView {
  version = 0;
  /** Byte offset where each line starts; one more entry than lines, the end of the file. */
  private offsets: Float64Array;
  private kinds: Uint8Array;
  private lineIds: Array<string | undefined>;
  private lines: number;
  private cache = new Map<number, ParsedLine>();
  private window: { start: number; buffer: Buffer } | undefined;
  private lastLine = -2;
  readonly samples: number;
  readonly errors: number;

  private constructor(
    readonly path: string,
    private fields: DatasetFields,
    readonly size: number,
    index: { offsets: Float64Array; kinds: Uint8Array; lineIds: Array<string | undefined>; samples: number; errors: number },
  ) {
    this.lines = index.kinds.length;
    this.offsets = index.offsets;
    this.kinds = index.kinds;
    this.lineIds = index.lineIds;
    this.samples = index.samples;
    this.errors = index.errors;
  }

  /** Joins the indexes of consecutive ranges of the file (from worker threads), in steps. */
  static *assembleSteps(path: string, fields: DatasetFields, parts: readonly IndexPart[], linesPerStep = 50_000): Generator<void, DiskDataset> {
    const size = fs.statSync(path).size;
    const lines = parts.reduce((n, p) => n + p.offsets.length, 0);
    const offsets = new Float64Array(lines + 1);
    const kinds = new Uint8Array(lines);
    const lineIds = new Array<string | undefined>(lines);
    let line = 0;
    let samples = 0;
    let errors = 0;
    for (const part of parts) {
      offsets.set(part.offsets, line);
      kinds.set(part.kinds, line);
      let next = 0;
      for (let k = 0; k < part.kinds.length; k++) {
        if (part.kinds[k] === LINE_KIND_SAMPLE) lineIds[line + k] = part.ids[next++];
        if ((k + 1) % linesPerStep === 0) yield;
      }
      line += part.offsets.length;
      samples += part.samples;
      errors += part.errors;
    }
    offsets[lines] = size;
    return new DiskDataset(path, fields, size, { offsets, kinds, lineIds, samples, errors });
  }

  /** Builds the index synchronously, in this thread. */
  static indexSync(path: string, fields: DatasetFields): DiskDataset {
    return runToEnd(DiskDataset.indexSteps(path, fields));
  }

  /** Builds the index in steps (one thread), so a caller can yield between them. */
  static *indexSteps(path: string, fields: DatasetFields, linesPerStep = 200): Generator<DiskIndexProgress | void, DiskDataset> {
    const size = fs.statSync(path).size;
    const part = yield* indexRangeSteps(path, fields, 0, size, linesPerStep);
    return yield* DiskDataset.assembleSteps(path, fields, [part]);
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
    if (!Number.isInteger(line) || line < 0 || line >= this.lines) return { kind: 'blank' };
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

  // No id map: it would cost more memory than the rest of the index (tens of MB at a million samples).
  // Lookups by id come from label writes to a file no editor holds; a scan of the ids takes milliseconds.
  firstLineOf(id: string): number | undefined {
    const line = this.lineIds.indexOf(id);
    return line < 0 ? undefined : line;
  }

  /** Duplicate ids are diagnostics, and a file over the size of an editor document is never shown with them. */
  duplicatesOf(): readonly number[] | undefined {
    return undefined;
  }

  linesOf(id: string): readonly number[] {
    const lines: number[] = [];
    for (let line = this.lineIds.indexOf(id); line >= 0; line = this.lineIds.indexOf(id, line + 1)) lines.push(line);
    return lines;
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
