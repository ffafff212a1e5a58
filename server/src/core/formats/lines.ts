// Splits text that arrives in chunks into lines, numbered from 1, without holding more than the
// current line: the base of every incremental reader (CoNLL, JSONL). LF and CRLF both end a line.
import type { IncrementalReader } from './codec';
import type { FormatProblem, InterchangeDocument, Unsupported } from './model';

export class LineSplitter {
  private rest = '';
  private line = 0;
  private started = false;

  /** Calls `onLine` for every complete line in `chunk` (with what was left of the previous one). */
  push(chunk: string, onLine: (text: string, line: number) => void): void {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      if (nl < 0) break;
      let text = from === 0 && this.rest !== '' ? this.rest + chunk.slice(0, nl) : chunk.slice(from, nl);
      if (from === 0) this.rest = '';
      if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      onLine(text, ++this.line);
      from = nl + 1;
    }
    this.rest = from === 0 ? this.rest + chunk : chunk.slice(from);
  }

  /** The last line, when the input does not end with a newline. */
  end(onLine: (text: string, line: number) => void): void {
    if (this.rest !== '') {
      let text = this.rest;
      if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      this.rest = '';
      onLine(text, ++this.line);
    }
  }
}

/**
 * An incremental reader of a line format (CoNLL, fastText): `onLine` sees each line and emits the
 * documents it completes; `onEnd` (after the last line) emits what is still open.
 */
export function lineReader(
  onLine: (text: string, line: number, emit: (doc: InterchangeDocument) => void) => void,
  onEnd: (emit: (doc: InterchangeDocument) => void) => void,
  summary: () => { problems: FormatProblem[]; unsupported: Unsupported[] },
): IncrementalReader {
  const lines = new LineSplitter();
  let out: InterchangeDocument[] = [];
  const emit = (doc: InterchangeDocument) => out.push(doc);
  const handle = (text: string, line: number) => onLine(text, line, emit);
  const take = () => {
    const done = out;
    out = [];
    return done;
  };
  return {
    push(chunk) {
      lines.push(chunk, handle);
      return take();
    },
    end() {
      lines.end(handle);
      onEnd(emit);
      return take();
    },
    summary,
  };
}
