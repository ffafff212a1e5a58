// The one interface every format implements, so the CLI, the registry and the conformance suite
// treat Prodigy, Label Studio, brat or CoNLL alike.
import type { FormatProblem, InterchangeDocument, Unsupported } from './model';

export interface ReadOptions {
  /** Who the decisions belong to when the format does not say (default: the codec's name). */
  annotator?: string;
  /** Hugging Face and similar: the column with the text. */
  textField?: string;
  /** Hugging Face and similar: the column with the label. */
  labelField?: string;
  /** Hugging Face: names of the classes, when the label column holds class indices. */
  labelNames?: string[];
}

export interface ReadResult {
  documents: InterchangeDocument[];
  problems: FormatProblem[];
  unsupported: Unsupported[];
  /** The label set the input declares, when it does (brat's annotation.conf). */
  labels?: string[];
}

/** A multi-file format (brat): relative path -> content. */
export type FileSet = Map<string, string>;

export interface WriteResult {
  /** A one-file format's content. */
  text?: string;
  /** A multi-file format's files, by relative path. */
  files?: FileSet;
  /** What the documents hold that this format cannot express (nothing is dropped silently). */
  unsupported: Unsupported[];
}

/**
 * Reads a file in pieces, so a large file is never held whole: `push` each chunk as it arrives;
 * documents come out as soon as they are complete. Memory is bounded by the largest record.
 */
export interface IncrementalReader {
  push(chunk: string): InterchangeDocument[];
  end(): InterchangeDocument[];
  /** Problems and unsupported counts so far (complete after `end`). */
  summary(): { problems: FormatProblem[]; unsupported: Unsupported[] };
}

export interface Codec {
  name: string;
  description: string;
  /** Whether the format spans several files (brat: .txt + .ann per document). */
  multiFile?: boolean;
  /**
   * How sure the codec is that `sample` (the head of a file, a few KB) named `fileName` is its format:
   * 0 no, 1 certain. `--from auto` picks the highest.
   */
  detect(sample: string, fileName: string): number;
  /** Reads a whole file (or, for a multi-file format, a set of files). Never throws. */
  read(input: string | FileSet, fileName: string, options?: ReadOptions): ReadResult;
  /** Reads incrementally; absent for formats that need the whole input (brat, CSV). */
  reader?(fileName: string, options?: ReadOptions): IncrementalReader;
  write(documents: readonly InterchangeDocument[]): WriteResult;
}

/** The whole-file `read` of a codec that reads incrementally. */
export function readAll(reader: IncrementalReader, text: string): ReadResult {
  const documents = reader.push(text);
  for (const d of reader.end()) documents.push(d);
  return { documents, ...reader.summary() };
}
