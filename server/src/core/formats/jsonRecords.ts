// JSON records from a file that arrives in chunks: JSON Lines (one object per line) or one JSON
// array of objects (Label Studio's and Argilla's exports), told apart by the first character. An
// array is cut into its elements by a scanner that tracks strings and nesting, so a 100,000-task
// export is parsed one task at a time instead of as one 100 MB value.
import { LineSplitter } from './lines';
import type { FormatProblem } from './model';

export type RecordHandler = (value: unknown, line: number) => void;

export class JsonRecordStream {
  private mode: 'unknown' | 'lines' | 'array' = 'unknown';
  private readonly lines = new LineSplitter();
  // Array mode state.
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element: string[] = [];
  private elementLine = 0;
  private line = 1;
  private closed = false;
  private inElement = false;
  private head = '';

  constructor(
    private readonly onRecord: RecordHandler,
    private readonly problems: FormatProblem[],
  ) {}

  push(chunk: string): void {
    if (this.mode === 'unknown') {
      this.head += chunk;
      const first = /\S/.exec(this.head.charCodeAt(0) === 0xfeff ? this.head.slice(1) : this.head);
      if (!first) return;
      this.mode = first[0] === '[' ? 'array' : 'lines';
      chunk = this.head;
      this.head = '';
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.mode === 'lines') this.lines.push(chunk, (text, line) => this.parseLine(text, line));
    else this.scan(chunk);
  }

  end(): void {
    if (this.mode === 'lines') this.lines.end((text, line) => this.parseLine(text, line));
    else if (this.mode === 'array' && !this.closed) this.problems.push({ line: this.line, message: 'The JSON array is not closed: the file is truncated (the records before this line were read)' });
  }

  private parseLine(text: string, line: number): void {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.problems.push({ line, message: `Not valid JSON: ${(error as Error).message}` });
      return;
    }
    this.onRecord(value, line);
  }

  private scan(chunk: string): void {
    let from = this.inElement ? 0 : -1; // start in `chunk` of the part of the current element
    let slash = -2; // the next backslash at or after the scan position (-1: none left in the chunk)
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.closed) {
        if (c !== 32 && c !== 9 && c !== 10 && c !== 13) {
          this.problems.push({ line: this.line, message: 'Text after the end of the JSON array is ignored' });
          this.closed = false;
          this.depth = -1; // report once
        }
        continue;
      }
      if (this.depth < 0) continue;
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        // Most of an export is inside strings: jump to the next quote or backslash (JSON strings hold
        // no raw newline, so no line is skipped). Char by char, the scan took 3 times JSON.parse's time.
        const quote = chunk.indexOf('"', i);
        if (slash !== -1 && slash < i) slash = chunk.indexOf('\\', i); // searched again only once passed
        const next = quote < 0 ? slash : slash < 0 ? quote : Math.min(quote, slash);
        if (next < 0) {
          i = chunk.length;
          break;
        }
        i = next;
        if (chunk.charCodeAt(i) === 92) this.escaped = true;
        else this.inString = false;
        continue;
      }
      if (c === 34) {
        this.inString = true;
        if (this.depth === 1 && from < 0) from = this.startElement(i);
      } else if (c === 123 || c === 91) {
        if (this.depth === 1 && from < 0) from = this.startElement(i);
        this.depth++;
      } else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 1) {
          this.element.push(chunk.slice(from, i + 1));
          from = -1;
          this.finishElement();
        } else if (this.depth === 0) {
          if (from >= 0) {
            this.element.push(chunk.slice(from, i));
            from = -1;
            this.finishElement();
          }
          this.closed = true;
        }
      } else if (c === 44 && this.depth === 1) {
        if (from >= 0) {
          this.element.push(chunk.slice(from, i));
          from = -1;
          this.finishElement();
        }
      } else if (this.depth === 1 && from < 0 && c !== 32 && c !== 9 && c !== 10 && c !== 13) {
        from = this.startElement(i); // a number, true, false or null
      }
    }
    if (from >= 0) this.element.push(chunk.slice(from));
  }

  private startElement(i: number): number {
    this.element = [];
    this.inElement = true;
    this.elementLine = this.line;
    return i;
  }

  private finishElement(): void {
    this.inElement = false;
    const text = this.element.join('');
    this.element = [];
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.problems.push({ line: this.elementLine, message: `Not valid JSON: ${(error as Error).message}` });
      return;
    }
    this.onRecord(value, this.elementLine);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * The head of a sample as JSON records (for `detect`): the first few complete records. Only lines
 * that start like an object are parsed: a detector runs on the head of every file, and JSON.parse
 * throwing on each of 4,000 CoNLL lines took 1.2 s for the WNUT file.
 */
export function sampleRecords(sample: string, max = 5): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const head = sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample;
  if (/^\s*\[/.test(head)) {
    const stream = new JsonRecordStream((value) => {
      if (found.length < max && isObject(value)) found.push(value);
    }, []);
    stream.push(head); // the last element may be cut: only complete ones are seen
    return found;
  }
  let tried = 0;
  for (const line of head.split('\n')) {
    if (found.length >= max || tried >= 2 * max) break;
    if (!/^\s*\{/.test(line)) continue;
    tried++;
    try {
      const value = JSON.parse(line) as unknown;
      if (isObject(value)) found.push(value);
    } catch {
      // a cut last line, or not JSON
    }
  }
  return found;
}
