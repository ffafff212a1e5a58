// The Loopmark language server: wires LSP to the core. It decides nothing itself.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  DocumentDiagnosticReportKind,
  ErrorCodes,
  LSPErrorCodes,
  MarkupKind,
  ResponseError,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type Diagnostic,
  type DidChangeTextDocumentParams,
  type TextDocumentItem,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { isReviewCode, labelActions, type Finding, type SampleData } from './core/analysis';
import { configText, CONFIG_FILE } from './core/config';
import { hoverMarkdown } from './core/hover';
import { formatSet, predictedLabels, recordLabels, sameSet } from './core/labelSets';
import { Learner } from './core/learner';
import { isInside } from './core/paths';
import { withExternalPredictions } from './externalPredictions';
import { excerpt } from './core/jsonl';
import { CancelledError, FOCUS_MARGIN_LINES, FOCUS_THRESHOLD_LINES, InvalidDecisionError, Project } from './core/project';
import { reviewQueueSteps, type QueueItem } from './core/reviewQueue';
import { drive, unlessCancelled } from './core/slicer';
import { Dataset } from './core/dataset';
import { workerIndexSteps } from './parallelIndex';
import type { DatasetEntry } from './core/project';
import type { LabelRecord, Task } from './core/types';
import {
  ACCEPT_ABOVE_COMMAND,
  APPLY_LABEL_COMMAND,
  LABEL_PICKER_COMMAND,
  BulkAcceptRequest,
  BulkPreviewRequest,
  QueueRequest,
  VisibleRangesNotification,
  type QueueEntry,
  InferredConfigRequest,
  LabelsChangedNotification,
  NextSampleRequest,
  SampleAtRequest,
  StatusRequest,
  type ApplyLabelArgs,
  DocumentTextRequest,
  OPEN_FROM_DISK_KEY,
  type OpenFromDisk,
} from './protocol';
import { readDocumentLines } from './openFromDisk';

interface Loading {
  done: Promise<void>;
  pending: DidChangeTextDocumentParams[];
  closed: boolean;
  finished: boolean;
  file: string;
  /** The complete lines read so far (the reader's array, growing). */
  lines: readonly string[];
  /** How many of them are known to be the editor's (the head matched the client's hash). */
  trusted: number;
  /** Woken after each slice read and at the end. */
  waiters: Array<() => void>;
}

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const ANSWERS = new Set(['accept', 'reject', 'ignore']);
const SOURCES = new Set(['prediction', 'correction', 'manual']);

/** A decision from a client is checked before anything is written: one label, or a set (a list of strings). */
function isDecision(value: unknown): value is ApplyLabelArgs['decision'] {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  const label = typeof d['label'] === 'string' && d['labels'] === undefined;
  const labels = d['label'] === undefined && Array.isArray(d['labels']) && (d['labels'] as unknown[]).every((l) => typeof l === 'string');
  return typeof d['sampleId'] === 'string' && d['sampleId'] !== '' && (label || labels)
    && ANSWERS.has(d['answer'] as string) && SOURCES.has(d['source'] as string)
    && (d['score'] === undefined || (typeof d['score'] === 'number' && Number.isFinite(d['score'])));
}

/** Source action: accept every prediction above a score in the current file. */
const ACCEPT_ABOVE_KIND = `${CodeActionKind.Source}.loopmark.acceptAbove`;

/** How long after the last edit of loopmark.json the model is retrained. */
const CONFIG_RETRAIN_DELAY_MS = 800;

/** How long after the last label write the label file is rewritten in canonical order. */
const COMPACT_DELAY_MS = 1000;

export interface ServerOptions {
  annotator?: string;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const projects: Project[] = [];
  const learners = new Map<Project, Learner>();
  /** What each editor shows of a document: diagnostics of large datasets focus there. */
  const visible = new Map<string, Array<[number, number]>>();
  /** The last queue computed per task, whose head also gets diagnostics. */
  const lastQueue = new Map<string, QueueItem[]>();
  /** Background work per file (index, parse), shared by the requests that wait for it. */
  const preparing = new Map<string, Promise<void>>();
  const openVersions = new Map<string, number>();
  const compactTimers = new Map<string, NodeJS.Timeout>();
  /** Documents opened by reference whose text is still being read, with the edits that came meanwhile. */
  const loading = new Map<string, Loading>();

  const log = (message: string): void => connection.console.log(message);

  function filePath(uri: string): string | undefined {
    return uri.startsWith('file:') ? path.resolve(fileURLToPath(uri)) : undefined;
  }

  function projectOf(file: string): Project | undefined {
    let best: Project | undefined;
    for (const p of projects) {
      if (isInside(p.root, file) && (!best || p.root.length > best.root.length)) best = p;
    }
    return best;
  }

  function located(uri: string): { file: string; project: Project } | undefined {
    const file = filePath(uri);
    const project = file ? projectOf(file) : undefined;
    return file && project ? { file, project } : undefined;
  }

  function toResponseError(what: string, error: unknown): ResponseError<void> {
    if (error instanceof ResponseError) return error;
    if (error instanceof CancelledError) return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    if (error instanceof InvalidDecisionError) return new ResponseError(ErrorCodes.InvalidParams, `Loopmark: ${error.message}`);
    const message = `Loopmark: ${what} failed: ${(error as Error).message}`;
    connection.console.error(`${message}\n${(error as Error).stack ?? ''}`);
    return new ResponseError(ErrorCodes.InternalError, message);
  }

  /** Runs a handler (sync or async); a failure becomes a logged error and an LSP error, never a crash. */
  function guarded<T>(what: string, fn: () => T): T {
    try {
      const result = fn();
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw toResponseError(what, error);
        }) as T;
      }
      return result;
    } catch (error) {
      throw toResponseError(what, error);
    }
  }

  let refreshSupported = false;
  function refresh(uri?: string): void {
    // A client without refresh support may answer with an error: that must not become a crash.
    if (refreshSupported) void Promise.resolve(connection.languages.diagnostics.refresh()).catch(() => undefined);
    void connection.sendNotification(LabelsChangedNotification.type, uri ? { uri } : {});
  }

  function scheduleCompaction(project: Project, labelPath: string): void {
    clearTimeout(compactTimers.get(labelPath));
    compactTimers.set(
      labelPath,
      setTimeout(() => {
        compactTimers.delete(labelPath);
        try {
          project.compactLabels(labelPath);
        } catch (error) {
          connection.console.error(`Loopmark: could not rewrite ${labelPath} in canonical order: ${(error as Error).message}`);
        }
      }, COMPACT_DELAY_MS),
    );
  }

  function compactAllNow(): void {
    for (const [labelPath, timer] of compactTimers) {
      clearTimeout(timer);
      const project = projectOf(labelPath);
      try {
        project?.compactLabels(labelPath);
      } catch {
        // the appended lines are durable; canonical order can wait for the next start
      }
    }
    compactTimers.clear();
  }

  function toDiagnostic(f: Finding): Diagnostic {
    const diagnostic: Diagnostic = {
      range: { start: { line: f.line, character: f.start }, end: { line: f.line, character: f.end } },
      severity: SEVERITY[f.severity],
      source: 'loopmark',
      code: f.code,
      message: f.message,
    };
    if (f.data) diagnostic.data = f.data;
    return diagnostic;
  }

  let initializeSeen = false;
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    // A second `initialize` would open every folder twice (two writers of the same label files).
    if (initializeSeen) throw new ResponseError(ErrorCodes.InvalidRequest, 'Loopmark: the server is already initialized');
    initializeSeen = true;
    refreshSupported = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    const annotator = options.annotator ?? (params.initializationOptions?.annotator as string | undefined);
    for (const uri of folders) {
      const root = filePath(uri);
      if (!root) continue;
      try {
        const project = new Project({ root, largeFiles: 'background', largeFileSteps: workerIndexSteps, ...(annotator ? { annotator } : {}) });
        const learner = new Learner(project);
        // An external model (trusted workspaces only) wins over the embedded one once its answer arrived.
        project.predictor = withExternalPredictions(project, learner, params.initializationOptions, { log, onUpdate: () => refresh() });
        learners.set(project, learner);
        projects.push(project);
      } catch (error) {
        connection.console.error(`Loopmark: cannot open workspace folder ${root}: ${(error as Error).message}`);
      }
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, ACCEPT_ABOVE_KIND] },
        hoverProvider: true,
        executeCommandProvider: { commands: [APPLY_LABEL_COMMAND] },
      },
      serverInfo: { name: 'loopmark', version: '0.1.0' },
    };
  });

  /**
   * Gets a dataset ready without holding the event loop: indexes a large file from disk, or parses
   * every line of an open document, in slices. Requests that need the whole dataset await this.
   */
  function prepare(project: Project, file: string): Promise<void> {
    let job = preparing.get(file);
    if (job) return job;
    job = (async () => {
      for (const state of loading.values()) if (state.file === file) await state.done;
      // A change on disk (the watcher) drops an index being built; then index the new file.
      let entry = await project.ready(file);
      for (let attempt = 0; !entry && attempt < 3 && project.taskOf(file); attempt++) entry = await project.ready(file);
      const dataset = entry?.dataset;
      if (dataset instanceof Dataset) await drive(dataset.parseSteps());
    })().finally(() => preparing.delete(file));
    preparing.set(file, job);
    return job;
  }

  const training = new Map<Project, Promise<void>>();
  function train(project: Project): Promise<void> {
    const previous = training.get(project) ?? Promise.resolve();
    const job = previous.then(async () => {
      const started = Date.now();
      try {
        for (const file of project.datasetFiles()) await prepare(project, file);
        const learner = learners.get(project);
        if (learner) await drive(learner.trainSteps());
        log(`Loopmark: ${project.root}: model trained from the label files in ${Date.now() - started} ms`);
      } catch (error) {
        connection.console.error(`Loopmark: training the model failed: ${(error as Error).message}`);
      }
      refresh();
    });
    training.set(project, job);
    return job;
  }

  /**
   * A changed loopmark.json may change a task's labels, fields or model settings: the model is
   * retrained from the label files once the edits pause (not per keystroke).
   */
  const retrainTimers = new Map<Project, NodeJS.Timeout>();
  function configChanged(project: Project): void {
    refresh();
    clearTimeout(retrainTimers.get(project));
    retrainTimers.set(project, setTimeout(() => {
      retrainTimers.delete(project);
      void train(project);
    }, CONFIG_RETRAIN_DELAY_MS));
  }

  let initializedSeen = false;
  connection.onInitialized(() => {
    // A client that sends `initialized` again gets no second training run.
    if (initializedSeen) return;
    initializedSeen = true;
    for (const p of projects) {
      log(`Loopmark: ${p.root}: ${p.config.declared ? 'loopmark.json' : 'inferred task'}, annotator ${p.annotator}`);
      void train(p);
    }
  });

  function toQueueEntry(item: QueueItem): QueueEntry {
    const entry: QueueEntry = { uri: pathToFileURL(item.path).toString(), line: item.line, sampleId: item.sampleId, excerpt: excerpt(item.text, 80) };
    if (item.prediction) {
      entry.label = item.prediction.labels ? formatSet(item.prediction.labels) : item.prediction.label;
      if (item.prediction.labels) entry.labels = item.prediction.labels;
      entry.score = item.prediction.score;
      entry.origin = item.prediction.origin;
    }
    if (item.model && !item.model.coldStart && item.file) {
      const { model, file } = item;
      if (model.labels || file.labels) {
        if (!sameSet(predictedLabels(model), predictedLabels(file))) entry.disagreement = `model ${formatSet(predictedLabels(model))}, file ${formatSet(predictedLabels(file))}`;
      } else if (model.label !== file.label) {
        entry.disagreement = `model '${model.label}', file '${file.label}'`;
      }
    }
    return entry;
  }

  /**
   * Reads a document opened by reference (OpenFromDisk) and opens it; edits that arrive meanwhile
   * wait in `pending`. When the disk does not hold the editor's text (fingerprint), the server asks
   * the client for the text: the slow path, but never a wrong one.
   */
  function openFromDisk(at: { file: string; project: Project }, textDocument: TextDocumentItem, reference: OpenFromDisk): void {
    const uri = textDocument.uri;
    const state: Loading = { file: at.file, pending: [], closed: false, finished: false, lines: [], trusted: 0, waiters: [], done: Promise.resolve() };
    const wake = (): void => {
      for (const waiter of state.waiters.splice(0)) waiter();
    };
    loading.set(uri, state);
    state.done = (async () => {
      const started = Date.now();
      let content: string[] | string | undefined;
      let version = textDocument.version;
      try {
        const disk = await readDocumentLines(at.file, reference.length, {
          ...(typeof reference.head === 'string' ? { head: reference.head } : {}),
          onLines: (lines, trusted) => {
            state.lines = lines;
            state.trusted = trusted;
            wake();
          },
        });
        if (disk.length === reference.length && disk.fingerprint === reference.fingerprint) content = disk.lines;
        else log(`Loopmark: ${at.file} on disk differs from the editor's text (${disk.length} vs ${reference.length} characters); asking the editor for it`);
      } catch (error) {
        log(`Loopmark: cannot read ${at.file} (${(error as Error).message}); asking the editor for its text`);
      }
      if (content === undefined) {
        const answer = await connection.sendRequest(DocumentTextRequest.type, { uri }).catch(() => null);
        if (!answer || typeof answer.text !== 'string') {
          connection.console.error(`Loopmark: the editor did not send the text of ${at.file}; its diagnostics follow the file on disk`);
          return;
        }
        content = answer.text;
        version = answer.version;
      }
      if (state.closed) return;
      guarded('opening a document', () => at.project.open(at.file, content));
      for (const change of state.pending) if (change.textDocument.version > version) applyChange(at, change);
      log(`Loopmark: ${at.file} opened from disk in ${Date.now() - started} ms`);
    })().finally(() => {
      state.finished = true;
      wake();
      if (loading.get(uri) === state) loading.delete(uri);
    });
  }

  /**
   * The first diagnostics of a document still being read, once the lines in view (and the margin
   * around them) have arrived: a user opening 48 MB sees the samples in view in a few milliseconds.
   * Undefined when the document is read (or edited) by then: the caller answers in full.
   */
  async function diagnosticsWhileReading(uri: string, at: { file: string; project: Project }, token: { isCancellationRequested: boolean }): Promise<Diagnostic[] | undefined> {
    const state = loading.get(uri);
    if (!state) return undefined;
    const needed = () => Math.max(...(visible.get(uri) ?? [[0, FOCUS_MARGIN_LINES]]).map((r) => r[1])) + FOCUS_MARGIN_LINES + 2;
    // Only lines known to be the editor's: the head, once its hash matched.
    while (!state.finished && !state.closed && state.trusted < needed() && !token.isCancellationRequested) await new Promise<void>((resolve) => state.waiters.push(resolve));
    if (state.finished || state.closed || state.pending.length > 0 || token.isCancellationRequested) return undefined;
    // The findings get a turn of their own, apart from the slice that woke us.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const entry = at.project.previewEntry(at.file, state.lines.slice(0, state.trusted));
    if (!entry) return undefined;
    const focus = visible.get(uri);
    // Only the lines in view and their margin: the first answer must be quick.
    const { findings } = at.project.findings(at.file, { entry, onlyFocus: true, ...(focus ? { focus } : {}) });
    void state.done.then(() => refresh(uri));
    return [
      summary(`Loopmark is reading ${path.basename(at.file)} (${state.trusted} lines so far); diagnostics show around the visible lines`),
      ...findings.map(toDiagnostic),
    ];
  }

  /** Waits until a document opened by reference has been read (at once for any other). */
  async function loaded(uri: string): Promise<void> {
    await loading.get(uri)?.done;
  }

  connection.onDidOpenTextDocument((params) => {
    const { textDocument } = params;
    const at = located(textDocument.uri);
    if (!at) return;
    openVersions.set(textDocument.uri, textDocument.version);
    const isConfig = path.basename(at.file) === CONFIG_FILE && path.dirname(at.file) === at.project.root;
    const reference = (params as unknown as Record<string, unknown>)[OPEN_FROM_DISK_KEY] as OpenFromDisk | undefined;
    if (!isConfig && reference && Number.isInteger(reference.length) && typeof reference.fingerprint === 'string') {
      // A file no task reads is not read either (its text would be dropped, as a full-text open's is).
      if (at.project.taskOf(at.file)) openFromDisk(at, textDocument, reference);
      return;
    }
    guarded('opening a document', () => {
      if (isConfig) {
        if (at.project.reloadConfig(textDocument.text)) configChanged(at.project);
        return;
      }
      at.project.open(at.file, textDocument.text);
    });
  });

  connection.onDidChangeTextDocument((params) => {
    const at = located(params.textDocument.uri);
    if (!at) return;
    openVersions.set(params.textDocument.uri, params.textDocument.version);
    const state = loading.get(params.textDocument.uri);
    if (state) state.pending.push(params);
    else applyChange(at, params);
  });

  function applyChange(at: { file: string; project: Project }, { contentChanges }: DidChangeTextDocumentParams): void {
    guarded('applying an edit', () => {
      if (path.basename(at.file) === CONFIG_FILE && path.dirname(at.file) === at.project.root) {
        const last = contentChanges[contentChanges.length - 1];
        if (last && !('range' in last)) {
          if (at.project.reloadConfig(last.text)) configChanged(at.project);
        } else {
          connection.console.warn('Loopmark: expected full text for loopmark.json');
        }
        refresh();
        return;
      }
      for (const change of contentChanges) {
        if ('range' in change) {
          at.project.change(at.file, [{
            startLine: change.range.start.line,
            startCharacter: change.range.start.character,
            endLine: change.range.end.line,
            endCharacter: change.range.end.character,
            text: change.text,
          }]);
        } else {
          at.project.replace(at.file, change.text);
        }
      }
    });
  }

  connection.onDidCloseTextDocument(({ textDocument }) => {
    openVersions.delete(textDocument.uri);
    const state = loading.get(textDocument.uri);
    if (state) {
      state.closed = true;
      loading.delete(textDocument.uri);
    }
    const at = located(textDocument.uri);
    if (!at) return;
    if (at.file === at.project.configPath && at.project.reloadConfig()) configChanged(at.project);
    else at.project.close(at.file);
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    let changed = false;
    const retrain = new Set<Project>();
    for (const change of changes) {
      const at = located(change.uri);
      if (!at) continue;
      if (at.file === at.project.configPath) {
        if (!openVersions.has(change.uri) && at.project.reloadConfig()) configChanged(at.project);
      } else {
        at.project.invalidate(at.file);
      }
      changed = true;
      retrain.add(at.project);
    }
    // Labels written elsewhere (another window, the CLI, git) retrain the model from the files.
    for (const project of retrain) if (project.labelsChangedOnDisk()) void train(project);
    if (changed) refresh();
  });

  connection.onNotification(VisibleRangesNotification.type, ({ uri, ranges }) => {
    if (typeof uri !== 'string' || !Array.isArray(ranges)) return;
    visible.set(uri, ranges.filter((r): r is [number, number] => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1])));
    refresh();
  });

  function summary(message: string): Diagnostic {
    return {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: DiagnosticSeverity.Information,
      source: 'loopmark',
      code: 'more-to-review',
      message,
    };
  }

  connection.languages.diagnostics.on(async (params, token) => {
    const reading = located(params.textDocument.uri);
    const early = reading ? await diagnosticsWhileReading(params.textDocument.uri, reading, token) : undefined;
    if (early) return { kind: DocumentDiagnosticReportKind.Full, items: early };
    if (token.isCancellationRequested) return guarded('computing diagnostics', () => { throw new CancelledError(); });
    await loaded(params.textDocument.uri);
    return guarded('computing diagnostics', async () => {
      if (token.isCancellationRequested) throw new CancelledError();
      const at = located(params.textDocument.uri);
      if (!at) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
      const entry = at.project.entry(at.file);
      const task = entry ? at.project.taskOf(at.file) : undefined;
      const extraLines = task ? (lastQueue.get(task.name) ?? []).filter((i) => i.path === at.file).map((i) => i.line) : [];
      const focus = visible.get(params.textDocument.uri);
      const { findings, omitted } = at.project.findings(at.file, { ...(focus ? { focus } : {}), extraLines, isCancelled: () => token.isCancellationRequested });
      const items = findings.map(toDiagnostic);
      if (entry && entry.dataset.lineCount > FOCUS_THRESHOLD_LINES) {
        const ready = entry.dataset instanceof Dataset ? entry.dataset.isParsed() && entry.dataset.idsReady() : true;
        if (ready) {
          // Counted in slices, not in the turn that computed the findings (the whole answer held one turn for 18 ms of CPU).
          const status = await drive(at.project.statusSteps(at.file), () => token.isCancellationRequested);
          const shown = findings.filter((f) => f.code === 'review' || f.code === 'suggestion').length;
          const rest = Math.max(0, (status?.needsReview ?? 0) - shown);
          if (rest > 0) items.unshift(summary(`${rest} more unlabeled samples outside the visible lines (diagnostics follow your scrolling); "Loopmark: Next Sample to Review" walks the queue through all of them`));
        } else {
          items.unshift(summary(`Loopmark is reading ${entry.dataset.lineCount} lines; diagnostics show around the visible lines`));
          void prepare(at.project, at.file).then(() => refresh(), () => undefined);
        }
      } else if (omitted > 0) {
        items.unshift(summary(`${omitted} more findings are not shown; "Loopmark: Next Sample to Review" goes through all of them`));
      }
      return { kind: DocumentDiagnosticReportKind.Full, items };
    });
  });

  connection.onCodeAction(async (params) => {
    await loaded(params.textDocument.uri);
    return guarded('listing code actions', () => {
      const at = located(params.textDocument.uri);
      if (!at) return [];
      const entry = at.project.entry(at.file);
      if (!entry) return [];
      const task = at.project.effectiveTask(entry);
      const actions: CodeAction[] = [];
      const only = params.context.only;
      // Source actions only when asked for (the Source Action menu), never in the quick fix list.
      if (only?.some((kind) => ACCEPT_ABOVE_KIND.startsWith(kind))) {
        actions.push({
          title: 'Accept all predictions above a score in this file…',
          kind: ACCEPT_ABOVE_KIND,
          command: { title: 'Accept all predictions above a score', command: ACCEPT_ABOVE_COMMAND, arguments: [params.textDocument.uri, at.project.effectiveTask(entry).threshold] },
        });
        return actions;
      }
      for (const diagnostic of params.context.diagnostics) {
        if (diagnostic.source !== 'loopmark' || typeof diagnostic.code !== 'string' || !isReviewCode(diagnostic.code)) continue;
        const data = diagnostic.data as SampleData | undefined;
        if (!data?.sampleId) continue;
        for (const action of labelActions(task, data)) {
          if (!action.decision) {
            actions.push({
              title: action.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              command: { title: action.title, command: LABEL_PICKER_COMMAND, arguments: [params.textDocument.uri, diagnostic.range.start.line] },
            });
            continue;
          }
          const args: ApplyLabelArgs = { uri: params.textDocument.uri, decision: action.decision };
          actions.push({
            title: action.title,
            kind: CodeActionKind.QuickFix,
            diagnostics: [diagnostic],
            isPreferred: action.isPreferred,
            command: { title: action.title, command: APPLY_LABEL_COMMAND, arguments: [args] },
          });
        }
      }
      return actions;
    });
  });

  connection.onExecuteCommand(async (params) => {
    // A quick fix from the first diagnostics of a document still being read waits for the rest.
    const uri = (params.arguments?.[0] as { uri?: unknown } | undefined)?.uri;
    if (typeof uri === 'string') await loaded(uri);
    return guarded('writing a label', () => {
      if (params.command !== APPLY_LABEL_COMMAND) return null;
      const args = params.arguments?.[0] as ApplyLabelArgs | undefined;
      const at = args && typeof args.uri === 'string' ? located(args.uri) : undefined;
      if (!args || !at || !isDecision(args.decision)) {
        throw new ResponseError(ErrorCodes.InvalidParams, 'Loopmark: the label command needs {uri, decision: {sampleId, label (or labels: a list, for a multi-label task), answer, source, score?}}');
      }
      const record = at.project.applyLabel(at.file, args.decision);
      const entry = at.project.entry(at.file);
      if (entry) {
        scheduleCompaction(at.project, entry.labelPath);
        learn(at.project, entry, [record]);
      }
      refresh(args.uri);
      return record;
    });
  });

  function learn(project: Project, entry: DatasetEntry, records: readonly LabelRecord[]): void {
    const learner = learners.get(project);
    if (!learner) return;
    for (const record of records) {
      const line = entry.dataset.linesOf(record.id)[0];
      const sample = line === undefined ? undefined : entry.dataset.sampleAt(line);
      if (sample) learner.learn(entry.task, sample, record);
    }
  }

  async function queueFor(project: Project, task: Task, n: number, token: CancellationToken, skip?: Set<string>): Promise<QueueItem[]> {
    for (const file of project.datasetFiles()) await unlessCancelled(prepare(project, file), token);
    const items = await drive(reviewQueueSteps(project, task, n, skip ? { skip } : {}), () => token.isCancellationRequested);
    if (!skip) lastQueue.set(task.name, items.slice(0, 20));
    return items;
  }

  connection.onRequest(QueueRequest.type, ({ uri, n }, token) =>
    guarded('computing the review queue', async () => {
      const at = uri ? located(uri) : undefined;
      const project = at?.project ?? projects[0];
      if (!project) return null;
      const task = (at ? project.taskOf(at.file) : undefined) ?? project.config.tasks[0];
      if (!task) return null;
      const items = await queueFor(project, task, Math.max(1, Math.min(n, 500)), token);
      return { task: task.name, strategy: task.queue.strategy, items: items.map(toQueueEntry) };
    }),
  );

  connection.onRequest(BulkPreviewRequest.type, ({ uri, minScore }, token) =>
    guarded('counting predictions', async () => {
      const at = located(uri);
      if (!at) return { count: 0, byLabel: {} };
      await unlessCancelled(prepare(at.project, at.file), token);
      const decisions = await drive(at.project.acceptableAboveSteps(at.file, minScore), () => token.isCancellationRequested);
      const byLabel: Record<string, number> = Object.create(null);
      for (const d of decisions) {
        const key = d.labels ? formatSet(d.labels) : d.label ?? '';
        byLabel[key] = (byLabel[key] ?? 0) + 1;
      }
      return { count: decisions.length, byLabel };
    }),
  );

  connection.onRequest(BulkAcceptRequest.type, ({ uri, minScore }, token) =>
    guarded('accepting predictions', async () => {
      const at = located(uri);
      if (!at) return { written: 0 };
      await unlessCancelled(prepare(at.project, at.file), token);
      const decisions = await drive(at.project.acceptableAboveSteps(at.file, minScore), () => token.isCancellationRequested);
      if (decisions.length === 0) return { written: 0 };
      const records = at.project.applyLabels(at.file, decisions);
      const entry = at.project.entry(at.file)!;
      scheduleCompaction(at.project, entry.labelPath);
      learn(at.project, entry, records);
      refresh(uri);
      return { written: records.length };
    }),
  );

  connection.onHover(async (params) => {
    await loaded(params.textDocument.uri);
    return guarded('computing a hover', () => {
      const at = located(params.textDocument.uri);
      const info = at?.project.sampleInfo(at.file, params.position.line);
      if (!info) return null;
      return { contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(info) } };
    });
  });

  connection.onRequest(StatusRequest.type, ({ uri }) =>
    guarded('computing the status', async () => {
      const at = located(uri);
      if (!at || !at.project.taskOf(at.file)) return null;
      await prepare(at.project, at.file);
      const status = await drive(at.project.statusSteps(at.file));
      if (!status) return null;
      const task = at.project.taskOf(at.file);
      const learner = learners.get(at.project);
      return task && learner ? { ...status, model: learner.state(task) } : status;
    }),
  );

  connection.onRequest(SampleAtRequest.type, async ({ uri, line }) => {
    await loaded(uri);
    return guarded('finding the sample', () => {
      const at = located(uri);
      const info = at?.project.sampleInfo(at.file, line);
      if (!info) return null;
      return {
        sampleId: info.sample.id,
        line,
        labels: info.task.labels,
        ...(info.shown ? { predictedLabel: info.shown.label, score: info.shown.score } : {}),
        ...(info.current?.label !== undefined ? { currentLabel: info.current.label } : {}),
        ...(info.task.multiLabel ? {
          multiLabel: true,
          ...(info.shown ? { predictedLabels: predictedLabels(info.shown) } : {}),
          ...(info.current ? { currentLabels: recordLabels(info.current) } : {}),
          ...(info.shown?.scores ? { scores: info.shown.scores } : {}),
        } : {}),
      };
    });
  });

  connection.onRequest(NextSampleRequest.type, ({ uri, line }, token) =>
    guarded('finding the next sample', async () => {
      const at = located(uri);
      if (!at) return null;
      const task = at.project.taskOf(at.file);
      if (!task) return null;
      await unlessCancelled(prepare(at.project, at.file), token);
      let target: { path: string; line: number } | undefined;
      if (task.queue.strategy === 'file-order') {
        const next = at.project.nextUnlabeled(at.file, line);
        if (next !== undefined) target = { path: at.file, line: next };
      }
      // The queue spans the task's files; the sample under the cursor is not "next".
      target ??= (await queueFor(at.project, task, 1, token, new Set([`${at.file}#${line}`])))[0];
      const entry = target ? at.project.entry(target.path) : undefined;
      if (!target || !entry) return null;
      const range = entry.dataset.textRange(target.line);
      return { uri: pathToFileURL(target.path).toString(), line: target.line, character: range.start, endCharacter: range.end };
    }),
  );

  connection.onRequest(InferredConfigRequest.type, ({ folderUri }) =>
    guarded('inferring loopmark.json', () => {
      const root = filePath(folderUri);
      const project = root ? projects.find((p) => p.root === root) : undefined;
      if (!project) return null;
      const tasks = project.config.tasks.map((task) => {
        const entries = project.datasetFiles().map((f) => project.entry(f)).filter((e) => e !== undefined);
        const labels = new Map<string, { name: string }>();
        for (const e of entries) if (e.task === task) for (const l of project.effectiveTask(e).labels) labels.set(l.name, l);
        return { ...task, labels: [...labels.values()] };
      });
      return { uri: pathToFileURL(project.configPath).toString(), text: configText(tasks) };
    }),
  );

  connection.onShutdown(() => compactAllNow());
  connection.listen();
}
