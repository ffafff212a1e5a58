// The reading half shared by the formats whose files are JSON records (JSONL or a JSON array):
// Prodigy, Label Studio, doccano, spaCy, Hugging Face, Argilla. Each gives a function from one
// record to documents; this turns it into an incremental reader and a whole-file read.
import { readAll, type Codec, type IncrementalReader, type ReadOptions, type ReadResult } from './codec';
import { JsonRecordStream, isObject } from './jsonRecords';
import { UnsupportedCounter, type FormatProblem, type InterchangeDocument } from './model';

export interface RecordContext {
  line: number;
  options: ReadOptions;
  problem(message: string): void;
  unsupported: UnsupportedCounter;
}

/** Returns the record's documents; reports what it cannot read through `ctx.problem`. */
export type FromRecord = (record: Record<string, unknown>, ctx: RecordContext) => InterchangeDocument | InterchangeDocument[] | undefined;

export function recordReader(codec: string, fromRecord: FromRecord, options: ReadOptions = {}): IncrementalReader {
  const problems: FormatProblem[] = [];
  const unsupported = new UnsupportedCounter();
  let out: InterchangeDocument[] = [];
  const stream = new JsonRecordStream((value, line) => {
    if (!isObject(value)) {
      problems.push({ line, message: `Expected a JSON object (a ${codec} record), found ${Array.isArray(value) ? 'a list' : JSON.stringify(value)?.slice(0, 40)}` });
      return;
    }
    const ctx: RecordContext = { line, options, unsupported, problem: (message) => problems.push({ line, message }) };
    try {
      const docs = fromRecord(value, ctx);
      if (Array.isArray(docs)) out.push(...docs);
      else if (docs) out.push(docs);
    } catch (error) {
      // A codec bug must not lose the rest of the file: the record is reported, the others read.
      problems.push({ line, message: `Could not read this ${codec} record: ${(error as Error).message}` });
    }
  }, problems);
  const take = (): InterchangeDocument[] => {
    const done = out;
    out = [];
    return done;
  };
  return {
    push(chunk) {
      stream.push(chunk);
      return take();
    },
    end() {
      stream.end();
      return take();
    },
    summary: () => ({ problems: [...problems], unsupported: unsupported.list() }),
  };
}

export function readRecords(codec: string, fromRecord: FromRecord, text: string, options?: ReadOptions): ReadResult {
  return readAll(recordReader(codec, fromRecord, options), text);
}

/** The record without the keys a codec interprets: what it keeps in `fields` for the round trip. */
export function otherFields(record: Record<string, unknown>, interpreted: readonly string[]): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (!interpreted.includes(key)) rest[key] = value;
  return rest;
}

export function jsonLines(values: Iterable<unknown>): string {
  let out = '';
  for (const v of values) out += `${JSON.stringify(v)}\n`;
  return out;
}

export function defaultAnnotator(codec: string, options: ReadOptions): string {
  return options.annotator ?? codec;
}

/** The answer of a one-file codec given a set of files (brat's input shape). */
export function oneFileOnly(description: string): ReadResult {
  return { documents: [], problems: [{ line: 0, message: `${description} is one file, not a folder` }], unsupported: [] };
}

/** A codec of JSON records: whole-file and incremental reading from `fromRecord`. */
export function jsonRecordCodec(spec: Pick<Codec, 'name' | 'description' | 'detect' | 'write'> & { fromRecord: FromRecord }): Codec {
  const { name, description, detect, write, fromRecord } = spec;
  return {
    name,
    description,
    detect,
    read: (input, _fileName, options) => (typeof input === 'string' ? readRecords(name, fromRecord, input, options) : oneFileOnly(description)),
    reader: (_fileName, options) => recordReader(name, fromRecord, options),
    write,
  };
}
