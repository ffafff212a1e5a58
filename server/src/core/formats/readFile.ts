// Reading a file of a peer format from disk: in 1 MB pieces through the codec's incremental reader
// when it has one (JSONL, JSON arrays, CoNLL, fastText), so memory holds one record at a time; whole
// for the formats that need all of it (CSV, brat's folder of files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Codec, FileSet, ReadOptions } from './codec';
import type { FormatProblem, InterchangeDocument, Unsupported } from './model';

const CHUNK = 1 << 20;

export interface FileReadSummary {
  problems: FormatProblem[];
  unsupported: Unsupported[];
  labels?: string[];
  documents: number;
}

/** The .txt, .ann and annotation.conf files under a folder, by path relative to it. */
export function readFileSet(folder: string): FileSet {
  const files: FileSet = new Map();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(txt|ann)$/.test(entry.name) || entry.name === 'annotation.conf') files.set(path.relative(folder, full).split(path.sep).join('/'), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(folder);
  return files;
}

/** Reads `file` with `codec`, handing each document to `onDocument` as soon as it is complete. */
export async function readFileWith(codec: Codec, file: string, options: ReadOptions, onDocument: (doc: InterchangeDocument) => void): Promise<FileReadSummary> {
  let documents = 0;
  const hand = (docs: InterchangeDocument[]) => {
    for (const d of docs) {
      documents++;
      onDocument(d);
    }
  };
  if (codec.multiFile) {
    const folder = fs.statSync(file).isDirectory() ? file : path.dirname(file);
    const result = codec.read(readFileSet(folder), folder, options);
    hand(result.documents);
    return { problems: result.problems, unsupported: result.unsupported, ...(result.labels ? { labels: result.labels } : {}), documents };
  }
  if (!codec.reader) {
    const result = codec.read(fs.readFileSync(file, 'utf8'), file, options);
    hand(result.documents);
    return { problems: result.problems, unsupported: result.unsupported, documents };
  }
  const reader = codec.reader(file, options);
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK });
  for await (const chunk of stream) hand(reader.push(chunk as string));
  hand(reader.end());
  return { ...reader.summary(), documents };
}
