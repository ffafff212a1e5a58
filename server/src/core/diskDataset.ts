// A large dataset that no editor holds, indexed from disk by streaming: the index keeps line offsets
// and sample ids, never the text, so a 500 MB file costs tens of MB. Lines are read back on demand
// through a read-ahead window, so a sequential scan reads the file once.
//
// The ids are kept as one string per byte range (each id followed by a separator) with the end of each
// line's id in an Int32Array, not as a million small strings: those took 30 MB, and garbage collector
// pauses of tens of ms to copy and mark them, on the thread that answers requests.
import * as fs from 'node:fs';
import { classifyLine, parseLine, type DatasetFields, type DatasetView, type ParsedLine, type Sample } from './dataset';
import { locateValue } from './jsonl';
import { runToEnd } from './slicer';

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

/** Follows every id in `IdStore.text` (ids may contain it too: lookups check where an id starts and ends). */
export const ID_SEPARATOR = '\u0000';

/**
 * The ids of a range of lines: `text` is a separator followed by each sample's id and a separator, in
 * line order; `ends[line]` is where the id of the line ends in `text` (for a line that is not a sample,
 * the end of the previous one). So the id of sample line L is text.slice(end(L - 1) + 1, end(L)),
 * with end(-1) = 0.
 */
export interface IdStore {
  text: string;
  ends: Int32Array;
}

/** The index of one byte range of a file: what a worker thread sends back. */
export interface IndexPart extends IdStore {
  /** Start offset of each line of the range. */
  offsets: Float64Array;
  kinds: Uint8Array;
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
  let ends = new Int32Array(offsets.length);
  const ids: string[] = [];
  let idEnd = 0;
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
      const grownEnds = new Int32Array(ends.length * 2);
      grownEnds.set(ends);
      ends = grownEnds;
    }
    offsets[lines] = lineStart;
    const { kind, id } = classifyLine(decode(bytes), fields);
    if (kind === 'sample') {
      kinds[lines] = LINE_KIND_SAMPLE;
      ids.push(id!);
      idEnd += id!.length + 1;
      samples++;
    } else {
      kinds[lines] = kind === 'error' ? LINE_KIND_ERROR : LINE_KIND_BLANK;
      if (kind === 'error') errors++;
    }
    ends[lines] = idEnd;
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
  const text = ids.length === 0 ? ID_SEPARATOR : ID_SEPARATOR + ids.join(ID_SEPARATOR) + ID_SEPARATOR;
  return { offsets: offsets.slice(0, lines), kinds: kinds.slice(0, lines), ends: ends.slice(0, lines), text, samples, errors };
}

/** One worker's part of the index, kept as it came: joining the parts would copy tens of MB in one go. */
interface Segment extends IndexPart {
  firstLine: number;
  /** Byte offset where the segment's last line ends (the next segment's first offset, or the file size). */
  end: number;
}

export class DiskDataset implements DatasetView {
  version = 0;
  private segments: Segment[];
  /** The segment of the last lookup: scans go line by line. */
  private current: Segment;
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
    parts: readonly IndexPart[],
  ) {
    let firstLine = 0;
    this.segments = parts
      .filter((part) => part.kinds.length > 0)
      .map((part, k, all) => {
        const segment = { ...part, firstLine, end: all[k + 1]?.offsets[0] ?? size };
        firstLine += part.kinds.length;
        return segment;
      });
    if (this.segments.length === 0) {
      this.segments.push({ offsets: new Float64Array(1), kinds: new Uint8Array(1), ends: new Int32Array(1), text: ID_SEPARATOR, samples: 0, errors: 0, firstLine: 0, end: 0 });
    }
    this.current = this.segments[0]!;
    this.lines = firstLine || 1;
    this.samples = parts.reduce((n, p) => n + p.samples, 0);
    this.errors = parts.reduce((n, p) => n + p.errors, 0);
  }

  /**
   * The index of a file from the indexes of its consecutive byte ranges (from worker threads), taken
   * as they are: no copy, so nothing here holds the event loop.
   */
  static fromParts(path: string, fields: DatasetFields, parts: readonly IndexPart[]): DiskDataset {
    return new DiskDataset(path, fields, fs.statSync(path).size, parts);
  }

  /** Builds the index synchronously, in this thread. */
  static indexSync(path: string, fields: DatasetFields): DiskDataset {
    return runToEnd(DiskDataset.indexSteps(path, fields));
  }

  /** Builds the index in steps (one thread), so a caller can yield between them. */
  static *indexSteps(path: string, fields: DatasetFields, linesPerStep = 200): Generator<DiskIndexProgress | void, DiskDataset> {
    const size = fs.statSync(path).size;
    const part = yield* indexRangeSteps(path, fields, 0, size, linesPerStep);
    return DiskDataset.fromParts(path, fields, [part]);
  }

  get lineCount(): number {
    return this.lines;
  }

  /** The segment holding a line (a valid one). */
  private segmentOf(line: number): Segment {
    const current = this.current;
    if (line >= current.firstLine && line < current.firstLine + current.kinds.length) return current;
    let k = this.segments.length - 1;
    while (k > 0 && this.segments[k]!.firstLine > line) k--;
    return (this.current = this.segments[k]!);
  }

  private kindAt(line: number): number {
    if (!(line >= 0 && line < this.lines)) return LINE_KIND_BLANK;
    const segment = this.segmentOf(line);
    return segment.kinds[line - segment.firstLine]!;
  }

  /** The id of the sample on a line, from the index (no read). */
  idAt(line: number): string | undefined {
    if (this.kindAt(line) !== LINE_KIND_SAMPLE) return undefined;
    const { text, ends, firstLine } = this.segmentOf(line);
    const local = line - firstLine;
    return text.slice(local > 0 ? ends[local - 1]! + 1 : 1, ends[local]);
  }

  lineKind(line: number): ParsedLine['kind'] {
    const kind = this.kindAt(line);
    return kind === LINE_KIND_SAMPLE ? 'sample' : kind === LINE_KIND_ERROR ? 'error' : 'blank';
  }

  lineText(line: number): string {
    if (!(line >= 0 && line < this.lines)) return '';
    const segment = this.segmentOf(line);
    const local = line - segment.firstLine;
    const start = segment.offsets[local]!;
    const end = local + 1 < segment.offsets.length ? segment.offsets[local + 1]! : segment.end;
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
      if (this.kindAt(line) === LINE_KIND_BLANK) return { kind: 'blank' };
      parsed = parseLine(this.lineText(line), this.fields);
      if (this.cache.size >= CACHE_LINES) this.cache.clear();
      this.cache.set(line, parsed);
    }
    return parsed;
  }

  sampleAt(line: number): Sample | undefined {
    if (this.kindAt(line) !== LINE_KIND_SAMPLE) return undefined;
    const parsed = this.parsedLine(line);
    return parsed.kind === 'sample' ? parsed.sample : undefined;
  }

  // No id map: it would cost more memory than the rest of the index (tens of MB at a million samples).
  // Lookups by id come from label writes to a file no editor holds; a search of the id strings takes milliseconds.
  firstLineOf(id: string): number | undefined {
    for (const segment of this.segments) {
      const local = idLines(segment, id, true)[0];
      if (local !== undefined) return segment.firstLine + local;
    }
    return undefined;
  }

  /** Duplicate ids are diagnostics, and a file over the size of an editor document is never shown with them. */
  duplicatesOf(): readonly number[] | undefined {
    return undefined;
  }

  linesOf(id: string): readonly number[] {
    return this.segments.flatMap((segment) => idLines(segment, id, false).map((local) => segment.firstLine + local));
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

/**
 * The lines whose id is `id` (only the first when `first`): each place where the id occurs between two
 * separators is checked to be exactly one line's id, since an id may contain the separator too.
 */
export function idLines(ids: IdStore, id: string, first: boolean): number[] {
  const found: number[] = [];
  if (id.length === 0) return found;
  const { text, ends } = ids;
  const needle = ID_SEPARATOR + id + ID_SEPARATOR;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const start = at + 1;
    const end = start + id.length;
    // The first line whose id ends at or after `end`; its id must span [start, end) exactly.
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    if (lo < ends.length && ends[lo] === end && (lo === 0 ? 1 : ends[lo - 1]! + 1) === start) {
      found.push(lo);
      if (first) break;
    }
  }
  return found;
}

function decode(bytes: Buffer): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) end--; // CRLF
  return bytes.toString('utf8', 0, end);
}
