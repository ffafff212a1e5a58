// A dataset held as lines, parsed lazily and re-parsed only where an edit touched it.
import { getPath, isBlank, jsonErrorPosition, locateValue, splitLines } from './jsonl';
import { sampleId } from './identity';
import { predictionFromRecord } from './predictions';
import type { Prediction } from './types';

/** Why a line is not a usable sample. Typed so the code can dispatch on it, not on message text. */
export type LineErrorCode = 'invalid-json' | 'not-an-object' | 'missing-text' | 'invalid-prediction';

export interface Sample {
  id: string;
  /** The id was derived from the text because the record has none. */
  fromText: boolean;
  text: string;
  /** The prediction inside the record, if any. */
  prediction?: Prediction;
}

export interface LineError {
  code: LineErrorCode;
  message: string;
  start?: number;
  end?: number;
}

export type ParsedLine = { kind: 'blank' } | { kind: 'sample'; sample: Sample; warning?: LineError } | { kind: 'error'; error: LineError };

export interface DatasetFields {
  textField: string;
  idField: string;
}

const BLANK: ParsedLine = { kind: 'blank' };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parses one line of a dataset. Never throws: bad input becomes a typed error. */
export function parseLine(line: string, fields: DatasetFields): ParsedLine {
  if (isBlank(line)) return BLANK;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    const start = jsonErrorPosition(error);
    return {
      kind: 'error',
      error: {
        code: 'invalid-json',
        message: `Not valid JSON: ${(error as Error).message}`,
        ...(start === undefined ? {} : { start, end: Math.min(start + 1, line.length) }),
      },
    };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { kind: 'error', error: { code: 'not-an-object', message: `Expected a JSON object per line, found ${describe(record)}` } };
  }
  const text = getPath(record, fields.textField);
  if (typeof text !== 'string') {
    const found = text === undefined ? 'it is missing' : `it is ${describe(text)}`;
    return { kind: 'error', error: { code: 'missing-text', message: `The record has no text: "${fields.textField}" must be a string, but ${found}` } };
  }
  const { id, fromText } = sampleId(getPath(record, fields.idField), text);
  const sample: Sample = { id, fromText, text };
  const { prediction, problem } = predictionFromRecord(record as Record<string, unknown>);
  if (prediction) sample.prediction = prediction;
  if (problem) return { kind: 'sample', sample, warning: { code: 'invalid-prediction', message: problem } };
  return { kind: 'sample', sample };
}

/** An edit in LSP terms: a range of (line, character) replaced by text. */
export interface LineEdit {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
  text: string;
}

/**
 * The lines of one dataset and their parses. Edits splice lines in place and drop only the parses of
 * the lines they touch, so an edit of one line re-parses one line.
 */
export class Dataset {
  private lines: string[];
  private parsed: (ParsedLine | undefined)[];
  private idIndex: Map<string, number[]> | undefined;
  version = 0;

  constructor(
    text: string,
    private fields: DatasetFields,
  ) {
    this.lines = splitLines(text);
    this.parsed = new Array(this.lines.length);
  }

  get lineCount(): number {
    return this.lines.length;
  }

  lineText(line: number): string {
    return this.lines[line] ?? '';
  }

  setFields(fields: DatasetFields): void {
    if (fields.textField === this.fields.textField && fields.idField === this.fields.idField) return;
    this.fields = fields;
    this.parsed = new Array(this.lines.length);
    this.idIndex = undefined;
    this.version++;
  }

  parsedLine(line: number): ParsedLine {
    let parsed = this.parsed[line];
    if (!parsed) {
      parsed = parseLine(this.lines[line] ?? '', this.fields);
      this.parsed[line] = parsed;
    }
    return parsed;
  }

  sampleAt(line: number): Sample | undefined {
    const parsed = this.parsedLine(line);
    return parsed.kind === 'sample' ? parsed.sample : undefined;
  }

  /** Lines of the samples with this id (more than one means a duplicate id). */
  linesOf(id: string): readonly number[] {
    return this.ids().get(id) ?? [];
  }

  ids(): Map<string, number[]> {
    if (!this.idIndex) {
      const index = new Map<string, number[]>();
      for (let line = 0; line < this.lines.length; line++) {
        const sample = this.sampleAt(line);
        if (!sample) continue;
        const lines = index.get(sample.id);
        if (lines) lines.push(line);
        else index.set(sample.id, [line]);
      }
      this.idIndex = index;
    }
    return this.idIndex;
  }

  /** Range of the sample's text on its line (the quotes included), or the whole line if not found. */
  textRange(line: number): { start: number; end: number } {
    const text = this.lines[line] ?? '';
    return locateValue(text, this.fields.textField) ?? { start: 0, end: text.length };
  }

  applyEdit(edit: LineEdit): void {
    const first = this.lines[edit.startLine] ?? '';
    const last = this.lines[edit.endLine] ?? '';
    const replaced = first.slice(0, edit.startCharacter) + edit.text + last.slice(edit.endCharacter);
    const newLines = replaced.split(/\r\n|\r|\n/);
    const removed = edit.endLine - edit.startLine + 1;
    this.lines = splice(this.lines, edit.startLine, removed, newLines);
    this.parsed = splice(this.parsed, edit.startLine, removed, new Array<ParsedLine | undefined>(newLines.length));
    this.idIndex = undefined;
    this.version++;
  }

  replaceAll(text: string): void {
    this.lines = splitLines(text);
    this.parsed = new Array(this.lines.length);
    this.idIndex = undefined;
    this.version++;
  }
}

/** Array splice that also works for inserts too large for a spread argument list. */
function splice<T>(array: T[], start: number, removed: number, inserted: T[]): T[] {
  if (inserted.length < 10_000) {
    array.splice(start, removed, ...inserted);
    return array;
  }
  return array.slice(0, start).concat(inserted, array.slice(start + removed));
}
