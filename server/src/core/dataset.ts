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

/** A textField naming the whole record: the sample's text is the record's JSON text (kinds such as llm read the record themselves). */
export const WHOLE_RECORD = '.';

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
  const text = fields.textField === WHOLE_RECORD ? json : getPath(record, fields.textField);
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
  const text = fields.textField === WHOLE_RECORD ? json : getPath(record, fields.textField);
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

/** Maps of the id index: each stays small, so that no insert rehashes 100,000 entries in one go (10 ms). */
const ID_SHARDS = 64;

function shardOf(id: string): number {
  const n = id.length;
  return (id.charCodeAt(n - 1) * 31 + id.charCodeAt(n > 1 ? n - 2 : 0) * 7 + n) & (ID_SHARDS - 1);
}

/** Index of sample ids: the first line of each, and the lines of the ids that occur more than once. */
export class IdIndex {
  private readonly first = Array.from({ length: ID_SHARDS }, () => new Map<string, number>());
  private readonly duplicates = new Map<string, number[]>();

  add(id: string, line: number): void {
    const shard = this.first[shardOf(id)]!;
    const first = shard.get(id);
    if (first === undefined) {
      shard.set(id, line);
      return;
    }
    const lines = this.duplicates.get(id);
    if (lines) lines.push(line);
    else this.duplicates.set(id, [first, line]);
  }

  firstLine(id: string): number | undefined {
    return id.length === 0 ? undefined : this.first[shardOf(id)]!.get(id);
  }

  /** The lines of an id that occurs more than once. */
  duplicateLines(id: string): number[] | undefined {
    return this.duplicates.get(id);
  }
}

/**
 * What is known of a line: nothing yet (undefined), its full parse, or (a string) the id of the
 * sample on it, from `classifyLine`, until something needs the sample itself.
 */
type LineState = ParsedLine | string | undefined;

/**
 * The lines of one dataset and their parses. Edits splice lines in place and drop only the parses of
 * the lines they touch, so an edit of one line re-parses one line.
 *
 * The background pass over a large document (`parseSteps`) keeps only each sample's id, not its parse:
 * the samples of 100,000 lines are 50 MB that the garbage collector would copy and mark (pauses of
 * 10-30 ms) for lines that nothing but the counts and the id index needs. Lines are parsed in full
 * when something asks for their sample.
 */
export class Dataset implements DatasetView {
  private lines: string[];
  private parsed: LineState[];
  /** Lines whose state is known (not undefined): `isParsed()` without a scan. */
  private known = 0;
  private idIndex: IdIndex | undefined;
  version = 0;

  constructor(
    text: string,
    private fields: DatasetFields,
  ) {
    this.lines = splitDocumentLines(text);
    this.parsed = new Array(this.lines.length);
  }

  /** A dataset from lines already split as the editor counts them (a document read from disk in chunks). */
  static fromLines(lines: string[], fields: DatasetFields): Dataset {
    const dataset = new Dataset('', fields);
    dataset.lines = lines;
    dataset.parsed = new Array(lines.length);
    return dataset;
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
    this.known = 0;
    this.idIndex = undefined;
    this.version++;
  }

  private inRange(line: number): boolean {
    // A line from a client may be anything: never index past the end (that would grow the array).
    return Number.isInteger(line) && line >= 0 && line < this.lines.length;
  }

  private setState(line: number, state: ParsedLine | string): void {
    if (this.parsed[line] === undefined) this.known++;
    this.parsed[line] = state;
  }

  parsedLine(line: number): ParsedLine {
    if (!this.inRange(line)) return BLANK;
    const state = this.parsed[line];
    if (state !== undefined && typeof state !== 'string') return state;
    const parsed = parseLine(this.lines[line] ?? '', this.fields);
    this.setState(line, parsed);
    return parsed;
  }

  /** What an index needs of a line: its sample's id (a string), or its parse when it is not a sample. */
  private classified(line: number): ParsedLine | string {
    const state = this.parsed[line];
    if (state !== undefined) return state;
    const { kind, id } = classifyLine(this.lines[line] ?? '', this.fields);
    // A line that is not a sample is blank (nothing to keep) or an error (rare: its message is worth the parse).
    const known = kind === 'sample' ? id! : kind === 'blank' ? BLANK : parseLine(this.lines[line] ?? '', this.fields);
    this.setState(line, known);
    return known;
  }

  /**
   * Classifies every line not known yet and rebuilds the id index, in steps of about `linesPerStep`
   * lines; the samples themselves are parsed later, when something asks for them.
   */
  *parseSteps(linesPerStep = 200): Generator<void, void> {
    const version = this.version;
    let work = 0;
    for (let line = 0; line < this.lines.length; line++) {
      if (this.version !== version) return; // edited meanwhile: the caller asks again
      if (this.parsed[line] === undefined) {
        this.classified(line);
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
      const id = this.idAt(line);
      if (id !== undefined) index.add(id, line);
      if ((line & 4095) === 4095) yield;
    }
    this.idIndex = index;
  }

  /** True when every line has been classified or parsed since the last edit. */
  isParsed(): boolean {
    return this.known === this.lines.length;
  }

  sampleAt(line: number): Sample | undefined {
    const parsed = this.parsedLine(line);
    return parsed.kind === 'sample' ? parsed.sample : undefined;
  }

  idAt(line: number): string | undefined {
    if (!this.inRange(line)) return undefined;
    const state = this.classified(line);
    return typeof state === 'string' ? state : state.kind === 'sample' ? state.sample.id : undefined;
  }

  lineKind(line: number): ParsedLine['kind'] {
    if (!this.inRange(line)) return 'blank';
    const state = this.classified(line);
    return typeof state === 'string' ? 'sample' : state.kind;
  }

  firstLineOf(id: string): number | undefined {
    return this.ids().firstLine(id);
  }

  duplicatesOf(id: string): readonly number[] | undefined {
    return this.idIndex?.duplicateLines(id);
  }

  /** True when the id index is up to date (duplicate ids are known). */
  idsReady(): boolean {
    return this.idIndex !== undefined;
  }

  linesOf(id: string): readonly number[] {
    return this.ids().duplicateLines(id) ?? linesOf(this, id);
  }

  /** Builds the id index now if it is stale (small datasets; large ones use `parseSteps`). */
  buildIds(): void {
    this.ids();
  }

  private ids(): IdIndex {
    if (!this.idIndex) {
      const index = new IdIndex();
      for (let line = 0; line < this.lines.length; line++) {
        const id = this.idAt(line);
        if (id !== undefined) index.add(id, line);
      }
      this.idIndex = index;
    }
    return this.idIndex;
  }

  /** Range of the sample's text on its line (the quotes included), or the whole line if not found. */
  textRange(line: number): { start: number; end: number } {
    const text = this.lines[line] ?? '';
    if (this.fields.textField === WHOLE_RECORD) return { start: 0, end: text.length };
    return locateValue(text, this.fields.textField) ?? { start: 0, end: text.length };
  }

  applyEdit(edit: LineEdit): void {
    const first = this.lines[edit.startLine] ?? '';
    const last = this.lines[edit.endLine] ?? '';
    const replaced = first.slice(0, edit.startCharacter) + edit.text + last.slice(edit.endCharacter);
    const newLines = replaced.split(/\r\n|\r|\n/);
    const removed = edit.endLine - edit.startLine + 1;
    for (let line = edit.startLine; line < edit.startLine + removed && line < this.parsed.length; line++) if (this.parsed[line] !== undefined) this.known--;
    this.lines = splice(this.lines, edit.startLine, removed, newLines);
    this.parsed = splice(this.parsed, edit.startLine, removed, new Array<LineState>(newLines.length));
    this.idIndex = undefined;
    this.version++;
  }

  /** The whole text changed: a string, or lines already split as the editor counts them. */
  replaceAll(text: string | string[]): void {
    // Split first: a text that is not a string (from a client) throws before anything changed.
    const lines = Array.isArray(text) ? text : splitDocumentLines(text);
    this.lines = lines;
    this.parsed = new Array(lines.length);
    this.known = 0;
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
