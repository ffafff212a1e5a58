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
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { isReviewCode, labelActions, type Finding, type SampleData } from './core/analysis';
import { configText, CONFIG_FILE } from './core/config';
import { hoverMarkdown } from './core/hover';
import { Learner } from './core/learner';
import { isInside } from './core/paths';
import { withExternalPredictions } from './externalPredictions';
import { excerpt } from './core/jsonl';
import { CancelledError, FOCUS_THRESHOLD_LINES, Project } from './core/project';
import { reviewQueueSteps, type QueueItem } from './core/reviewQueue';
import { drive } from './core/slicer';
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
} from './protocol';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const ANSWERS = new Set(['accept', 'reject', 'ignore']);
const SOURCES = new Set(['prediction', 'correction', 'manual']);

/** A decision from a client is checked before anything is written. */
function isDecision(value: unknown): value is ApplyLabelArgs['decision'] {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  return typeof d['sampleId'] === 'string' && d['sampleId'] !== '' && typeof d['label'] === 'string'
    && ANSWERS.has(d['answer'] as string) && SOURCES.has(d['source'] as string)
    && (d['score'] === undefined || (typeof d['score'] === 'number' && Number.isFinite(d['score'])));
}

/** Source action: accept every prediction above a score in the current file. */
const ACCEPT_ABOVE_KIND = `${CodeActionKind.Source}.loopmark.acceptAbove`;

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

  connection.onInitialize((params: InitializeParams): InitializeResult => {
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

  connection.onInitialized(() => {
    for (const p of projects) {
      log(`Loopmark: ${p.root}: ${p.config.declared ? 'loopmark.json' : 'inferred task'}, annotator ${p.annotator}`);
      void train(p);
    }
  });

  function toQueueEntry(item: QueueItem): QueueEntry {
    const entry: QueueEntry = { uri: pathToFileURL(item.path).toString(), line: item.line, sampleId: item.sampleId, excerpt: excerpt(item.text, 80) };
    if (item.prediction) {
      entry.label = item.prediction.label;
      entry.score = item.prediction.score;
      entry.origin = item.prediction.origin;
    }
    if (item.model && !item.model.coldStart && item.file && item.model.label !== item.file.label) entry.disagreement = `model '${item.model.label}', file '${item.file.label}'`;
    return entry;
  }

  connection.onDidOpenTextDocument(({ textDocument }) => {
    const at = located(textDocument.uri);
    if (!at) return;
    openVersions.set(textDocument.uri, textDocument.version);
    guarded('opening a document', () => {
      if (path.basename(at.file) === CONFIG_FILE && path.dirname(at.file) === at.project.root) {
        if (at.project.reloadConfig(textDocument.text)) refresh();
        return;
      }
      at.project.open(at.file, textDocument.text);
    });
  });

  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    const at = located(textDocument.uri);
    if (!at) return;
    openVersions.set(textDocument.uri, textDocument.version);
    guarded('applying an edit', () => {
      if (path.basename(at.file) === CONFIG_FILE && path.dirname(at.file) === at.project.root) {
        const last = contentChanges[contentChanges.length - 1];
        if (last && !('range' in last)) at.project.reloadConfig(last.text);
        else connection.console.warn('Loopmark: expected full text for loopmark.json');
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
  });

  connection.onDidCloseTextDocument(({ textDocument }) => {
    openVersions.delete(textDocument.uri);
    const at = located(textDocument.uri);
    if (!at) return;
    if (at.file === at.project.configPath) at.project.reloadConfig();
    else at.project.close(at.file);
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    let changed = false;
    const retrain = new Set<Project>();
    for (const change of changes) {
      const at = located(change.uri);
      if (!at) continue;
      if (at.file === at.project.configPath) {
        if (!openVersions.has(change.uri)) at.project.reloadConfig();
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

  connection.languages.diagnostics.on((params, token) =>
    guarded('computing diagnostics', () => {
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
          const status = at.project.status(at.file);
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
    }),
  );

  connection.onCodeAction((params) =>
    guarded('listing code actions', () => {
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
    }),
  );

  connection.onExecuteCommand((params) =>
    guarded('writing a label', () => {
      if (params.command !== APPLY_LABEL_COMMAND) return null;
      const args = params.arguments?.[0] as ApplyLabelArgs | undefined;
      const at = args && typeof args.uri === 'string' ? located(args.uri) : undefined;
      if (!args || !at || !isDecision(args.decision)) {
        throw new ResponseError(ErrorCodes.InvalidParams, 'Loopmark: the label command needs {uri, decision: {sampleId, label, answer, source, score?}}');
      }
      const record = at.project.applyLabel(at.file, args.decision);
      const entry = at.project.entry(at.file);
      if (entry) {
        scheduleCompaction(at.project, entry.labelPath);
        learn(at.project, entry, [record]);
      }
      refresh(args.uri);
      return record;
    }),
  );

  function learn(project: Project, entry: DatasetEntry, records: readonly LabelRecord[]): void {
    const learner = learners.get(project);
    if (!learner) return;
    for (const record of records) {
      const line = entry.dataset.linesOf(record.id)[0];
      const sample = line === undefined ? undefined : entry.dataset.sampleAt(line);
      if (sample) learner.learn(entry.task, sample, record);
    }
  }

  async function queueFor(project: Project, task: Task, n: number, token: { isCancellationRequested: boolean }, skip?: Set<string>): Promise<QueueItem[]> {
    for (const file of project.datasetFiles()) await prepare(project, file);
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
      await prepare(at.project, at.file);
      const decisions = await drive(at.project.acceptableAboveSteps(at.file, minScore), () => token.isCancellationRequested);
      const byLabel: Record<string, number> = Object.create(null);
      for (const d of decisions) byLabel[d.label] = (byLabel[d.label] ?? 0) + 1;
      return { count: decisions.length, byLabel };
    }),
  );

  connection.onRequest(BulkAcceptRequest.type, ({ uri, minScore }, token) =>
    guarded('accepting predictions', async () => {
      const at = located(uri);
      if (!at) return { written: 0 };
      await prepare(at.project, at.file);
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

  connection.onHover((params) =>
    guarded('computing a hover', () => {
      const at = located(params.textDocument.uri);
      const info = at?.project.sampleInfo(at.file, params.position.line);
      if (!info) return null;
      return { contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(info) } };
    }),
  );

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

  connection.onRequest(SampleAtRequest.type, ({ uri, line }) =>
    guarded('finding the sample', () => {
      const at = located(uri);
      const info = at?.project.sampleInfo(at.file, line);
      if (!info) return null;
      return {
        sampleId: info.sample.id,
        line,
        labels: info.task.labels,
        ...(info.shown ? { predictedLabel: info.shown.label, score: info.shown.score } : {}),
        ...(info.current ? { currentLabel: info.current.label } : {}),
      };
    }),
  );

  connection.onRequest(NextSampleRequest.type, ({ uri, line }, token) =>
    guarded('finding the next sample', async () => {
      const at = located(uri);
      if (!at) return null;
      const task = at.project.taskOf(at.file);
      if (!task) return null;
      await prepare(at.project, at.file);
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
