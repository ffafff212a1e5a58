// Offsets of spans, in the three units a span meets on its way from a label file to the screen.
//
// - Code points: what Python tools write (Prodigy, doccano, spaCy count `len(str)`), and the ONE unit
//   Loopmark's label files store: relative to the record's text for JSONL records, relative to the
//   whole file for any other file (source code, Markdown, plain text). A BOM is not part of the text.
// - UTF-16 code units: what a JavaScript string and an LSP `character` count. An emoji outside the
//   BMP (😀, 👍🏽, a ZWJ family) is 2 units per code point; every other character is 1. Mixing the
//   two is the span bug every peer has shipped (doccano #2290/#2114, Label Studio #4988/#539,
//   Argilla #2353), so conversion happens once, here, at every boundary.
// - (line, character) positions: LSP counts \r\n, lone \r and \n as line ends.
//
// Combining marks (é as e + U+0301) and CJK are 1 unit and 1 code point each: only astral code
// points make the units differ, so a text is indexed by the positions of its astral characters
// (none at all in most source files, which then convert by identity).

/** A well-formed surrogate pair starts at `i` (a lone surrogate counts as one code point, as Python's surrogateescape does). */
function isPairAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return false;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

/**
 * Converts between code point offsets and UTF-16 offsets of one text. Built once per text (one
 * pass, ~1 ms per MB); each conversion is then a binary search over the astral characters only.
 */
export class CodePointIndex {
  /** UTF-16 offsets where an astral character (a surrogate pair) starts, ascending. */
  private readonly astral: Int32Array;
  /** Length of the text in UTF-16 units and in code points. */
  readonly utf16Length: number;
  readonly codePointLength: number;

  constructor(text: string) {
    const found: number[] = [];
    // A regex scan is ~10x faster than a charCodeAt loop on ASCII-heavy text (V8 skips in native code).
    const pair = /[\ud800-\udbff][\udc00-\udfff]/g;
    for (let m = pair.exec(text); m; m = pair.exec(text)) found.push(m.index);
    this.astral = Int32Array.from(found);
    this.utf16Length = text.length;
    this.codePointLength = text.length - found.length;
  }

  /** True when every code point is one UTF-16 unit (conversions are the identity). */
  get isIdentity(): boolean {
    return this.astral.length === 0;
  }

  /** UTF-16 offset of code point offset `cp` (clamped to the text). */
  toUtf16(cp: number): number {
    if (cp <= 0) return 0;
    if (cp >= this.codePointLength) return this.utf16Length;
    const a = this.astral;
    if (a.length === 0) return cp;
    // The k-th astral character (0-based) starts at code point a[k] - k; count those before `cp`.
    return cp + countBefore(a, cp, 1);
  }

  /**
   * Code point offset of UTF-16 offset `u` (clamped). An offset inside a surrogate pair is rounded
   * down to the start of that character when `round` is 'down', up past it when 'up' (end offsets).
   */
  toCodePoint(u: number, round: 'down' | 'up' = 'down'): number {
    if (u <= 0) return 0;
    if (u >= this.utf16Length) return this.codePointLength;
    const a = this.astral;
    if (a.length === 0) return u;
    const lo = countBefore(a, u, 0);
    // lo = astral characters starting before u; if the last of them starts at u - 1, u splits it.
    const splits = lo > 0 && a[lo - 1] === u - 1;
    if (splits) return round === 'down' ? u - lo : u - lo + 1;
    return u - lo;
  }

  /** True when UTF-16 offset `u` falls between the two halves of a surrogate pair. */
  splitsPair(u: number): boolean {
    if (u <= 0 || u >= this.utf16Length || this.astral.length === 0) return false;
    return this.toUtf16(this.toCodePoint(u, 'down')) !== u;
  }
}

/** How many k have a[k] - step * k < value (a ascending, and a[k] - step * k too). */
function countBefore(a: Int32Array, value: number, step: 0 | 1): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] - step * mid < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Code point length of a string (Python's `len`). */
export function codePointLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) if (isPairAt(text, i)) {
    n--;
    i++;
  }
  return n;
}

export interface Position {
  line: number;
  /** UTF-16 units from the start of the line (LSP's default position encoding). */
  character: number;
}

/**
 * Line starts of a document, counting \r\n, lone \r and \n as one line end each, as LSP does.
 * Built once per document version; positionAt/offsetAt are binary searches.
 */
export class LineIndex {
  /** UTF-16 offset where each line starts; starts[0] = 0. */
  private readonly starts: Int32Array;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
    const starts: number[] = [0];
    const eol = /\r\n?|\n/g;
    for (let m = eol.exec(text); m; m = eol.exec(text)) starts.push(m.index + m[0].length);
    this.starts = Int32Array.from(starts);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** UTF-16 offset of the first character of `line` (clamped). */
  lineStart(line: number): number {
    if (line <= 0) return 0;
    if (line >= this.starts.length) return this.text.length;
    return this.starts[line];
  }

  /** UTF-16 offset just past the last character of `line`, before its line end. */
  lineEnd(line: number): number {
    if (line < 0) return 0;
    if (line >= this.starts.length - 1) return this.text.length;
    let end = this.starts[line + 1];
    if (end > 0 && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > this.starts[line] && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** The line holding UTF-16 offset `offset` (an offset on a line end belongs to that line). */
  lineAt(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineAt(o);
    // An offset between \r and \n belongs before the line end, like vscode-languageserver-textdocument.
    return { line, character: Math.min(o, this.lineEnd(line)) - this.starts[line] };
  }

  /** UTF-16 offset of a position; a character past the line's end is clamped to it (as LSP does). */
  offsetAt(position: Position): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line];
    return Math.max(start, Math.min(start + Math.max(0, position.character), this.lineEnd(position.line)));
  }
}

/**
 * Where each character of a decoded JSON string sits in its raw literal, so that a span inside a
 * JSONL record's text (offsets of the decoded string) lands on the right characters of the line
 * (escapes like \n, \" and \ud83d\ude00 make the two differ). `raw` is the literal with its quotes,
 * as jsonl.ts `locateValue` finds it. Returns a function from decoded UTF-16 offset to offset in
 * `raw`; undefined when `raw` is not a JSON string.
 */
export function jsonStringOffsets(raw: string): ((decoded: number) => number) | undefined {
  if (raw.length < 2 || raw.charCodeAt(0) !== 34 || raw.charCodeAt(raw.length - 1) !== 34) return undefined;
  // No escape (the common case): decoded offset d is raw offset d + 1 (the opening quote).
  if (!raw.includes('\\')) return (d) => Math.max(0, Math.min(d, raw.length - 2)) + 1;
  const map: number[] = [];
  let i = 1;
  const end = raw.length - 1;
  while (i < end) {
    map.push(i);
    if (raw.charCodeAt(i) === 92) i += raw.charCodeAt(i + 1) === 117 /* u */ ? 6 : 2;
    else i++;
  }
  map.push(end);
  return (d) => map[Math.max(0, Math.min(d, map.length - 1))];
}
