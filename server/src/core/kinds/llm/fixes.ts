// Fixes as pure text edits of the file: each returns the range in the file text and the text to put
// there, already escaped for the JSON string it lands in, so the record stays valid JSON and its
// decoded value is exactly what the fix says.

import type { LlmFinding } from './findings';
import { escapeJsonString, locate, locatePath, type JsonPath } from './jsonPath';
import type { LlmFile, LlmRecord } from './records';
import type { Sample } from './sample';

export interface TextEdit {
  /** Offsets in the file text, [start, end). */
  start: number;
  end: number;
  newText: string;
}

/** The value at a path of a parsed record. */
export function valueAt(value: unknown, path: JsonPath): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Replaces decoded characters [from, to) of the string at `path` with `text`. */
export function replaceInString(record: LlmRecord, path: JsonPath, from: number, to: number, text: string): TextEdit | undefined {
  const at = locate(record, path, { start: from, end: to });
  if (!at || locatePath(record, path)?.type !== 'string') return undefined;
  return { start: record.start + at.start, end: record.start + at.end, newText: escapeJsonString(text) };
}

/** Redacts a PII or secret finding with its placeholder (<EMAIL>, <PHONE>, …). */
export function redactEdit(record: LlmRecord, f: LlmFinding): TextEdit | undefined {
  const placeholder = f.data?.placeholder;
  if (typeof placeholder !== 'string' || !f.range) return undefined;
  return replaceInString(record, f.path, f.range.start, f.range.end, placeholder);
}

/**
 * Redacts every PII finding of one string at once, as one edit of the string's raw text, so the
 * offsets of the second do not depend on the first having been applied.
 */
export function redactAllEdit(record: LlmRecord, findings: readonly LlmFinding[], path: JsonPath): TextEdit | undefined {
  const value = valueAt(record.value, path);
  const node = locatePath(record, path);
  if (typeof value !== 'string' || node?.type !== 'string') return undefined;
  const same = findings
    .filter((f) => f.range && typeof f.data?.placeholder === 'string' && JSON.stringify(f.path) === JSON.stringify(path))
    .sort((a, b) => a.range!.start - b.range!.start);
  if (!same.length) return undefined;
  let out = '';
  let at = 0;
  for (const f of same) {
    if (f.range!.start < at) continue;
    out += value.slice(at, f.range!.start) + (f.data!.placeholder as string);
    at = f.range!.end;
  }
  out += value.slice(at);
  return { start: record.start + node.start, end: record.start + node.end, newText: JSON.stringify(out) };
}

/**
 * Removes the sentence that holds a refusal finding: from the end of the previous sentence (., !, ?
 * or a line break) to the end of this one, with the spaces after it.
 */
export function stripRefusalEdit(record: LlmRecord, f: LlmFinding): TextEdit | undefined {
  const value = valueAt(record.value, f.path);
  if (typeof value !== 'string' || !f.range) return undefined;
  let start = f.range.start;
  while (start > 0 && !/[.!?\n]/.test(value[start - 1])) start--;
  while (start < f.range.start && /[ \t]/.test(value[start])) start++;
  let end = f.range.end;
  while (end < value.length && !/[.!?\n]/.test(value[end])) end++;
  if (end < value.length && value[end] !== '\n') end++;
  while (end < value.length && /[ \t]/.test(value[end])) end++;
  // A refusal that is the whole line takes its line break with it.
  if ((start === 0 || value[start - 1] === '\n') && value[end] === '\n') end++;
  return replaceInString(record, f.path, start, end, '');
}

/** Swaps chosen and rejected of a preference pair: two edits, each the other side's raw text. */
export function swapEdits(record: LlmRecord, sample: Sample): TextEdit[] {
  if (!sample.chosenPath || !sample.rejectedPath) return [];
  const c = locatePath(record, sample.chosenPath);
  const r = locatePath(record, sample.rejectedPath);
  if (!c || !r) return [];
  return [
    { start: record.start + c.start, end: record.start + c.end, newText: record.text.slice(r.start, r.end) },
    { start: record.start + r.start, end: record.start + r.end, newText: record.text.slice(c.start, c.end) },
  ];
}

/** Drops a record (a duplicate): its line of a JSONL file, or its element of a JSON array with one comma. */
export function dropRecordEdit(text: string, file: LlmFile, record: LlmRecord): TextEdit {
  if (file.layout === 'jsonl') {
    let end = record.end;
    if (text[end] === '\r') end++;
    if (text[end] === '\n') end++;
    return { start: record.start - record.column, end, newText: '' };
  }
  const i = file.records.indexOf(record);
  const next = file.records[i + 1];
  const prev = file.records[i - 1];
  // From this record to the next one (this one's comma goes), or for the last, from the previous one's end.
  if (next) return { start: record.start, end: next.start, newText: '' };
  if (prev) return { start: prev.end, end: record.end, newText: '' };
  return { start: record.start, end: record.end, newText: '' };
}

/** Applies non-overlapping edits to a text (for tests and for export of corrected records). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}
