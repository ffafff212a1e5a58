// The Loopmark extension: starts the language server and adds what LSP has no words for
// (label picker, next sample, status bar). All decisions are the server's.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  ACCEPT_ABOVE_COMMAND,
  APPLY_LABEL_COMMAND,
  BulkAcceptRequest,
  BulkPreviewRequest,
  InferredConfigRequest,
  LABEL_PICKER_COMMAND,
  LabelsChangedNotification,
  NextSampleRequest,
  SampleAtRequest,
  StatusRequest,
  VisibleRangesNotification,
  DocumentTextRequest,
  OPEN_FROM_DISK_KEY,
  OPEN_FROM_DISK_MIN_LENGTH,
  openFromDiskReference,
  type ApplyLabelArgs,
  type Decision,
  type OpenFromDisk,
  type SampleChoice,
} from '../../server/src/protocol';
import { ReviewQueueProvider, revealSample } from './reviewQueue';

let client: LanguageClient | undefined;
const openedByReference = new Set<string>();

function openDocument(uri: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri || client?.code2ProtocolConverter.asUri(d.uri) === uri);
}

/**
 * A large saved document is opened by reference: the didOpen carries no text and the server reads the
 * file (see OpenFromDisk). Serialising 48 MB into JSON costs the client about 350 ms and the server
 * 250 ms to receive; reading the file costs the server about 60 ms. Anything else is sent as is.
 */
function openByReference<P>(method: string, params: P): P {
  if (method !== 'textDocument/didOpen') return params;
  const item = (params as { textDocument?: { uri: string; version: number; text: string } }).textDocument;
  if (!item || typeof item.text !== 'string' || item.text.length < OPEN_FROM_DISK_MIN_LENGTH) return params;
  const document = openDocument(item.uri);
  if (!document || document.isDirty || document.uri.scheme !== 'file' || document.version !== item.version) return params;
  const reference: OpenFromDisk = openFromDiskReference(item.text);
  openedByReference.add(item.uri);
  return { ...(params as object), textDocument: { ...item, text: '' }, [OPEN_FROM_DISK_KEY]: reference } as P;
}

/** Exposed to the integration tests: the running client. */
export interface LoopmarkApi {
  client(): LanguageClient | undefined;
  /** The status bar item's text and whether it is shown. */
  status(): { text: string; visible: boolean };
  /** The Review Queue view's entries, as last shown. */
  queue(): ReviewQueueProvider;
  /** How often the server was restarted after a crash. */
  restarts(): number;
  /** The files the user was told VS Code does not give to extensions (over 50 MB). */
  tooLarge(): string[];
  /** The documents opened by reference (the server read them from disk). */
  openedByReference(): string[];
}

export async function activate(context: vscode.ExtensionContext): Promise<LoopmarkApi> {
  const log = vscode.window.createOutputChannel('Loopmark', { log: true });
  context.subscriptions.push(log);
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const settings = vscode.workspace.getConfiguration('loopmark');
  const annotator = settings.get<string>('annotator') || undefined;
  // A crashed server is restarted (its state comes back from the label files on disk), and the user is told.
  let restarts = 0;
  const recentCrashes: number[] = [];
  const clientOptions: LanguageClientOptions = {
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        const now = Date.now();
        recentCrashes.push(now);
        while (recentCrashes.length > 0 && now - recentCrashes[0]! > 3 * 60_000) recentCrashes.shift();
        if (recentCrashes.length > 5) {
          void vscode.window.showErrorMessage('Loopmark: the language server crashed 5 times in 3 minutes and will not be restarted. Labels already written are safe on disk. See the log for details.', 'Show Log').then((choice) => {
            if (choice) log.show();
          });
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        restarts++;
        void vscode.window.showWarningMessage('Loopmark: the language server stopped unexpectedly and was restarted. Every label acknowledged before is on disk.', 'Show Log').then((choice) => {
          if (choice) log.show();
        });
        return { action: CloseAction.Restart, handled: true };
      },
    },
    documentSelector: [
      { scheme: 'file', pattern: '**/*.jsonl' },
      { scheme: 'file', pattern: '**/loopmark.json' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.jsonl,loopmark.json}') },
    // A function: the client reads it again on every (re)start, so trust and settings are current.
    initializationOptions: () => {
      const external = vscode.workspace.getConfiguration('loopmark.externalModel');
      return {
        annotator,
        trusted: vscode.workspace.isTrusted,
        externalModel: {
          url: external.get<string>('url'),
          chatUrl: external.get<string>('chatUrl'),
          chatModel: external.get<string>('chatModel'),
          apiKey: external.get<string>('apiKey'),
          timeoutMs: external.get<number>('timeoutMs'),
          batchSize: external.get<number>('batchSize'),
        },
      };
    },
    outputChannel: log,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    markdown: { isTrusted: false, supportHtml: false },
    diagnosticPullOptions: { onChange: true, onSave: true, onTabs: false },
    middleware: {
      sendNotification: (type, next, params) => next(type, openByReference(typeof type === 'string' ? type : type.method, params)),
    },
  };
  client = new LanguageClient('loopmark', 'Loopmark', serverOptions, clientOptions);
  const lc = client;
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => void lc.restart()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('loopmark.externalModel')) void lc.restart();
    }),
  );

  const status = vscode.window.createStatusBarItem('loopmark.status', vscode.StatusBarAlignment.Left, 100);
  status.name = 'Loopmark';
  status.command = 'loopmark.nextSample';
  context.subscriptions.push(status);

  let statusVisible = false;
  const showStatus = (visible: boolean): void => {
    statusVisible = visible;
    if (visible) status.show();
    else status.hide();
  };

  /** The dataset the user looks at: the active text editor's, or a tab VS Code did not give to extensions (over 50 MB). */
  function activeDatasetUri(): vscode.Uri | undefined {
    const editor = vscode.window.activeTextEditor;
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    // A file VS Code keeps from extensions has a tab but no text editor; the last text editor may still be "active".
    if (input instanceof vscode.TabInputText && input.uri.path.endsWith('.jsonl') && input.uri.toString() !== editor?.document.uri.toString()) {
      return input.uri;
    }
    return editor?.document.uri;
  }

  async function updateStatus(): Promise<void> {
    const uri = activeDatasetUri();
    if (!uri || lc.state !== State.Running) {
      showStatus(false);
      return;
    }
    const result = await lc.sendRequest(StatusRequest.type, { uri: uri.toString() }).catch(() => null);
    await vscode.commands.executeCommand('setContext', 'loopmark.isDataset', result !== null);
    if (!result) {
      showStatus(false);
      return;
    }
    const model = result.model;
    const modelText = !model || model.state === 'off' ? '' : model.state === 'cold' ? ' · $(beaker) model: cold start' : ' · $(beaker) model';
    status.text = `$(tag) ${result.labeled}/${result.total} labeled${modelText}`;
    const modelTip = !model || model.state === 'off'
      ? `The embedded model is off for this task${model?.reason ? `: ${model.reason}` : ''}.`
      : model.state === 'cold'
        ? `The embedded model is in cold start: it needs ${model.minExamplesPerLabel} labels of each label (now: ${Object.entries(model.counts).map(([l, c]) => `${l} ${c}`).join(', ') || 'none'}). Until then its predictions show only in hovers.`
        : `The embedded model has learned from ${model.examples} labels.`;
    status.tooltip = `Loopmark · task ${result.task}: ${result.labeled} of ${result.total} samples labeled, ${result.needsReview} to review${result.errors ? `, ${result.errors} invalid lines` : ''}.\n${modelTip}\nClick for the next sample to review.`;
    showStatus(true);
  }

  async function applyDecision(uri: vscode.Uri, decision: Decision): Promise<void> {
    const args: ApplyLabelArgs = { uri: uri.toString(), decision };
    await lc.sendRequest(ExecuteCommandRequest.type, { command: APPLY_LABEL_COMMAND, arguments: [args] });
  }

  async function sampleAtCursor(at?: { uri: string; line: number }): Promise<{ uri: vscode.Uri; sample: SampleChoice } | undefined> {
    const editor = vscode.window.activeTextEditor;
    const uri = at ? vscode.Uri.parse(at.uri) : editor?.document.uri;
    const line = at ? at.line : editor?.selection.active.line;
    if (!uri || line === undefined) return undefined;
    const sample = await lc.sendRequest(SampleAtRequest.type, { uri: uri.toString(), line });
    if (!sample) {
      void vscode.window.showInformationMessage('Loopmark: the cursor is not on a sample of a dataset.');
      return undefined;
    }
    return { uri, sample };
  }

  let queueView: vscode.TreeView<unknown> | undefined;
  const queue = new ReviewQueueProvider(lc, (text) => {
    if (queueView) queueView.description = text;
  });
  queueView = vscode.window.createTreeView('loopmark.reviewQueue', { treeDataProvider: queue, showCollapseAll: false });
  context.subscriptions.push(queueView);
  let queueTimer: NodeJS.Timeout | undefined;
  const refreshQueue = (): void => {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(() => queue.refresh(), 150);
  };

  function sendVisibleRanges(editor: vscode.TextEditor): void {
    if (lc.state !== State.Running || !editor.document.uri.path.endsWith('.jsonl')) return;
    const ranges = editor.visibleRanges.map((r): [number, number] => [r.start.line, r.end.line]);
    void lc.sendNotification(VisibleRangesNotification.type, { uri: editor.document.uri.toString(), ranges });
  }
  let visibleTimer: NodeJS.Timeout | undefined;
  function sendVisibleRangesSoon(editor: vscode.TextEditor): void {
    clearTimeout(visibleTimer);
    visibleTimer = setTimeout(() => sendVisibleRanges(editor), 100);
  }

  // VS Code does not give extensions the text of files over 50 MB: say so, once per file.
  const warnedTooLarge = new Set<string>();
  async function warnIfTooLarge(): Promise<void> {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (!(input instanceof vscode.TabInputText) || !input.uri.path.endsWith('.jsonl')) return;
    const key = input.uri.toString();
    if (warnedTooLarge.has(key) || vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return;
    const stat = await vscode.workspace.fs.stat(input.uri).then((s) => s, () => undefined);
    if (!stat || stat.size < 50 * 1024 * 1024) return;
    warnedTooLarge.add(key);
    const name = path.basename(input.uri.path);
    const size = Math.round(stat.size / (1024 * 1024));
    const choice = await vscode.window.showInformationMessage(
      `Loopmark: ${name} is ${size} MB. VS Code does not give extensions files over 50 MB, so Loopmark cannot show diagnostics or quick fixes in this editor. The Review Queue, "Next Sample to Review", the status bar and the loopmark CLI still work on it (read from disk).`,
      'Open Review Queue',
    );
    if (choice) await vscode.commands.executeCommand('loopmark.reviewQueue.focus');
  }

  const plain = (text: string): string => text.replace(/\$\(/g, '$\u200b('); // no codicon markup from data

  /**
   * The label picker of a multi-label task: several labels can be chosen, the current set (labeled, else
   * predicted) is pre-selected, and what is chosen when accepting is the complete set (none: the empty
   * set). Label names and descriptions only, as plain text. Skipping is the quick fix's.
   */
  async function pickLabelSet(uri: vscode.Uri, sample: SampleChoice): Promise<void> {
    type Item = vscode.QuickPickItem & { name: string };
    const predicted = sample.predictedLabels;
    const current = new Set(sample.currentLabels ?? predicted ?? []);
    const items: Item[] = sample.labels.map((label) => {
      const p = sample.scores?.[label.name];
      const notes = [
        predicted?.includes(label.name) ? `predicted${p === undefined ? '' : ` ${p.toFixed(2)}`}` : p === undefined ? '' : p.toFixed(2),
        sample.currentLabels?.includes(label.name) ? 'current' : '',
      ];
      return {
        label: plain(label.name),
        description: notes.filter(Boolean).join(' · '),
        detail: label.description ? plain(label.description) : undefined,
        picked: current.has(label.name),
        name: label.name,
      };
    });
    // Labels of the current set that loopmark.json no longer declares stay visible (ticked), so that
    // accepting never drops them unseen: the annotator keeps or unticks them.
    const declared = new Set(sample.labels.map((l) => l.name));
    for (const name of sample.currentLabels ?? []) {
      if (!declared.has(name)) items.push({ label: plain(name), description: 'current · not in the label set of loopmark.json', picked: true, name });
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: `Labels of sample ${plain(sample.sampleId)}`,
      placeHolder: 'Choose every label that applies (none: the sample has none of them)',
      canPickMany: true,
      matchOnDetail: true,
    });
    if (!picked) return;
    const labels = picked.map((item) => item.name).sort();
    await applyDecision(uri, {
      sampleId: sample.sampleId,
      labels,
      answer: 'accept',
      ...(sample.score === undefined ? {} : { score: sample.score }),
    });
  }

  context.subscriptions.push(
    vscode.commands.registerCommand('loopmark.acceptPrediction', async () => {
      const at = await sampleAtCursor();
      if (!at) return;
      if (at.sample.predictedLabel === undefined) {
        void vscode.window.showInformationMessage('Loopmark: this sample has no prediction to accept; use "Label Sample" instead.');
        return;
      }
      await applyDecision(at.uri, {
        sampleId: at.sample.sampleId,
        // A multi-label task accepts the whole predicted set.
        ...(at.sample.multiLabel ? { labels: at.sample.predictedLabels ?? [] } : { label: at.sample.predictedLabel }),
        answer: 'accept',
        ...(at.sample.score === undefined ? {} : { score: at.sample.score }),
      });
    }),
    vscode.commands.registerCommand(LABEL_PICKER_COMMAND, async (uriText?: string, line?: number) => {
      const at = await sampleAtCursor(typeof uriText === 'string' && typeof line === 'number' ? { uri: uriText, line } : undefined);
      if (!at) return;
      const { sample } = at;
      if (sample.multiLabel) {
        await pickLabelSet(at.uri, sample);
        return;
      }
      type Item = vscode.QuickPickItem & { decision: Decision };
      const withScore = sample.score === undefined ? {} : { score: sample.score };
      const items: Item[] = sample.labels.map((label) => {
        const predicted = label.name === sample.predictedLabel;
        return {
          label: plain(label.name),
          description: [predicted ? `predicted ${sample.score?.toFixed(2)}` : '', label.name === sample.currentLabel ? 'current' : ''].filter(Boolean).join(' · '),
          detail: label.description ? plain(label.description) : undefined,
          decision: {
            sampleId: sample.sampleId,
            label: label.name,
            answer: 'accept',
            ...withScore,
          },
        };
      });
      items.push({
        label: 'Skip',
        description: 'answer: ignore',
        decision: { sampleId: sample.sampleId, label: sample.predictedLabel ?? '', answer: 'ignore', ...withScore },
      });
      const picked = await vscode.window.showQuickPick(items, { title: `Label sample ${plain(sample.sampleId)}`, placeHolder: 'Choose a label', matchOnDetail: true });
      if (picked) await applyDecision(at.uri, picked.decision);
    }),
    vscode.commands.registerCommand('loopmark.nextSample', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return;
      const next = await lc.sendRequest(NextSampleRequest.type, { uri: editor.document.uri.toString(), line: editor.selection.active.line });
      if (!next) {
        void vscode.window.showInformationMessage('Loopmark: no sample left to review here.');
        return;
      }
      await revealSample(next);
    }),
    vscode.commands.registerCommand('loopmark.writeConfig', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) return;
      const result = await lc.sendRequest(InferredConfigRequest.type, { folderUri: folder.uri.toString() });
      if (!result) return;
      const uri = vscode.Uri.parse(result.uri);
      const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
      if (exists) {
        const choice = await vscode.window.showWarningMessage('loopmark.json already exists. Replace it with the inferred configuration?', { modal: true }, 'Replace');
        if (choice !== 'Replace') return;
      }
      await vscode.workspace.fs.writeFile(uri, Buffer.from(result.text, 'utf8'));
      await vscode.window.showTextDocument(uri);
    }),
    vscode.commands.registerCommand('loopmark.showOutput', () => log.show()),
    vscode.commands.registerCommand('loopmark.revealSample', (entry: { uri: string; line: number }) => revealSample(entry)),
    vscode.commands.registerCommand('loopmark.refreshQueue', () => queue.refresh()),
    vscode.commands.registerCommand(ACCEPT_ABOVE_COMMAND, async (uriText?: string, threshold?: number) => {
      const uri = uriText ?? vscode.window.activeTextEditor?.document.uri.toString();
      if (!uri) return;
      const answer = await vscode.window.showInputBox({
        title: 'Accept all predictions above a score',
        prompt: 'Minimum score (0 to 1) of the predictions to accept in this file',
        value: String(threshold ?? 0.9),
        validateInput: (v) => (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1 ? undefined : 'A number between 0 and 1'),
      });
      if (answer === undefined) return;
      const minScore = Number(answer);
      const preview = await lc.sendRequest(BulkPreviewRequest.type, { uri, minScore });
      if (preview.count === 0) {
        void vscode.window.showInformationMessage(`Loopmark: no unlabeled sample has a prediction scoring ${minScore} or more.`);
        return;
      }
      const split = Object.entries(preview.byLabel).map(([label, n]) => `${n} ${plain(label)}`).join(', ');
      const choice = await vscode.window.showWarningMessage(
        `Accept ${preview.count} predictions with a score of ${minScore} or more (${split})?`,
        { modal: true, detail: 'Each becomes a label written to the label file, as if accepted one by one.' },
        'Accept',
      );
      if (choice !== 'Accept') return;
      const { written } = await lc.sendRequest(BulkAcceptRequest.type, { uri, minScore });
      void vscode.window.showInformationMessage(`Loopmark: accepted ${written} predictions.`);
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      void updateStatus();
      refreshQueue();
      if (editor) sendVisibleRanges(editor);
    }),
    vscode.window.onDidChangeTextEditorVisibleRanges(({ textEditor }) => sendVisibleRangesSoon(textEditor)),
    vscode.window.tabGroups.onDidChangeTabs(() => {
      // The event can come before the active tab is updated: look again a moment later.
      setTimeout(() => {
        void warnIfTooLarge();
        void updateStatus();
      }, 100);
    }),
    lc.onRequest(DocumentTextRequest.type, ({ uri }) => {
      const document = openDocument(uri);
      return document ? { version: document.version, text: document.getText() } : null;
    }),
    lc.onNotification(LabelsChangedNotification.type, () => {
      void updateStatus();
      refreshQueue();
    }),
    lc.onDidChangeState((event) => {
      if (event.newState === State.Running) void updateStatus();
    }),
  );

  await lc.start();
  await updateStatus();
  void warnIfTooLarge();
  if (vscode.window.activeTextEditor) sendVisibleRanges(vscode.window.activeTextEditor);
  return { client: () => client, status: () => ({ text: status.text, visible: statusVisible }), queue: () => queue, restarts: () => restarts, tooLarge: () => [...warnedTooLarge], openedByReference: () => [...openedByReference] };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
