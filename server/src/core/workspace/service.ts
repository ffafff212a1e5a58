// The workspace service: every folder of an editor session with its datasets, the kinds' models, and
// the background work (reading large files, training, compaction). The language server wires LSP to
// it; it decides what happens when a decision is taken, a file changes, or a queue is asked for.
// No LSP and no `vscode` here.
import * as path from 'node:path';
import { configText } from '../config';
import { Dataset, type DatasetFields } from '../dataset';
import type { DiskDataset } from '../diskDataset';
import type { Decision, Learner, ModelState, Finding } from '../kinds/kind';
import { kindNamed, kindNames } from '../kinds/registry';
import { isInside } from '../paths';
import { reviewQueueSteps, type QueueItem } from '../reviewQueue';
import { CancelledError, drive, unlessCancelled, type CancellationSignal } from '../slicer';
import type { LabelRecord, Prediction, Task } from '../types';
import { applyDecisions } from './decisions';
import type { DatasetEntry, Predictor } from './folder';
import { FOCUS_THRESHOLD_LINES, Project, type DatasetStatus, type ProjectOptions } from './project';

/** How long after the last edit of loopmark.json the models are retrained. */
export const CONFIG_RETRAIN_DELAY_MS = 800;
/** How long after the last label write the label file is rewritten in canonical order. */
export const COMPACT_DELAY_MS = 1000;

export interface ServiceOptions {
  annotator?: string;
  /** How a large file is indexed in the background (the server: on worker threads). */
  largeFileSteps?: (file: string, fields: DatasetFields) => Generator<unknown, DiskDataset>;
  /** How dataset files are found without holding the thread (the server: on a worker thread). */
  globFiles?: ProjectOptions['globFiles'];
  /** Wraps the kinds' models of a folder into the predictor its datasets ask (e.g. an external model first). */
  predictor?: (project: Project, models: Predictor) => Predictor;
  log(message: string): void;
  error(message: string): void;
  /** A document of the file is still being read from disk: what to wait for first. */
  reading?(file: string): Promise<void> | undefined;
  /** Labels, predictions or settings changed: diagnostics of `uri` (or of every document) are stale. */
  changed(file?: string): void;
}

/** A folder's models, one per kind that has one, behind one predictor. */
class FolderModels implements Predictor {
  readonly byKind = new Map<string, Learner>();

  constructor(project: Project) {
    for (const name of kindNames()) {
      const learner = kindNamed(name)?.learner?.(project);
      if (learner) this.byKind.set(name, learner);
    }
  }

  of(task: Task): Learner | undefined {
    return this.byKind.get(task.kind);
  }

  predict(task: Task, sample: Parameters<Predictor['predict']>[1]): Prediction | undefined {
    return this.of(task)?.predict(task, sample);
  }

  *trainSteps(): Generator<void, void> {
    for (const learner of this.byKind.values()) yield* learner.trainSteps();
  }
}

export interface Located {
  file: string;
  project: Project;
}

export class WorkspaceService {
  readonly projects: Project[] = [];
  private readonly models = new Map<Project, FolderModels>();
  /** Background work per file (index, parse), shared by the requests that wait for it. */
  private readonly preparing = new Map<string, Promise<void>>();
  private readonly training = new Map<Project, Promise<void>>();
  private readonly retrainTimers = new Map<Project, NodeJS.Timeout>();
  private readonly compactTimers = new Map<string, NodeJS.Timeout>();
  /** The last queue computed per task, whose head also gets diagnostics. */
  private readonly lastQueue = new Map<string, QueueItem[]>();

  /** Who labels, when the editor or the command line says (else each folder's config or git). */
  annotator: string | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.annotator = options.annotator;
  }

  /** Opens a workspace folder; a folder that cannot be opened is reported and left out. */
  addFolder(root: string): Project | undefined {
    try {
      const project = new Project({
        root,
        largeFiles: 'background',
        ...(this.options.largeFileSteps ? { largeFileSteps: this.options.largeFileSteps } : {}),
        ...(this.options.globFiles ? { globFiles: this.options.globFiles } : {}),
        ...(this.annotator ? { annotator: this.annotator } : {}),
      });
      const models = new FolderModels(project);
      // A model retrained in the background changes predictions: diagnostics and the queue follow.
      for (const learner of models.byKind.values()) learner.onRetrained = () => this.options.changed();
      project.predictor = this.options.predictor ? this.options.predictor(project, models) : models;
      this.models.set(project, models);
      this.projects.push(project);
      return project;
    } catch (error) {
      this.options.error(`Loopmark: cannot open workspace folder ${root}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The innermost folder holding a file, and the file. */
  locate(file: string): Located | undefined {
    let best: Project | undefined;
    for (const p of this.projects) if (isInside(p.root, file) && (!best || p.root.length > best.root.length)) best = p;
    return best ? { file, project: best } : undefined;
  }

  folder(root: string): Project | undefined {
    return this.projects.find((p) => p.root === path.resolve(root));
  }

  /** Trains every folder's models once the client is ready; resolves when the first training is done. */
  start(): Promise<void> {
    const trained: Promise<void>[] = [];
    for (const p of this.projects) {
      this.options.log(`Loopmark: ${p.root}: ${p.config.declared ? 'loopmark.json' : 'inferred task'}, annotator ${p.annotator}`);
      trained.push(this.train(p));
    }
    return Promise.all(trained).then(() => undefined);
  }

  /**
   * Gets a dataset ready without holding the event loop: indexes a large file from disk, or parses
   * every line of an open document, in slices. Requests that need the whole dataset await this.
   */
  prepare(project: Project, file: string): Promise<void> {
    let job = this.preparing.get(file);
    if (job) return job;
    job = (async () => {
      // A document still being read from disk (opened by reference) first.
      await this.options.reading?.(file);
      // A change on disk (the watcher) drops an index being built; then index the new file.
      let entry = await project.ready(file);
      for (let attempt = 0; !entry && attempt < 3 && project.taskOf(file); attempt++) entry = await project.ready(file);
      const dataset = entry?.dataset;
      if (dataset instanceof Dataset) await drive(dataset.parseSteps());
    })().finally(() => this.preparing.delete(file));
    this.preparing.set(file, job);
    return job;
  }

  /** Retrains a folder's models from its label files (queued after a training under way). */
  train(project: Project): Promise<void> {
    const previous = this.training.get(project) ?? Promise.resolve();
    const job = previous.then(async () => {
      const started = Date.now();
      try {
        // A step per file: awaiting an already-settled promise never yields to the event loop, so
        // 5,000 small files prepared in a row held it for seconds (drive slices by time).
        const service = this;
        const files = await project.findDatasetFiles();
        await drive((function* (): Generator<unknown, void> {
          for (const file of files) yield service.prepare(project, file);
        })());
        const models = this.models.get(project);
        if (models) await drive(models.trainSteps());
        this.options.log(`Loopmark: ${project.root}: model trained from the label files in ${Date.now() - started} ms`);
      } catch (error) {
        this.options.error(`Loopmark: training the model failed: ${(error as Error).message}`);
      }
      this.options.changed();
    });
    this.training.set(project, job);
    return job;
  }

  /**
   * loopmark.json changed (typed in an editor, or on disk): diagnostics follow at once; the models are
   * retrained from the label files once the edits pause (not per keystroke).
   */
  configChanged(project: Project, text?: string): void {
    if (!project.reloadConfig(text)) return;
    this.options.changed();
    clearTimeout(this.retrainTimers.get(project));
    this.retrainTimers.set(project, setTimeout(() => {
      this.retrainTimers.delete(project);
      void this.train(project);
    }, CONFIG_RETRAIN_DELAY_MS));
  }

  /** Files changed on disk (a watcher, git, another window, the CLI): caches drop, models retrain. */
  filesChanged(files: readonly string[], editorHolds: (file: string) => boolean): void {
    const retrain = new Set<Project>();
    let changed = false;
    for (const file of files) {
      const at = this.locate(file);
      // A file no task reads and Loopmark does not keep (a source file saved, a build output) changes nothing.
      if (!at || !at.project.concerns(file)) continue;
      changed = true;
      if (file === at.project.configPath) {
        if (!editorHolds(file)) this.configChanged(at.project);
      } else {
        at.project.invalidate(file);
      }
      retrain.add(at.project);
    }
    // Labels written elsewhere retrain the model from the files.
    for (const project of retrain) if (project.labelsChangedOnDisk()) void this.train(project);
    if (changed) this.options.changed();
  }

  /**
   * The decision path: checks decisions by their kind's rules, writes them durably, teaches the
   * kind's model, schedules the canonical rewrite and says what changed.
   */
  decide(at: Located, decisions: readonly Decision[]): LabelRecord[] {
    return applyDecisions(at.project, at.file, decisions, {
      learn: (entry, records) => this.learn(at.project, entry, records),
      written: (entry) => {
        this.scheduleCompaction(at.project, entry.labelPath);
        this.options.changed(at.file);
      },
    });
  }

  private learn(project: Project, entry: DatasetEntry, records: readonly LabelRecord[]): void {
    const learner = this.models.get(project)?.of(entry.task);
    if (!learner) return;
    for (const record of records) {
      const line = entry.dataset.linesOf(record.id)[0];
      const sample = line === undefined ? undefined : entry.dataset.sampleAt(line);
      if (sample) learner.learn(entry.task, sample, record);
    }
  }

  /** The model's state of a task, for the status bar. */
  modelState(project: Project, task: Task): ModelState | undefined {
    return this.models.get(project)?.of(task)?.state(task);
  }

  private scheduleCompaction(project: Project, labelPath: string): void {
    clearTimeout(this.compactTimers.get(labelPath));
    this.compactTimers.set(labelPath, setTimeout(() => {
      this.compactTimers.delete(labelPath);
      try {
        project.compactLabels(labelPath);
      } catch (error) {
        this.options.error(`Loopmark: could not rewrite ${labelPath} in canonical order: ${(error as Error).message}`);
      }
    }, COMPACT_DELAY_MS));
  }

  /** Rewrites pending label files now (at shutdown). */
  compactAllNow(): void {
    for (const [labelPath, timer] of this.compactTimers) {
      clearTimeout(timer);
      try {
        this.locate(labelPath)?.project.compactLabels(labelPath);
      } catch {
        // the appended lines are durable; canonical order can wait for the next start
      }
    }
    this.compactTimers.clear();
  }

  /** The first `n` samples to review in a task, across its files; the head also gets diagnostics. */
  async queue(project: Project, task: Task, n: number, token: CancellationSignal, skip?: Set<string>): Promise<QueueItem[]> {
    for (const file of project.datasetFiles()) await unlessCancelled(this.prepare(project, file), token);
    const items = await drive(reviewQueueSteps(project, task, n, skip ? { skip } : {}), () => token.isCancellationRequested);
    if (!skip) this.lastQueue.set(task.name, items.slice(0, 20));
    return items;
  }

  /** The lines of a file at the head of its task's last queue (they get diagnostics even out of view). */
  queueHeadLines(at: Located): number[] {
    const task = at.project.taskOf(at.file);
    return task ? (this.lastQueue.get(task.name) ?? []).filter((i) => i.path === at.file).map((i) => i.line) : [];
  }

  /** The next sample to review after a line: in file order, or the queue's head across the task's files. */
  async nextSample(at: Located, line: number, token: CancellationSignal): Promise<{ path: string; line: number; range: { start: number; end: number } } | undefined> {
    const task = at.project.taskOf(at.file);
    if (!task) return undefined;
    await unlessCancelled(this.prepare(at.project, at.file), token);
    let target: { path: string; line: number } | undefined;
    if (task.queue.strategy === 'file-order') {
      const next = at.project.nextUnlabeled(at.file, line);
      if (next !== undefined) target = { path: at.file, line: next };
    }
    // The queue spans the task's files; the sample under the cursor is not "next".
    target ??= (await this.queue(at.project, task, 1, token, new Set([`${at.file}#${line}`])))[0];
    const entry = target ? at.project.entry(target.path) : undefined;
    if (!target || !entry) return undefined;
    return { ...target, range: entry.dataset.textRange(target.line) };
  }

  /** Accept decisions for every unlabeled sample of a file whose shown prediction scores at least `minScore`. */
  async acceptable(at: Located, minScore: number, token: CancellationSignal): Promise<Decision[]> {
    await unlessCancelled(this.prepare(at.project, at.file), token);
    return drive(at.project.acceptableAboveSteps(at.file, minScore), () => token.isCancellationRequested);
  }

  /** Counts of a dataset, with its model's state; undefined when the file is no dataset. */
  async status(at: Located, token?: CancellationSignal): Promise<DatasetStatus | undefined> {
    const task = at.project.taskOf(at.file);
    if (!task) return undefined;
    await this.prepare(at.project, at.file);
    const status = await drive(at.project.statusSteps(at.file), token ? () => token.isCancellationRequested : undefined);
    if (!status) return undefined;
    const model = this.modelState(at.project, task);
    return model ? { ...status, model } : status;
  }

  /**
   * A large dataset's summary: how many unlabeled samples lie outside what is shown, or that it is
   * still being read (and the reading started).
   */
  async largeDatasetSummary(at: Located, shown: readonly Finding[], token: CancellationSignal): Promise<string | undefined> {
    const entry = at.project.entry(at.file);
    if (!entry || entry.dataset.lineCount <= FOCUS_THRESHOLD_LINES) return undefined;
    const ready = entry.dataset instanceof Dataset ? entry.dataset.isParsed() && entry.dataset.idsReady() : true;
    if (!ready) {
      void this.prepare(at.project, at.file).then(() => this.options.changed(at.file), () => undefined);
      return `Loopmark is reading ${entry.dataset.lineCount} lines; diagnostics show around the visible lines`;
    }
    // Counted in slices, not in the turn that computed the findings (the whole answer held one turn for 18 ms of CPU).
    const status = await drive(at.project.statusSteps(at.file), () => token.isCancellationRequested);
    const reviewed = shown.filter((f) => f.code === 'review' || f.code === 'suggestion').length;
    const rest = Math.max(0, (status?.needsReview ?? 0) - reviewed);
    return rest > 0
      ? `${rest} more unlabeled samples outside the visible lines (diagnostics follow your scrolling); "Loopmark: Next Sample to Review" walks the queue through all of them`
      : undefined;
  }

  /** The text of a loopmark.json inferred from a folder's data: its tasks with the labels their datasets use. */
  inferredConfig(project: Project): { path: string; text: string } {
    const entries = project.datasetFiles().map((f) => project.entry(f)).filter((e) => e !== undefined);
    const tasks = project.config.tasks.map((task) => {
      const labels = new Map<string, { name: string }>();
      for (const e of entries) if (e.task === task) for (const l of project.effectiveTask(e).labels) labels.set(l.name, l);
      return { ...task, labels: [...labels.values()] };
    });
    return { path: project.configPath, text: configText(tasks) };
  }
}

export { CancelledError };
