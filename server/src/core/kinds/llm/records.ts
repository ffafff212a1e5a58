// The records of an LLM dataset file, each with its exact place in the file text: one per line of a
// JSONL file, or one per element of a JSON array file (Alpaca data ships as one array: the GSM8K
// fixture is a 4.2 MB array of 7,473 records). Offsets are UTF-16 code units, as LSP counts them.

export interface LlmRecord {
  /** Position of the record in the file (0-based): the line's record number or the array index. */
  index: number;
  /** Offsets of the record's text in the file text: [start, end). */
  start: number;
  end: number;
  /** 0-based line and column of `start`. */
  line: number;
  column: number;
  /** The record's own text (file text from start to end). */
  text: string;
  /** The parsed value, when the text is valid JSON. */
  value?: unknown;
  /** Why the text is not valid JSON, with the line it is on (1-based, as editors show it). */
  error?: string;
}

export interface LlmFile {
  layout: 'jsonl' | 'json-array';
  records: LlmRecord[];
  /** Problems of the file itself (an array that is not closed, text after it), with their offset. */
  errors: Array<{ offset: number; message: string }>;
  /** Offset at which each line starts, for positionAt. */
  lineStarts: number[];
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** 0-based line and column of an offset (binary search over the line starts). */
export function positionAt(lineStarts: readonly number[], offset: number): { line: number; character: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - lineStarts[lo] };
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff;

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the JSON value that starts at s[i]; a lenient scan, JSON.parse judges validity. */
function skipValue(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < s.length) {
        const d = s.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      if (depth === 0) return i;
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth === 0) return i; // a closer of the enclosing array
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 44 || isSpace(c))) return i;
    i++;
  }
  return i;
}

function parseRecord(index: number, start: number, end: number, text: string, lineStarts: number[], fileName: string): LlmRecord {
  const pos = positionAt(lineStarts, start);
  const record: LlmRecord = { index, start, end, line: pos.line, column: pos.character, text };
  try {
    record.value = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(String((error as Error).message));
    const line = at ? positionAt(lineStarts, start + Number(at[1])).line : pos.line;
    record.error = `${fileName}:${line + 1}: record ${index + 1} is not valid JSON (${(error as Error).message})`;
  }
  return record;
}

/**
 * The records of a dataset file. A file whose first character is `[` and which holds one array
 * (only whitespace after it) is a JSON array file; anything else is JSONL. `fileName` names the
 * file in error messages.
 */
export function parseLlmFile(text: string, fileName = 'dataset'): LlmFile {
  const lineStarts = lineStartsOf(text);
  const first = skipSpace(text, 0);
  if (text.charCodeAt(first) === 91 && skipSpace(text, skipValue(text, first)) >= text.length) return parseArray(text, first, lineStarts, fileName);
  const records: LlmRecord[] = [];
  for (let l = 0; l < lineStarts.length; l++) {
    let start = lineStarts[l];
    let end = l + 1 < lineStarts.length ? lineStarts[l + 1] : text.length;
    while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
    if (l === 0 && text.charCodeAt(0) === 0xfeff) start++;
    const line = text.slice(start, end);
    if (line.trim() === '') continue;
    records.push(parseRecord(records.length, start, end, line, lineStarts, fileName));
  }
  return { layout: 'jsonl', records, errors: [], lineStarts };
}

function parseArray(text: string, open: number, lineStarts: number[], fileName: string): LlmFile {
  const records: LlmRecord[] = [];
  const errors: LlmFile['errors'] = [];
  const fail = (offset: number, what: string): void => {
    errors.push({ offset, message: `${fileName}:${positionAt(lineStarts, offset).line + 1}: ${what}` });
  };
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === 93) return { layout: 'json-array', records, errors, lineStarts };
  while (i < text.length) {
    const end = skipValue(text, i);
    if (end === i) {
      fail(i, `expected a record in the array, found ${JSON.stringify(text[i])}`);
      break;
    }
    records.push(parseRecord(records.length, i, end, text.slice(i, end), lineStarts, fileName));
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 44) {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (c === 93) return { layout: 'json-array', records, errors, lineStarts };
    fail(i, i >= text.length ? 'the JSON array is not closed (no "]" at the end)' : `expected "," or "]" after record ${records.length}`);
    break;
  }
  if (i >= text.length && errors.length === 0) fail(text.length, 'the JSON array is not closed (no "]" at the end)');
  return { layout: 'json-array', records, errors, lineStarts };
}
