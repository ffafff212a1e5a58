// Helpers for JSON Lines text: splitting into lines the way LSP counts them, reading a file of
// records line by line, and finding where a value sits on a line without a second full parse.
import type { LineProblem } from './types';

const LINE_BREAK = /\r\n|\r|\n/;

/** Splits text into lines as LSP does (\r\n, \r and \n all end a line). A leading BOM is dropped. */
export function splitLines(text: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.split(LINE_BREAK);
}

export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return false;
  }
  return true;
}

/** What `readJsonLines` does with each line. */
export interface JsonLinesReader {
  /** A line that parsed, with its number (0-based, as LSP counts lines). */
  value(value: unknown, line: number): void;
  /** A line that is not valid JSON (or that `refuse` refused), with where the parse stopped when known. */
  problem(problem: LineProblem): void;
  /** Checked before parsing: why a line is refused (a merge conflict marker, say), or undefined. */
  refuse?(text: string): string | undefined;
}

/**
 * Reads JSON Lines text: each non-blank line parsed on its own, in order, so one bad line costs only
 * itself. Lines are counted as LSP counts them, so a problem lands on the line the editor shows; a
 * leading BOM is dropped.
 */
export function readJsonLines(text: string, reader: JsonLinesReader): void {
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line)) continue;
    const refused = reader.refuse?.(line);
    if (refused !== undefined) {
      reader.problem({ line: i, message: refused });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const start = jsonErrorPosition(error);
      reader.problem({ line: i, ...(start === undefined ? {} : { start }), message: `Not valid JSON: ${(error as Error).message}` });
      continue;
    }
    reader.value(value, i);
  }
}

/** Reads a dotted path (`data.text`) from a parsed value; own properties only. */
export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export interface Span {
  start: number;
  end: number;
}

/**
 * Finds the character range of the value at a dotted path in one JSON line, or undefined.
 * Assumes the line is valid JSON (it was parsed first); runs only for samples that get a diagnostic.
 */
export function locateValue(line: string, path: string): Span | undefined {
  let from = line.charCodeAt(0) === 0xfeff ? 1 : 0; // a BOM before the first record
  let found: Span | undefined;
  for (const key of path.split('.')) {
    found = locateKeyInObject(line, from, key);
    if (!found) return undefined;
    from = found.start;
  }
  return found;
}

function skipWhitespace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/** Index just past the string starting at s[i] === '"'. */
function skipString(s: string, i: number): number {
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === 34 /* " */) return i + 1;
    else i++;
  }
  return i;
}

/** Index just past the JSON value starting at s[i]. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return skipString(s, i);
  if (c === 123 /* { */ || c === 91 /* [ */) {
    let depth = 0;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === 34) {
        i = skipString(s, i);
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === 44 /* , */ || d === 125 || d === 93 || d === 32 || d === 9) break;
    i++;
  }
  return i;
}

/** The value of `key` in the object at s[objectStart]; of the last occurrence, as JSON.parse keeps the last. */
function locateKeyInObject(s: string, objectStart: number, key: string): Span | undefined {
  let i = skipWhitespace(s, objectStart);
  if (s.charCodeAt(i) !== 123) return undefined;
  i++;
  let found: Span | undefined;
  while (i < s.length) {
    i = skipWhitespace(s, i);
    if (s.charCodeAt(i) !== 34) return found;
    const keyEnd = skipString(s, i);
    const rawKey = s.slice(i + 1, keyEnd - 1);
    const name = rawKey.includes('\\') ? (JSON.parse(s.slice(i, keyEnd)) as string) : rawKey;
    i = skipWhitespace(s, keyEnd);
    if (s.charCodeAt(i) !== 58 /* : */) return found;
    i = skipWhitespace(s, i + 1);
    const valueEnd = skipValue(s, i);
    if (name === key) found = { start: i, end: valueEnd };
    i = skipWhitespace(s, valueEnd);
    if (s.charCodeAt(i) !== 44) return found;
    i++;
  }
  return found;
}

/**
 * The position of a JSON.parse error on a line, from V8's message ("... at position 12"), or undefined.
 */
export function jsonErrorPosition(error: unknown): number | undefined {
  // Anchored at the end: V8's "Unexpected token" message quotes the input, which may say "position 9" itself.
  const match = /JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(String((error as Error)?.message ?? error));
  return match ? Number(match[1]) : undefined;
}

/** Short, single-line excerpt of untrusted text for messages. */
export function excerpt(text: string, max = 60): string {
  // Flatten only the head: a sample's text may be megabytes long.
  const cut = text.length > max * 4;
  const flat = (cut ? text.slice(0, max * 4) : text).replace(/\s+/g, ' ');
  return flat.length > max || cut ? `${flat.slice(0, max - 1)}…` : flat;
}
