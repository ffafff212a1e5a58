// Label files: one JSON object per line, written by appending (durable, safe with several writers)
// and compacted to a canonical order (sorted, fixed key order, LF) so that git diffs stay small.
import * as fs from 'node:fs';
import { appendDurable, LockTimeoutError, removeOrphans, withFileLock, WriteFailedError, writeFileAtomic } from './fsutil';
import { isBlank, jsonErrorPosition, splitLines } from './jsonl';
import { canonicalSet } from './labelSets';
import { assertWritableInside, PathOutsideWorkspaceError } from './paths';
import { ANSWERS, LABEL_SOURCES, type Answer, type LabelRecord, type LabelSource, type LabelTarget, type LineProblem } from './types';


function targetKey(target: LabelTarget | undefined): string {
  if (!target) return '';
  return target.kind === 'span' ? `span:${target.start}:${target.end}` : `turn:${target.index}`;
}

/** Two records with the same key are the same decision; the later one replaces the earlier. */
export function labelKey(record: Pick<LabelRecord, 'id' | 'annotator' | 'target'>): string {
  return `${record.id}\u0000${targetKey(record.target)}\u0000${record.annotator}`;
}

/**
 * Serializes a record with a fixed key order, so equal records are equal bytes. A set (`labels`) takes
 * the place of `label` and is written sorted and unique, so the same choice is always the same line.
 */
export function serializeLabel(record: LabelRecord): string {
  const ordered: Record<string, unknown> = { id: record.id };
  if (record.target) {
    ordered['target'] = record.target.kind === 'span'
      ? { kind: 'span', start: record.target.start, end: record.target.end }
      : { kind: 'turn', index: record.target.index };
  }
  if (record.labels) ordered['labels'] = canonicalSet(record.labels);
  else ordered['label'] = record.label;
  ordered['answer'] = record.answer;
  ordered['source'] = record.source;
  if (record.score !== undefined) ordered['score'] = record.score;
  ordered['annotator'] = record.annotator;
  ordered['time'] = record.time;
  return JSON.stringify(ordered);
}

function compareRecords(a: LabelRecord, b: LabelRecord): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const ta = targetKey(a.target);
  const tb = targetKey(b.target);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.annotator !== b.annotator) return a.annotator < b.annotator ? -1 : 1;
  return 0;
}

/** The canonical text of a set of records: sorted by id, target and annotator; LF; final newline. */
export function canonicalLabelText(records: Iterable<LabelRecord>): string {
  const sorted = [...records].sort(compareRecords);
  return sorted.length === 0 ? '' : `${sorted.map(serializeLabel).join('\n')}\n`;
}

function validTarget(value: unknown): LabelTarget | undefined | false {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') return false;
  const t = value as Record<string, unknown>;
  if (t['kind'] === 'span' && Number.isInteger(t['start']) && Number.isInteger(t['end'])) {
    return { kind: 'span', start: t['start'] as number, end: t['end'] as number };
  }
  if (t['kind'] === 'turn' && Number.isInteger(t['index'])) return { kind: 'turn', index: t['index'] as number };
  return false;
}

/** Validates one parsed line of a label file; returns the record or what is wrong with it. */
export function toLabelRecord(value: unknown): LabelRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'Expected a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || v['id'] === '') return '"id" must be a non-empty string';
  const single = v['label'];
  const set = v['labels'];
  if (single !== undefined && set !== undefined) return 'has both "label" and "labels": keep "label" (one label) or "labels" (the set of a multi-label task)';
  if (set !== undefined) {
    if (!Array.isArray(set) || !set.every((l): l is string => typeof l === 'string')) return '"labels" must be a list of strings, like ["billing", "bug"] ([] for none)';
  } else if (single === undefined) {
    return 'needs "label" (a string) or "labels" (a list of strings)';
  } else if (typeof single !== 'string') {
    return '"label" must be a string';
  }
  if (!ANSWERS.includes(v['answer'] as Answer)) return `"answer" must be one of ${ANSWERS.join(', ')}`;
  if (typeof v['annotator'] !== 'string') return '"annotator" must be a string';
  if (typeof v['time'] !== 'string') return '"time" must be an ISO 8601 string';
  const source = v['source'] ?? 'manual';
  if (!LABEL_SOURCES.includes(source as LabelSource)) return `"source" must be one of ${LABEL_SOURCES.join(', ')}`;
  const target = validTarget(v['target']);
  if (target === false) return '"target" must be {"kind": "span", "start", "end"} or {"kind": "turn", "index"}';
  const record: LabelRecord = {
    id: v['id'],
    ...(Array.isArray(set) ? { labels: canonicalSet(set as string[]) } : { label: single as string }),
    answer: v['answer'] as Answer,
    annotator: v['annotator'],
    time: v['time'],
    source: source as LabelSource,
  };
  if (typeof v['score'] === 'number' && Number.isFinite(v['score'])) record.score = v['score'];
  if (target) record.target = target;
  return record;
}

function timeOf(record: LabelRecord): number {
  const t = Date.parse(record.time);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Which of two decisions with the same key counts: the one taken last (its `time`), whatever their
 * order in the file, because after a git union merge the file order says only which branch was merged
 * into which. At the same millisecond (or two unparseable times) the later line wins, as an append does.
 */
export function supersedes(later: LabelRecord, earlier: LabelRecord): boolean {
  return timeOf(later) >= timeOf(earlier);
}

export interface ParsedLabels {
  /** The decision that counts per key (see `supersedes`), in file order of its line. */
  records: Map<string, LabelRecord>;
  problems: LineProblem[];
  /** True when the text is exactly the canonical text of its records. */
  canonical: boolean;
}

/** A line of a label file: its record, or what is wrong with it (`kind` says which check failed). */
export type LabelLine =
  | { line: number; record: LabelRecord }
  | { line: number; problem: LineProblem; kind: 'conflict-marker' | 'invalid-json' | 'invalid-record' };

/** The non-blank lines of a label file, parsed one by one (parseLabels, and `loopmark check`). */
export function* labelLines(text: string): Generator<LabelLine> {
  const lines = splitLines(text); // as LSP counts lines, so problems land on the right line; a BOM is dropped
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line)) continue;
    if (/^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)/.test(line)) {
      yield { line: i, kind: 'conflict-marker', problem: { line: i, message: 'Unresolved git merge conflict marker: resolve the conflict, keeping one line per sample and annotator' } };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const start = jsonErrorPosition(error);
      yield { line: i, kind: 'invalid-json', problem: { line: i, ...(start === undefined ? {} : { start }), message: `Not valid JSON: ${(error as Error).message}` } };
      continue;
    }
    const record = toLabelRecord(value);
    if (typeof record === 'string') yield { line: i, kind: 'invalid-record', problem: { line: i, message: `Not a label record: ${record}` } };
    else yield { line: i, record };
  }
}

/** Parses a label file. Bad lines become problems with their line number; good lines still load. */
export function parseLabels(text: string): ParsedLabels {
  const records = new Map<string, LabelRecord>();
  const problems: LineProblem[] = [];
  for (const item of labelLines(text)) {
    if ('problem' in item) {
      problems.push(item.problem);
      continue;
    }
    const { record } = item;
    const key = labelKey(record);
    const previous = records.get(key);
    if (previous && !supersedes(record, previous)) continue;
    records.delete(key); // keep file order of the latest occurrence
    records.set(key, record);
  }
  const canonical = problems.length === 0 && text === canonicalLabelText(records.values());
  return { records, problems, canonical };
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The same error with `prefix` before its message, so the user reads what was lost first. */
function prefixed(error: unknown, prefix: string): unknown {
  if (error instanceof WriteFailedError) return new WriteFailedError(error.file, error.code, `${prefix}${error.message}`);
  if (error instanceof PathOutsideWorkspaceError) return new PathOutsideWorkspaceError(`${prefix}${error.message}`);
  if (error instanceof LockTimeoutError) return new LockTimeoutError(`${prefix}${error.message}`);
  return error;
}

/**
 * A label file on disk. Every write holds the file's lock. `append` is durable when it returns;
 * `compact` rewrites the file canonically but never when any line fails to parse. With the workspace
 * `root`, every write (the file, its lock, its temp files) is checked at write time to be really inside
 * it (see paths.ts: a symbolic link that appeared after the dataset was bound is refused).
 */
export class LabelFile {
  constructor(readonly path: string, readonly root?: string) {}

  read(): ParsedLabels {
    return parseLabels(readIfExists(this.path));
  }

  /**
   * Appends records durably, all or none. A record that would not read back as itself (a wrong answer, a
   * label that is not a string: bad input from a client) is refused with an error, so a write never breaks
   * the file. A write that fails (a full disk, a symbolic link) throws an error that starts with "not saved"
   * and names the file; the file is left as it was.
   */
  append(records: readonly LabelRecord[]): void {
    if (records.length === 0) return;
    const lines = records.map((record) => {
      const line = serializeLabel(record);
      const back = toLabelRecord(JSON.parse(line));
      if (typeof back === 'string') throw new Error(`Refusing to write an invalid label record (${back}): ${line}`);
      return line;
    });
    const text = `${lines.join('\n')}\n`;
    const options = this.root === undefined ? {} : { root: this.root };
    try {
      // Before the lock too: creating the lock (and its folder) is already a write.
      if (this.root !== undefined) assertWritableInside(this.root, this.path);
      withFileLock(this.path, () => appendDurable(this.path, text, options), undefined, options);
    } catch (error) {
      throw prefixed(error, `${records.length === 1 ? 'The label was' : `${records.length} labels were`} not saved: `);
    }
  }

  /**
   * Rewrites the file in canonical order. Returns false (and writes nothing) when a line is unparseable.
   * The new text must read back as the same records before it replaces the file; a rewrite that fails
   * (a full disk) throws and leaves the file as it was.
   */
  compact(): { written: boolean; parsed: ParsedLabels } {
    const options = this.root === undefined ? {} : { root: this.root };
    if (this.root !== undefined) assertWritableInside(this.root, this.path);
    return withFileLock(this.path, () => {
      removeOrphans(this.path); // temp files of a compaction that was killed before its rename
      const parsed = parseLabels(readIfExists(this.path));
      if (parsed.problems.length > 0 || parsed.canonical) return { written: false, parsed };
      writeFileAtomic(this.path, canonicalLabelText(parsed.records.values()), { ...options, verify: (written) => this.verifySame(written, parsed) });
      return { written: true, parsed };
    }, undefined, options);
  }

  /** Throws unless `written` parses to exactly the records of `parsed` (the same keys, the same bytes each). */
  private verifySame(written: string, parsed: ParsedLabels): void {
    const back = parseLabels(written);
    let same = back.problems.length === 0 && back.records.size === parsed.records.size;
    if (same) {
      for (const [key, record] of parsed.records) {
        const other = back.records.get(key);
        if (!other || serializeLabel(other) !== serializeLabel(record)) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      throw new Error(`the canonical text of ${this.path} does not read back as its ${parsed.records.size} records (${back.records.size} read, ${back.problems.length} bad lines); the file was left as it was`);
    }
  }
}

/** In-memory view of labels by sample id, for the analysis. */
export class LabelIndex {
  private bySample = new Map<string, LabelRecord[]>();
  size = 0;

  constructor(records: Iterable<LabelRecord> = []) {
    for (const record of records) this.put(record);
  }

  put(record: LabelRecord): void {
    const list = this.bySample.get(record.id);
    const key = labelKey(record);
    if (!list) {
      this.bySample.set(record.id, [record]);
      this.size++;
      return;
    }
    const at = list.findIndex((r) => labelKey(r) === key);
    if (at >= 0) list[at] = record;
    else {
      list.push(record);
      this.size++;
    }
  }

  /** Every annotator's decisions on a sample. */
  of(id: string): readonly LabelRecord[] {
    return this.bySample.get(id) ?? [];
  }

  /** The decision that counts for review: the given annotator's own, else the latest by anyone. */
  current(id: string, annotator?: string): LabelRecord | undefined {
    const list = this.bySample.get(id);
    if (!list || list.length === 0) return undefined;
    const own = annotator ? list.find((r) => r.annotator === annotator && !r.target) : undefined;
    if (own) return own;
    let latest: LabelRecord | undefined;
    for (const r of list) if (!r.target && (!latest || r.time > latest.time)) latest = r;
    return latest;
  }

  all(): IterableIterator<LabelRecord[]> {
    return this.bySample.values();
  }
}
