// The language service of one workspace folder: its config, datasets, label files and predictions.
// Pure of LSP and `vscode`: the server wires documents into it, the CLI drives it from disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { glob, globSync, type GlobOptions } from 'tinyglobby';
import { resolveAnnotator } from '../annotator';
import { CONFIG_FILE, expandTemplate, inferredTask, isSidecar, parseConfig, taskFor, type Config } from '../config';
import { Dataset, type DatasetFields, type DatasetView, type LineEdit, type Sample } from '../dataset';
import { DiskDataset } from '../diskDataset';
import { InvalidDecisionError, type Decision, type Finding, type ModelState, type RecordInfo, type RecordUnit, type SamplePredictions } from '../kinds/kind';
import { kindOf } from '../kinds/registry';
import { CancelledError, drive, runToEnd } from '../slicer';
import { canonicalLabelText, LabelFile, LabelIndex } from '../labels';
import { predictedLabels } from '../labelSets';
import { isInside, PathOutsideWorkspaceError, resolveInside, toRelative } from '../paths';
import { parsePredictionFile, type PredictionFile } from '../predictions';
import type { LabelDef, LabelRecord, LineProblem, Prediction, Task } from '../types';
import type { DatasetEntry, FolderView, Predictor } from './folder';

export type { DatasetEntry, Predictor } from './folder';

interface LabelStore {
  file: LabelFile;
  index: LabelIndex;
  problems: LineProblem[];
  /** Size and mtime of the file after our last read or write, to skip re-reading our own writes. */
  seen: { size: number; mtimeMs: number } | undefined;
  version: number;
  /** Why the file cannot be read at all (a directory in its place, no permission): nothing is written to it. */
  unreadable?: string;
}

interface PredictionStore {
  file: PredictionFile;
  seen: { size: number; mtimeMs: number } | undefined;
}

export { CancelledError, InvalidDecisionError };

/** A label file that cannot take a write (a directory in its place): nothing was written. */
export class LabelFileError extends Error {}

/** Files at least this large that no editor holds are indexed from disk, never read whole. */
export const LARGE_FILE_BYTES = 16 << 20;
/** Datasets with more lines than this get diagnostics only around the focus (visible ranges). */
export const FOCUS_THRESHOLD_LINES = 2000;
/** Lines around each visible range that also get diagnostics, so scrolling finds them ready. */
export const FOCUS_MARGIN_LINES = 100;

export interface ProjectOptions {
  root: string;
  /**
   * How large files that no editor holds are indexed: at once (`sync`, the CLI), or by the caller
   * in the background (`background`, the server: `entry()` answers undefined until `indexSteps` ran).
   */
  largeFiles?: 'sync' | 'background';
  /** How a large file is indexed in the background (default: in steps on this thread). */
  largeFileSteps?: (file: string, fields: DatasetFields) => Generator<unknown, DiskDataset>;
  /** How dataset files are found without holding the thread (the server: on a worker thread). */
  globFiles?: (patterns: string[], options: GlobOptions) => Promise<string[]>;
  /** Explicit annotator (setting or flag); otherwise git's user.email. */
  annotator?: string;
  now?: () => Date;
}

export interface DatasetStatus {
  task: string;
  /** The embedded model's state for the task (filled in by the server). */
  model?: ModelState;
  total: number;
  labeled: number;
  needsReview: number;
  errors: number;
  /** Samples skipped (answer `ignore`): neither labeled nor waiting for review; absent when none. */
  skipped?: number;
  /** Labels whose sample is gone from the dataset (kept, reported); absent when there are none. */
  orphaned?: number;
}

export interface FindingsResult {
  findings: Finding[];
  /** Samples with a finding that were left out to stay within the limit. */
  omitted: number;
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function statOf(file: string): { size: number; mtimeMs: number } | undefined {
  try {
    const s = fs.statSync(file);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameStat(a: { size: number; mtimeMs: number } | undefined, b: { size: number; mtimeMs: number } | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs);
}

export class Project implements FolderView {
  readonly root: string;
  config: Config;
  annotator: string;
  predictor: Predictor | undefined;
  private readonly now: () => Date;
  private readonly annotatorOverride: string | undefined;
  private readonly largeFiles: 'sync' | 'background';
  private readonly globFiles: (patterns: string[], options: GlobOptions) => Promise<string[]>;
  /** Large files being indexed in the background, by path. */
  private indexing = new Map<string, Promise<void>>();
  private readonly largeFileSteps: (file: string, fields: DatasetFields) => Generator<unknown, DiskDataset>;
  private datasets = new Map<string, DatasetEntry>();
  private labelStores = new Map<string, LabelStore>();
  private predictionStores = new Map<string, PredictionStore>();
  private configText: string | undefined;
  private labelsDirty = false;
  /** Open documents whose task went away with a config edit, kept until it comes back or they close. */
  private orphans = new Map<string, DatasetView>();
  /** Size and mtime of each dataset file when it was read from disk. */
  private diskStats = new Map<string, { size: number; mtimeMs: number }>();
  /** The dataset files found by the last glob; undefined when they must be looked for again. */
  private fileList: string[] | undefined;
  /** Datasets whose label or predictions file would leave the workspace, with the reason. */
  private pathProblems = new Map<string, string>();

  constructor(options: ProjectOptions) {
    this.root = path.resolve(options.root);
    this.now = options.now ?? (() => new Date());
    this.annotatorOverride = options.annotator;
    this.largeFiles = options.largeFiles ?? 'sync';
    this.globFiles = options.globFiles ?? glob;
    this.largeFileSteps = options.largeFileSteps ?? ((file, fields) => DiskDataset.indexSteps(file, fields));
    this.config = this.readConfig();
    this.annotator = resolveAnnotator(this.root, this.annotatorOverride ?? this.config.annotator);
  }

  // ---- configuration ----

  get configPath(): string {
    return path.join(this.root, CONFIG_FILE);
  }

  private readConfig(text?: string): Config {
    if (text === undefined) {
      try {
        text = fs.readFileSync(this.configPath, 'utf8');
      } catch {
        this.configText = undefined;
        return { tasks: [inferredTask()], problems: [], declared: false };
      }
    }
    this.configText = text;
    return parseConfig(text);
  }

  /** Re-reads loopmark.json (from `text` when an editor holds it). Returns true when tasks changed. */
  reloadConfig(text?: string): boolean {
    // From disk when no editor holds it; the same text (a watcher's echo, git touching it) changes nothing.
    const next = text ?? readIfPresent(this.configPath);
    if (next === this.configText) return false;
    text = next;
    this.config = this.readConfig(text);
    this.fileList = undefined;
    this.annotator = resolveAnnotator(this.root, this.annotatorOverride ?? this.config.annotator);
    // Files no editor holds are read again when needed: their task and fields may have changed. An
    // editor's text is kept, even through a config that is broken for a moment (typing through `{`).
    for (const entry of this.datasets.values()) if (entry.open) this.orphans.set(entry.path, entry.dataset);
    this.datasets.clear();
    this.indexing.clear();
    for (const [file, dataset] of [...this.orphans]) if (this.taskOf(file)) this.createEntry(file, dataset, true);
    return true;
  }

  private bindTask(entry: DatasetEntry, task: Task): void {
    entry.task = task;
    entry.dataset.setFields({ textField: task.textField, idField: task.idField });
    entry.labelPath = this.resolveSidecar(task.labelFile, entry.relativePath);
    entry.predictionsPath = this.resolveSidecar(task.predictionsFile, entry.relativePath);
  }

  private resolveSidecar(template: string, relativePath: string): string {
    return resolveInside(this.root, expandTemplate(template, relativePath));
  }

  /** The task of a file, or undefined when it is not a dataset of this workspace. */
  taskOf(file: string): Task | undefined {
    if (!isInside(this.root, file)) return undefined;
    return taskFor(this.config.tasks, toRelative(this.root, file));
  }

  // ---- datasets ----

  /** Every dataset file on disk that a task matches. */
  datasetFiles(): string[] {
    // Globbing costs 5-10 ms in a small workspace and far more with thousands of files: once per change.
    if (this.fileList) return this.fileList;
    this.fileList = this.globDatasets();
    return this.fileList;
  }

  private globOptions(): { patterns: string[]; options: GlobOptions } {
    return {
      patterns: this.config.tasks.flatMap((t) => t.files),
      options: {
        cwd: this.root,
        absolute: true,
        ignore: ['**/node_modules/**', '**/.git/**', '**/.vscode-test/**', '**/*.labels.jsonl', '**/*.predictions.jsonl'],
        followSymbolicLinks: false,
      },
    };
  }

  private globDatasets(): string[] {
    const { patterns, options } = this.globOptions();
    if (patterns.length === 0) return [];
    return globSync(patterns, options).map((f) => path.resolve(f)).filter((f) => this.taskOf(f) !== undefined).sort();
  }

  /**
   * Finds the dataset files without holding the event loop (an asynchronous glob, then the task
   * matching in steps): with 5,000 files the synchronous glob held one turn for about 300 ms.
   */
  async findDatasetFiles(): Promise<string[]> {
    if (this.fileList) return this.fileList;
    const { patterns, options } = this.globOptions();
    const found = patterns.length === 0 ? [] : await this.globFiles(patterns, options);
    const config = this.config;
    const project = this;
    const files = await drive((function* (): Generator<void, string[]> {
      const kept: string[] = [];
      for (let i = 0; i < found.length; i++) {
        const file = path.resolve(found[i]!);
        if (project.taskOf(file) !== undefined) kept.push(file);
        if ((i + 1) % 200 === 0) yield;
      }
      return kept.sort();
    })());
    // A config reload while globbing made this list stale: the next call looks again.
    if (this.config === config) this.fileList ??= files;
    return files;
  }

  /** An entry bound to its task (label and predictions paths); throws PathOutsideWorkspaceError. Not stored. */
  private newEntry(file: string, task: Task, dataset: DatasetView | string | string[], open: boolean): DatasetEntry {
    const fields = { textField: task.textField, idField: task.idField };
    const view = typeof dataset === 'string' ? new Dataset(dataset, fields) : Array.isArray(dataset) ? Dataset.fromLines(dataset, fields) : dataset;
    const entry: DatasetEntry = { path: file, relativePath: toRelative(this.root, file), task, dataset: view, open, labelPath: '', predictionsPath: '' };
    this.bindTask(entry, task);
    return entry;
  }

  private createEntry(file: string, dataset: DatasetView | string | string[], open: boolean): DatasetEntry | undefined {
    const task = this.taskOf(file);
    if (!task) return undefined;
    const fields = { textField: task.textField, idField: task.idField };
    const view = typeof dataset === 'string' ? new Dataset(dataset, fields) : Array.isArray(dataset) ? Dataset.fromLines(dataset, fields) : dataset;
    if (task.inferred && !looksLikeDataset(view)) return undefined;
    let entry: DatasetEntry;
    try {
      entry = this.newEntry(file, task, view, open);
    } catch (error) {
      if (!(error instanceof PathOutsideWorkspaceError)) throw error;
      this.pathProblems.set(file, `Loopmark will not read or write the labels of this dataset: ${error.message}. Fix "labelFile" or "predictionsFile" of task '${task.name}' in loopmark.json.`);
      if (open) this.orphans.set(file, view);
      return undefined;
    }
    this.pathProblems.delete(file);
    this.orphans.delete(file);
    this.datasets.set(file, entry);
    return entry;
  }

  /**
   * An editor opened the file: its text (or its lines, read from disk by reference) is the truth now.
   * Returns its dataset entry, or undefined when it is not a dataset.
   */
  open(file: string, text: string | string[]): DatasetEntry | undefined {
    if (this.fileList && !this.fileList.includes(file) && this.taskOf(file)) this.fileList = undefined;
    const existing = this.datasets.get(file);
    if (existing && existing.dataset instanceof Dataset) {
      existing.open = true;
      existing.dataset.replaceAll(text);
      return existing;
    }
    this.datasets.delete(file);
    this.indexing.delete(file);
    this.orphans.delete(file);
    return this.createEntry(file, text, true);
  }

  /**
   * An entry over the first lines of a document that is still being read (opened by reference), for
   * the diagnostics in view before the rest arrives. Nothing is stored.
   */
  previewEntry(file: string, lines: string[]): DatasetEntry | undefined {
    const task = this.taskOf(file);
    if (!task) return undefined;
    try {
      return this.newEntry(file, task, lines, true);
    } catch {
      return undefined;
    }
  }

  change(file: string, edits: readonly LineEdit[]): void {
    const dataset = this.datasets.get(file)?.dataset ?? this.orphans.get(file);
    if (dataset instanceof Dataset) for (const edit of edits) dataset.applyEdit(edit);
  }

  replace(file: string, text: string): void {
    const dataset = this.datasets.get(file)?.dataset ?? this.orphans.get(file);
    if (dataset instanceof Dataset) dataset.replaceAll(text);
  }

  /** The editor closed the file: from now on the disk is the truth. */
  close(file: string): void {
    this.datasets.delete(file);
    this.orphans.delete(file);
  }

  /**
   * The dataset entry of a file: the open document's, else read from disk. A large file is indexed
   * from disk; in `background` mode it is undefined until `indexStep` has finished its index.
   */
  entry(file: string): DatasetEntry | undefined {
    const existing = this.datasets.get(file);
    if (existing) return existing;
    if (!this.taskOf(file)) return undefined;
    const stat = statOf(file);
    if (!stat) return undefined;
    // The file as read: a watcher's event for it changes nothing while it is the same (a re-index of 1M samples costs seconds).
    this.diskStats.set(file, stat);
    const { size } = stat;
    if (size >= LARGE_FILE_BYTES) {
      const task = this.taskOf(file)!;
      const fields = { textField: task.textField, idField: task.idField };
      if (this.largeFiles === 'sync') return this.createEntry(file, DiskDataset.indexSync(file, fields), false);
      if (!this.indexing.has(file)) {
        const job = drive(this.largeFileSteps(file, fields))
          .then((dataset) => {
            if (this.indexing.get(file) === job && this.taskOf(file)) this.createEntry(file, dataset, false);
          })
          .finally(() => {
            if (this.indexing.get(file) === job) this.indexing.delete(file);
          });
        this.indexing.set(file, job);
      }
      return undefined;
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    return this.createEntry(file, text, false);
  }

  /**
   * The dataset entry of a file once it is ready: a large file that no editor holds is indexed in
   * the background first (the returned promise waits for it).
   */
  async ready(file: string): Promise<DatasetEntry | undefined> {
    const entry = this.entry(file);
    if (entry) return entry;
    const job = this.indexing.get(file);
    if (!job) return undefined;
    await job;
    return this.datasets.get(file);
  }

  /** A dataset changed on disk (watcher): drop the cached copy unless an editor holds it. */
  invalidate(file: string): void {
    // A folder (replaced, deleted, or checked out anew) stands for everything under it.
    const under = (p: string): boolean => p === file || p.startsWith(file + path.sep);
    const changed = (p: string): boolean => p !== file || !sameStat(this.diskStats.get(p), statOf(p));
    for (const [p, entry] of [...this.datasets]) if (under(p) && !entry.open && changed(p)) this.datasets.delete(p);
    for (const p of [...this.indexing.keys()]) if (under(p) && changed(p)) this.indexing.delete(p);
    for (const [p, store] of [...this.labelStores]) {
      if (under(p) && (p !== file || !sameStat(store.seen, statOf(p)))) {
        this.labelStores.delete(p);
        this.labelsDirty = true;
      }
    }
    for (const [p, predictions] of [...this.predictionStores]) if (under(p) && (p !== file || !sameStat(predictions.seen, statOf(p)))) this.predictionStores.delete(p);
    // A dataset may have appeared or gone: the next datasetFiles() looks again.
    if (this.taskOf(file) || !path.extname(file)) this.fileList = undefined;
  }

  /**
   * True when a change of this path (a file or a folder) matters here: loopmark.json, a dataset, a
   * label or predictions file, or a folder holding one of them.
   */
  concerns(file: string): boolean {
    if (file === this.configPath || isSidecar(toRelative(this.root, file)) || this.taskOf(file)) return true;
    const inside = (p: string): boolean => p === file || p.startsWith(file + path.sep);
    for (const p of this.labelStores.keys()) if (inside(p)) return true;
    for (const p of this.predictionStores.keys()) if (inside(p)) return true;
    for (const p of this.datasets.keys()) if (inside(p)) return true;
    return false;
  }

  /** Every file this folder holds a copy of: what a watcher that just started checks once. */
  knownFiles(): string[] {
    return [this.configPath, ...this.labelStores.keys(), ...this.predictionStores.keys(), ...this.datasets.keys()];
  }

  /** True once after a label file was changed on disk by someone else (another window, the CLI, git). */
  labelsChangedOnDisk(): boolean {
    const dirty = this.labelsDirty;
    this.labelsDirty = false;
    return dirty;
  }

  // ---- labels and predictions ----

  labelStore(labelPath: string): LabelStore {
    let store = this.labelStores.get(labelPath);
    if (!store) {
      // reliability (issue 10): the root lets every write check, at write time, that it stays inside the workspace.
      const file = new LabelFile(labelPath, this.root);
      const seen = statOf(labelPath);
      try {
        const parsed = file.read();
        store = { file, index: new LabelIndex(parsed.records.values()), problems: parsed.problems, seen, version: 0 };
      } catch (error) {
        // One clear problem, and the rest of the workspace keeps working (every request failed with EISDIR).
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'EISDIR' ? 'it is a directory, not a label file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
        const unreadable = `The label file ${toRelative(this.root, labelPath)} cannot be read (${why}): its labels are not shown and no label is written there until it is fixed`;
        store = { file, index: new LabelIndex(), problems: [{ line: 0, message: unreadable }], seen, version: 0, unreadable };
      }
      this.labelStores.set(labelPath, store);
    }
    return store;
  }

  private predictionFile(predictionsPath: string): PredictionFile {
    let store = this.predictionStores.get(predictionsPath);
    if (!store) {
      const seen = statOf(predictionsPath);
      let text = '';
      try {
        text = fs.readFileSync(predictionsPath, 'utf8');
      } catch {
        // no sidecar: predictions come from the records or the model
      }
      store = { file: parsePredictionFile(text), seen };
      this.predictionStores.set(predictionsPath, store);
    }
    return store.file;
  }

  /** The file's prediction (record first, then sidecar) and the predictor's, and which one is shown. */
  predictions(entry: DatasetEntry, sample: Sample): SamplePredictions {
    const { multiLabel } = entry.task;
    const file = fitToTask(sample.prediction ?? this.predictionFile(entry.predictionsPath).byId.get(sample.id), multiLabel);
    const model = fitToTask(entry.task.model.enabled ? this.predictor?.predict(entry.task, sample) : undefined, multiLabel);
    // A model in cold start is shown in the hover, never as a diagnostic: it has not seen enough labels.
    const usable = model && !model.coldStart ? model : undefined;
    const shown = entry.task.prefer === 'model' ? (usable ?? file) : (file ?? usable);
    return { ...(file ? { file } : {}), ...(model ? { model } : {}), ...(shown ? { shown } : {}) };
  }

  /** The label set: declared, or for an inferred task every label seen in predictions and labels. */
  labelSet(entry: DatasetEntry): LabelDef[] {
    if (!entry.task.inferred) return entry.task.labels;
    const kind = kindOf(entry.task);
    if (!kind.labelsSeen) return entry.task.labels;
    const records = [...this.labelStore(entry.labelPath).index.all()].flat();
    const predictions: Prediction[] = [...this.predictionFile(entry.predictionsPath).byId.values()];
    const { dataset } = entry;
    // Predictions inside records: read for datasets in memory; a disk index does not keep them.
    if (dataset instanceof Dataset) {
      for (let line = 0; line < dataset.lineCount; line++) {
        const p = dataset.sampleAt(line)?.prediction;
        if (p) predictions.push(p);
      }
    }
    return kind.labelsSeen(records, predictions);
  }

  /** The task with its effective label set (inferred tasks learn theirs from the data). */
  effectiveTask(entry: DatasetEntry): Task {
    return entry.task.inferred ? { ...entry.task, labels: this.labelSet(entry) } : entry.task;
  }

  /**
   * Checks decisions by the rules of their task's kind and builds the records to write (who, when,
   * what, where from); throws InvalidDecisionError with the reason. Nothing is written.
   */
  recordsFor(file: string, decisions: readonly Decision[]): { entry: DatasetEntry; records: LabelRecord[] } {
    const entry = this.entry(file);
    if (!entry) throw new InvalidDecisionError(`${file} is not a dataset of this workspace`);
    const task = this.effectiveTask(entry);
    const kind = kindOf(task);
    const time = this.now().toISOString();
    const records = decisions.map((decision): LabelRecord => {
      const line = entry.dataset.firstLineOf(decision.sampleId);
      const unit = line === undefined ? undefined : this.unitAt(entry, line);
      if (!unit) throw new InvalidDecisionError(`No sample with id '${decision.sampleId}' in ${entry.relativePath}; it may have been edited or deleted`);
      const { source, ...decided } = kind.decide(task, decision, unit);
      return {
        id: decision.sampleId,
        ...decided,
        answer: decision.answer,
        annotator: this.annotator,
        time,
        source,
        ...(decision.score === undefined ? {} : { score: decision.score }),
        ...(decision.target ? { target: decision.target } : {}),
      };
    });
    return { entry, records };
  }

  /** Appends records to a dataset's label file in one durable write (all or none). */
  writeRecords(entry: DatasetEntry, records: readonly LabelRecord[]): void {
    const store = this.labelStore(entry.labelPath);
    if (store.unreadable) throw new LabelFileError(store.unreadable);
    store.file.append(records);
    for (const record of records) store.index.put(record);
    store.seen = statOf(entry.labelPath);
    store.version++;
  }

  /** Checks and writes several decisions in one durable append (all or none); returns the records written. */
  applyLabels(file: string, decisions: readonly Decision[]): LabelRecord[] {
    const { entry, records } = this.recordsFor(file, decisions);
    this.writeRecords(entry, records);
    return records;
  }

  /** Accept decisions for the unlabeled samples of a dataset whose shown prediction scores at least `minScore`. */
  acceptableAbove(file: string, minScore: number): Decision[] {
    return runToEnd(this.acceptableAboveSteps(file, minScore));
  }

  *acceptableAboveSteps(file: string, minScore: number): Generator<void, Decision[]> {
    const entry = this.entry(file);
    if (!entry) return [];
    const index = this.labelStore(entry.labelPath).index;
    const known = new Set(this.effectiveTask(entry).labels.map((l) => l.name));
    const { multiLabel } = entry.task;
    const decisions: Decision[] = [];
    const seen = new Set<string>();
    for (let line = 0; line < entry.dataset.lineCount; line++) {
      if ((line + 1) % 200 === 0) yield;
      const id = entry.dataset.idAt(line);
      if (id === undefined || seen.has(id) || index.current(id, this.annotator)) continue;
      seen.add(id);
      const sample = entry.dataset.sampleAt(line)!;
      const { shown } = this.predictions(entry, sample);
      if (!shown || shown.score < minScore) continue;
      if (multiLabel) {
        // The whole predicted set, when every label of it is known; its score is the least sure label's.
        const set = predictedLabels(shown);
        if (!set.every((l) => known.has(l))) continue;
        decisions.push({ sampleId: sample.id, labels: set, answer: 'accept', source: 'prediction', score: shown.score });
        continue;
      }
      if (!known.has(shown.label)) continue;
      decisions.push({ sampleId: sample.id, label: shown.label, answer: 'accept', source: 'prediction', score: shown.score });
    }
    return decisions;
  }

  /** Rewrites a label file canonically (sorted, LF); never when a line fails to parse. */
  compactLabels(labelPath: string): boolean {
    const store = this.labelStore(labelPath);
    if (store.unreadable) return false;
    // The file as compact() read it: a stat taken after the read could vouch for a write that came
    // in between (git, an editor), which would then never be read (seen in a flaky test).
    const before = statOf(labelPath);
    const { written, parsed } = store.file.compact();
    store.index = new LabelIndex(parsed.records.values());
    store.problems = parsed.problems;
    // After our rewrite, the file is ours only if it has the size we wrote: a write that landed
    // between our rename and this stat (the test that caught it appends the moment the order is
    // canonical) must be read, not vouched for.
    const after = written ? statOf(labelPath) : before;
    store.seen = written && after?.size !== Buffer.byteLength(canonicalLabelText(parsed.records.values())) ? undefined : after;
    store.version++;
    return written;
  }

  // ---- findings ----

  /** The lines that get diagnostics: all of a small dataset; around the focus ranges of a large one. */
  focusLines(dataset: DatasetView, focus: ReadonlyArray<readonly [number, number]> | undefined, always = false): Array<[number, number]> {
    const last = dataset.lineCount - 1;
    if (!always && dataset.lineCount <= FOCUS_THRESHOLD_LINES) return [[0, last]];
    const ranges = (focus && focus.length > 0 ? focus : [[0, 100] as const])
      .map(([a, b]): [number, number] => [Math.max(0, a - FOCUS_MARGIN_LINES), Math.min(last, b + FOCUS_MARGIN_LINES)])
      .sort((x, y) => x[0] - y[0]);
    const merged: Array<[number, number]> = [];
    for (const r of ranges) {
      const previous = merged[merged.length - 1];
      if (previous && r[0] <= previous[1] + 1) previous[1] = Math.max(previous[1], r[1]);
      else merged.push(r);
    }
    return merged;
  }

  /**
   * Findings for a dataset: every line of a small one; for a large one, the lines around the focus
   * ranges (what the editor shows) and `extraLines` (e.g. the head of the review queue), at most `max`.
   */
  findings(
    file: string,
    options: {
      max?: number;
      focus?: ReadonlyArray<readonly [number, number]>;
      extraLines?: readonly number[];
      isCancelled?: () => boolean;
      /** Another entry than the file's (a preview of a document still being read). */
      entry?: DatasetEntry;
      /** Only the focus ranges, even for a small dataset (a preview: the rest is not known yet). */
      onlyFocus?: boolean;
    } = {},
  ): FindingsResult {
    const entry = options.entry ?? this.entry(file);
    if (!entry) return { findings: this.fileProblems(file), omitted: 0 };
    const max = options.max ?? 1000;
    const task = this.effectiveTask(entry);
    const kind = kindOf(task);
    const store = this.labelStore(entry.labelPath);
    const labels = store.index;
    const { dataset } = entry;
    const all: Finding[] = [];
    if (store.unreadable) all.push({ code: 'label-file', severity: 'error', line: 0, start: 0, end: dataset.lineCount > 0 ? dataset.lineText(0).length : 0, message: store.unreadable });
    const visit = (line: number): void => {
      const parsed = dataset.parsedLine(line);
      if (parsed.kind === 'blank') return;
      if (parsed.kind === 'error') {
        const { code, message } = parsed.error;
        const lineLength = dataset.lineText(line).length;
        all.push({ code, severity: 'error', line, start: parsed.error.start ?? 0, end: parsed.error.end ?? lineLength, message });
        return;
      }
      const { sample } = parsed;
      const range = (): { start: number; end: number } => dataset.textRange(line);
      if (parsed.warning) all.push({ code: parsed.warning.code, severity: 'warning', line, ...range(), message: parsed.warning.message });
      const same = dataset.duplicatesOf(sample.id);
      if (same && same[0] !== line) {
        all.push({
          code: 'duplicate-id', severity: 'warning', line, ...range(),
          message: `Duplicate sample id '${sample.id}' (first on line ${same[0]! + 1}): both lines share one label`,
        });
      }
      for (const finding of kind.assess(task, this.unitOf(entry, line, sample, labels))) all.push(finding);
    };
    // Duplicate ids need the whole id index: cheap for a small dataset; a large one builds it in the background.
    if (!options.onlyFocus && dataset instanceof Dataset && dataset.lineCount <= FOCUS_THRESHOLD_LINES) dataset.buildIds();
    const seen = new Set<number>();
    let visited = 0;
    for (const [from, to] of this.focusLines(dataset, options.focus, options.onlyFocus)) {
      for (let line = from; line <= to; line++) {
        if ((++visited & 511) === 0 && options.isCancelled?.()) throw new CancelledError();
        seen.add(line);
        visit(line);
      }
    }
    for (const line of options.extraLines ?? []) if (!seen.has(line) && line < dataset.lineCount) visit(line);
    all.sort((a, b) => a.line - b.line);
    if (all.length <= max) return { findings: all, omitted: 0 };
    return { findings: all.slice(0, max), omitted: all.length - max };
  }

  /** Problems of a file that is not a dataset: loopmark.json, a label file, a predictions file. */
  fileProblems(file: string): Finding[] {
    const toFinding = (code: 'config' | 'label-file', p: LineProblem): Finding => ({
      code, severity: 'error', line: p.line, start: p.start ?? 0, end: p.end ?? Number.MAX_SAFE_INTEGER, message: p.message,
    });
    const pathProblem = this.pathProblems.get(file);
    if (pathProblem) return [{ code: 'config', severity: 'error', line: 0, start: 0, end: Number.MAX_SAFE_INTEGER, message: pathProblem }];
    if (file === this.configPath) return this.config.problems.map((p) => toFinding('config', p));
    if (file.endsWith('.labels.jsonl') || this.isLabelFile(file)) return [...this.labelStore(file).problems.map((p) => toFinding('label-file', p)), ...this.orphanFindings(file)];
    if (file.endsWith('.predictions.jsonl')) return this.predictionFile(file).problems.map((p) => toFinding('label-file', p));
    return [];
  }

  private isLabelFile(file: string): boolean {
    for (const entry of this.datasets.values()) if (entry.labelPath === file) return true;
    return false;
  }

  // ---- what the editor shows ----

  /** A record with its labels and predictions: what its kind assesses and decides on. */
  private unitOf(entry: DatasetEntry, line: number, sample: Sample, labels: LabelIndex): RecordUnit {
    const { dataset } = entry;
    const current = labels.current(sample.id, this.annotator);
    return {
      line,
      sample,
      labels: labels.of(sample.id),
      ...(current ? { current } : {}),
      predictions: this.predictions(entry, sample),
      get lineText() {
        return dataset.lineText(line);
      },
      textRange: () => dataset.textRange(line),
      dataset,
    };
  }

  private unitAt(entry: DatasetEntry, line: number): RecordUnit | undefined {
    const sample = entry.dataset.sampleAt(line);
    return sample ? this.unitOf(entry, line, sample, this.labelStore(entry.labelPath).index) : undefined;
  }

  /** The record on a line with its task, labels and predictions (for hovers and pickers). */
  recordInfo(file: string, line: number): RecordInfo | undefined {
    const entry = this.entry(file);
    const unit = entry ? this.unitAt(entry, line) : undefined;
    return entry && unit ? { ...unit, task: this.effectiveTask(entry) } : undefined;
  }

  /** The hover of the record on a line, by its kind. */
  hover(file: string, line: number): string | undefined {
    const info = this.recordInfo(file, line);
    return info ? kindOf(info.task).hover(info) : undefined;
  }

  status(file: string): DatasetStatus | undefined {
    return runToEnd(this.statusSteps(file));
  }

  /** Counts of a dataset in steps (a million lines take longer than one slice). */
  *statusSteps(file: string): Generator<void, DatasetStatus | undefined> {
    const entry = this.entry(file);
    if (!entry) return undefined;
    const index = this.labelStore(entry.labelPath).index;
    const { dataset } = entry;
    let total = 0;
    let labeled = 0;
    let errors = 0;
    let needsReview = 0;
    let skipped = 0;
    for (let line = 0; line < dataset.lineCount; line++) {
      if ((line + 1) % 2_000 === 0) yield;
      const id = dataset.idAt(line);
      if (id === undefined) {
        if (dataset.lineKind(line) === 'error') errors++;
        continue;
      }
      total++;
      const current = index.current(id, this.annotator);
      // A skip is a decision to come back later, not a label.
      if (current?.answer === 'ignore') skipped++;
      else if (current) labeled++;
      else needsReview++;
    }
    const orphaned = this.orphanedLabels(entry).length;
    return { task: entry.task.name, total, labeled, needsReview, errors, ...(skipped > 0 ? { skipped } : {}), ...(orphaned > 0 ? { orphaned } : {}) };
  }

  /**
   * The sample ids of a dataset's label file that no record of the dataset has any more (its text or
   * id changed, or it was deleted). Their labels are kept and reported, never dropped.
   */
  orphanedLabels(entry: DatasetEntry): string[] {
    const orphaned: string[] = [];
    for (const records of this.labelStore(entry.labelPath).index.all()) {
      const id = records[0]?.id;
      if (id !== undefined && entry.dataset.firstLineOf(id) === undefined) orphaned.push(id);
    }
    return orphaned;
  }

  /** Warnings on the lines of a label file whose sample is gone from its dataset. */
  private orphanFindings(labelPath: string): Finding[] {
    const entry = this.datasetFiles().map((f) => this.entry(f)).find((e) => e?.labelPath === labelPath);
    if (!entry) return [];
    const orphaned = new Set(this.orphanedLabels(entry));
    if (orphaned.size === 0) return [];
    let text: string;
    try {
      text = fs.readFileSync(labelPath, 'utf8');
    } catch {
      return [];
    }
    const findings: Finding[] = [];
    text.split('\n').forEach((line, index) => {
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        return;
      }
      if (typeof id !== 'string' || !orphaned.has(id)) return;
      findings.push({
        code: 'orphaned-label', severity: 'warning', line: index, start: 0, end: line.length,
        message: `No sample with id '${id}' in ${entry.relativePath} any more (its text or id changed, or it was deleted): the label is kept; restore the sample, or remove this line`,
      });
    });
    return findings;
  }

  /** The next unlabeled sample after `fromLine` in this file (wrapping), or undefined when all are labeled. */
  nextUnlabeled(file: string, fromLine: number): number | undefined {
    const entry = this.entry(file);
    if (!entry) return undefined;
    const index = this.labelStore(entry.labelPath).index;
    const n = entry.dataset.lineCount;
    for (let k = 1; k <= n; k++) {
      const line = (fromLine + k) % n;
      const sample = entry.dataset.sampleAt(line);
      if (sample && !index.current(sample.id, this.annotator)) return line;
    }
    return undefined;
  }

  /** Every dataset entry currently known (open or read from disk). */
  entries(): IterableIterator<DatasetEntry> {
    return this.datasets.values();
  }
}

/**
 * A prediction in the shape of its task, whatever its source gave: a multi-label task sees a set (one
 * label is the set of that label), a single-label task one label (Label Studio's several choices: the first).
 */
function fitToTask(prediction: Prediction | undefined, multiLabel: boolean): Prediction | undefined {
  if (!prediction || (prediction.labels !== undefined) === multiLabel) return prediction;
  if (multiLabel) return { ...prediction, labels: predictedLabels(prediction) };
  const { labels: _set, ...single } = prediction;
  return single;
}

/** For an inferred task, a .jsonl counts as a dataset only when one of its first records has a text. */
function looksLikeDataset(dataset: DatasetView): boolean {
  let seen = 0;
  for (let line = 0; line < dataset.lineCount && seen < 20; line++) {
    const parsed = dataset.parsedLine(line);
    if (parsed.kind === 'blank') continue;
    seen++;
    if (parsed.kind === 'sample') return true;
  }
  return seen === 0;
}
