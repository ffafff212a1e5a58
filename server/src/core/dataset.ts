// A dataset held as lines, parsed lazily and re-parsed only where an edit touched it.
import { getPath, isBlank, jsonErrorPosition, locateValue } from './jsonl';
import { sampleId } from './identity';
import { predictionFromRecord } from './predictions';
import type { Prediction } from './types';

/** Why a line is not a usable sample. Typed so the code can dispatch on it, not on message text. */
export type LineErrorCode = 'invalid-json' | 'not-an-object' | 'missing-text' | 'invalid-prediction' | 'invalid-encoding';

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

/** Why a line is not JSON, in words; binary data and control characters are named, never echoed. */
function invalidJsonMessage(line: string, error: unknown): string {
  if (line.includes('\u0000')) return 'Not valid JSON: the line is binary data (it contains NUL bytes); is this file really JSON Lines?';
  // V8 quotes part of the input in its message: keep it on one readable line.
  const reason = String((error as Error)?.message ?? error).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const encoding = line.includes('\ufffd') ? ' (the line also has bytes that are not valid UTF-8, shown as \ufffd)' : '';
  return `Not valid JSON: ${reason}${encoding}`;
}

/**
 * What an index needs of a line: blank, error or sample, and the sample's id. The same verdicts as
 * `parseLine` without building the sample (no prediction, no warnings): indexing a million lines
 * spends its time here.
 */
export function classifyLine(line: string, fields: DatasetFields): { kind: ParsedLine['kind']; id?: string } {
  const json = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  if (isBlank(json)) return { kind: 'blank' };
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return { kind: 'error' };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return { kind: 'error' };
  const text = getPath(record, fields.textField);
  if (typeof text !== 'string') return { kind: 'error' };
  return { kind: 'sample', id: sampleId(getPath(record, fields.idField), text).id };
}

/** Parses one line of a dataset. Never throws: bad input becomes a typed error. */
export function parseLine(line: string, fields: DatasetFields): ParsedLine {
  // A BOM opens the first line of some files; it is a character of the document but not JSON.
  const bom = line.charCodeAt(0) === 0xfeff ? 1 : 0;
  const json = bom ? line.slice(1) : line;
  if (isBlank(json)) return BLANK;
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch (error) {
    const position = jsonErrorPosition(error);
    const start = position === undefined ? undefined : Math.min(position + bom, line.length);
    return {
      kind: 'error',
      error: {
        code: 'invalid-json',
        message: invalidJsonMessage(json, error),
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
  // U+FFFD is what a decoder makes of bytes that are not UTF-8: the text (and an id derived from it) is not what the file says.
  if (text.includes('\ufffd')) {
    return { kind: 'sample', sample, warning: { code: 'invalid-encoding', message: 'The text has bytes that are not valid UTF-8 (shown as \ufffd): save the file as UTF-8, or the text and its id may change when it is fixed' } };
  }
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

/** What the project needs of a dataset, whether held in memory (open in an editor) or read from disk. */
export interface DatasetView {
  readonly lineCount: number;
  readonly version: number;
  lineText(line: number): string;
  parsedLine(line: number): ParsedLine;
  sampleAt(line: number): Sample | undefined;
  /** The id of the sample on a line (cheap: from the index where there is one). */
  idAt(line: number): string | undefined;
  lineKind(line: number): ParsedLine['kind'];
  /** Line of the first sample with this id, or undefined. */
  firstLineOf(id: string): number | undefined;
  /**
   * Lines of the samples with this id when there are several (a duplicate id), else undefined.
   * Cheap: answers from the id index if it is up to date, and undefined while it is being rebuilt.
   */
  duplicatesOf(id: string): readonly number[] | undefined;
  /** Every line of a sample with this id (none, one, or several for a duplicate id). */
  linesOf(id: string): readonly number[];
  textRange(line: number): { start: number; end: number };
  setFields(fields: DatasetFields): void;
}

export function linesOf(dataset: Pick<DatasetView, 'firstLineOf' | 'duplicatesOf'>, id: string): readonly number[] {
  const duplicates = dataset.duplicatesOf(id);
  if (duplicates) return duplicates;
  const first = dataset.firstLineOf(id);
  return first === undefined ? [] : [first];
}

/** Index of sample ids: the first line of each, and the lines of the ids that occur more than once. */
export class IdIndex {
  readonly first = new Map<string, number>();
  readonly duplicates = new Map<string, number[]>();

  add(id: string, line: number): void {
    const first = this.first.get(id);
    if (first === undefined) {
      this.first.set(id, line);
      return;
    }
    const lines = this.duplicates.get(id);
    if (lines) lines.push(line);
    else this.duplicates.set(id, [first, line]);
  }
}

/**
 * The lines of one dataset and their parses. Edits splice lines in place and drop only the parses of
 * the lines they touch, so an edit of one line re-parses one line.
 */
export class Dataset implements DatasetView {
  private lines: string[];
  private parsed: (ParsedLine | undefined)[];
  private idIndex: IdIndex | undefined;
  version = 0;

  constructor(
    text: string,
    private fields: DatasetFields,
  ) {
    this.lines = splitDocumentLines(text);
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
    // A line from a client may be anything: never index past the end (that would grow the array).
    if (!Number.isInteger(line) || line < 0 || line >= this.lines.length) return BLANK;
    let parsed = this.parsed[line];
    if (!parsed) {
      parsed = parseLine(this.lines[line] ?? '', this.fields);
      this.parsed[line] = parsed;
    }
    return parsed;
  }

  /** Parses every line not parsed yet and rebuilds the id index, in steps of about `linesPerStep` lines. */
  *parseSteps(linesPerStep = 200): Generator<void, void> {
    const version = this.version;
    let work = 0;
    for (let line = 0; line < this.lines.length; line++) {
      if (this.version !== version) return; // edited meanwhile: the caller asks again
      if (!this.parsed[line]) {
        this.parsedLine(line);
        work++;
      }
      if ((line & 4095) === 4095 || work >= linesPerStep) {
        work = 0;
        yield;
      }
    }
    if (this.idIndex) return;
    const index = new IdIndex();
    for (let line = 0; line < this.lines.length; line++) {
      if (this.version !== version) return;
      const sample = this.sampleAt(line);
      if (sample) index.add(sample.id, line);
      if ((line & 4095) === 4095) yield;
    }
    this.idIndex = index;
  }

  /** True when every line has been parsed since the last edit. */
  isParsed(): boolean {
    for (let line = 0; line < this.lines.length; line++) if (!this.parsed[line]) return false;
    return true;
  }

  sampleAt(line: number): Sample | undefined {
    const parsed = this.parsedLine(line);
    return parsed.kind === 'sample' ? parsed.sample : undefined;
  }

  idAt(line: number): string | undefined {
    return this.sampleAt(line)?.id;
  }

  lineKind(line: number): ParsedLine['kind'] {
    return this.parsedLine(line).kind;
  }

  firstLineOf(id: string): number | undefined {
    return this.ids().first.get(id);
  }

  duplicatesOf(id: string): readonly number[] | undefined {
    return this.idIndex?.duplicates.get(id);
  }

  /** True when the id index is up to date (duplicate ids are known). */
  idsReady(): boolean {
    return this.idIndex !== undefined;
  }

  linesOf(id: string): readonly number[] {
    return this.ids().duplicates.get(id) ?? linesOf(this, id);
  }

  /** Builds the id index now if it is stale (small datasets; large ones use `parseSteps`). */
  buildIds(): void {
    this.ids();
  }

  private ids(): IdIndex {
    if (!this.idIndex) {
      const index = new IdIndex();
      for (let line = 0; line < this.lines.length; line++) {
        const sample = this.sampleAt(line);
        if (sample) index.add(sample.id, line);
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
    this.lines = splitDocumentLines(text);
    this.parsed = new Array(this.lines.length);
    this.idIndex = undefined;
    this.version++;
  }
}
/**
 * Lines as the editor counts them. Unlike `splitLines`, a leading BOM stays on line 0: positions are the
 * document's (an editor that sends the BOM counts it), and `parseLine` skips it.
 */
function splitDocumentLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Array splice that also works for inserts too large for a spread argument list. */
function splice<T>(array: T[], start: number, removed: number, inserted: T[]): T[] {
  if (inserted.length < 10_000) {
    array.splice(start, removed, ...inserted);
    return array;
  }
  return array.slice(0, start).concat(inserted, array.slice(start + removed));
}
