// Reads a document opened by reference (see OpenFromDisk in protocol.ts) from disk: decoded and split
// into lines as the editor counts them in slices, so that no step holds the event loop for long and
// no 48 MB string is ever built. Also computes the fingerprint the client sent, to check
// that the disk holds the text the editor shows.
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import { fingerprintOf, fingerprintWindows, HEAD_LENGTH, HeadHasher } from '../protocol';

/** Bytes read, decoded and split in one step (about 1-2 ms of the event loop's time). */
const SLICE_BYTES = 256 << 10;
/** The first read's size; each next one doubles, up to the slice size. */
const FIRST_SLICE_BYTES = 32 << 10;
const BREAK = /\r\n|\r|\n/;

export interface DiskText {
  lines: string[];
  /** Length of the decoded text in UTF-16 code units. */
  length: number;
  /** `documentFingerprint` of the decoded text, computed for the length the client announced. */
  fingerprint: string;
}

export interface ReadOptions {
  /** Bytes read, decoded and split per step (tests use tiny ones). */
  sliceBytes?: number;
  /**
   * Called after each step with the complete lines so far (the same array, growing) and how many of
   * them are known to be the editor's: the lines of the head, once it matches the client's `head`.
   */
  onLines?: (lines: readonly string[], trusted: number) => void;
  /** The client's `headHash` of the document. */
  head?: string;
}

/**
 * The file's text as lines, decoded as UTF-8 (a BOM dropped, as VS Code does). `expectedLength`
 * places the fingerprint windows; when the file's length differs, the fingerprint differs too.
 * Each step reads a slice off the event loop, then decodes it (a plain copy when it is ASCII) and
 * splits it; a character cut by the slice's end waits for the next read.
 */
export async function readDocumentLines(file: string, expectedLength: number, options: ReadOptions = {}): Promise<DiskText> {
  const sliceBytes = options.sliceBytes ?? SLICE_BYTES;
  const windows = fingerprintWindows(expectedLength);
  const windowTexts = windows.map(() => '');
  const lines: string[] = [];
  let offset = 0;
  let carry = '';
  // The head is hashed and its line breaks counted piece by piece, as the slices come.
  const head = new HeadHasher();
  let headBreaks = 0;
  let afterCR = false;
  let trusted = 0;
  let headDone = false;
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(sliceBytes + 4);
    let kept = 0;
    let atStart = true;
    // The first slices are small: the head hash runs cold (interpreted) at first, 25 ns a character.
    let want = Math.min(sliceBytes, FIRST_SLICE_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, kept, want, null);
      want = Math.min(sliceBytes, want * 2);
      const available = kept + bytesRead;
      const eof = bytesRead === 0;
      let start = 0;
      if (atStart) {
        if (available < 3 && !eof) {
          kept = available;
          continue;
        }
        atStart = false;
        if (available >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) start = 3;
      }
      const end = eof ? available : completeCharacters(buffer, start, available);
      const slice = buffer.subarray(start, end);
      const decoded = isAscii(slice) ? slice.toString('latin1') : slice.toString('utf8');
      // Fingerprint windows that overlap this piece of text.
      for (let w = 0; w < windows.length; w++) {
        const [from, to] = windows[w]!;
        if (to <= offset || from >= offset + decoded.length) continue;
        windowTexts[w] += decoded.slice(Math.max(0, from - offset), Math.min(decoded.length, to - offset));
      }
      if (!headDone) {
        const piece = decoded.slice(0, HEAD_LENGTH - head.length);
        head.update(piece);
        headBreaks += countBreaks(piece, afterCR);
        if (piece.length > 0) afterCR = piece.endsWith('\r');
        if (head.length >= HEAD_LENGTH || eof) {
          headDone = true;
          if (options.head !== undefined && head.digest() === options.head) trusted = headBreaks;
        }
      }
      offset += decoded.length;
      carry = pushCompleteLines(carry, decoded, eof, lines);
      if (eof) break;
      options.onLines?.(lines, Math.min(trusted, lines.length));
      // Reads from the page cache complete at once, and libuv would run the next slice in the same
      // poll phase: step aside so that the messages waiting (vscode-jsonrpc takes them in the check
      // phase) go first.
      await new Promise<void>((resolve) => setImmediate(resolve));
      buffer.copy(buffer, 0, end, available);
      kept = available - end;
    }
  } finally {
    await handle.close();
  }
  lines.push(carry);
  return { lines, length: offset, fingerprint: fingerprintOf(expectedLength, windowTexts) };
}

/** Where the bytes before `available` end with a whole character: an unfinished one waits for the next read. */
function completeCharacters(buffer: Buffer, start: number, available: number): number {
  let i = available - 1;
  while (i > start && available - i < 4 && (buffer[i]! & 0xc0) === 0x80) i--;
  if (i < start) return available;
  const lead = buffer[i]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length > available - i ? i : available;
}

/**
 * Pushes the lines that `carry + text` completes (followed by a break) and returns the rest, which
 * has no break but maybe a final CR held back (unless `final`: its LF may come next). The two are
 * never joined into one large string.
 */
function pushCompleteLines(carry: string, text: string, final: boolean, lines: string[]): string {
  if (carry.endsWith('\r') && (text.length > 0 || final)) {
    lines.push(carry.slice(0, -1));
    carry = '';
    if (text.startsWith('\n')) text = text.slice(1);
  }
  const end = !final && text.endsWith('\r') ? text.length - 1 : text.length;
  const firstBreak = firstBreakIn(text, end);
  if (firstBreak < 0) return carry + text;
  lines.push(carry + text.slice(0, firstBreak));
  const afterFirst = firstBreak + (text[firstBreak] === '\r' && text[firstBreak + 1] === '\n' ? 2 : 1);
  const lastBreak = Math.max(text.lastIndexOf('\n', end - 1), text.lastIndexOf('\r', end - 1));
  if (lastBreak < afterFirst) return text.slice(afterFirst);
  const breakStart = text[lastBreak] === '\n' && text[lastBreak - 1] === '\r' ? lastBreak - 1 : lastBreak;
  const head = text.slice(afterFirst, breakStart);
  // A split on one character is several times faster than on the pattern; most files have no CR.
  const complete = head.indexOf('\r') < 0 ? head.split('\n') : head.split(BREAK);
  for (const line of complete) lines.push(line);
  return text.slice(lastBreak + 1);
}

/**
 * The line breaks in `piece` (CR, LF and CRLF each end one line; an LF right after `afterCR`, the
 * previous piece's final CR, ends none). Found with indexOf, not a loop over every character: a
 * cold loop over the first slices ran in the interpreter for 7-12 ms each.
 */
function countBreaks(piece: string, afterCR: boolean): number {
  let count = 0;
  for (let i = piece.indexOf('\n'); i >= 0; i = piece.indexOf('\n', i + 1)) {
    if (!(i === 0 ? afterCR : piece.charCodeAt(i - 1) === 13)) count++;
  }
  if (piece.indexOf('\r') < 0) return count;
  for (let i = piece.indexOf('\r'); i >= 0; i = piece.indexOf('\r', i + 1)) count++;
  return count;
}

function firstBreakIn(text: string, end: number): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  const first = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
  return first >= end ? -1 : first;
}
