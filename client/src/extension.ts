// The Loopmark extension: starts the language server and adds what LSP has no words for (label
// picker, next sample, bulk accept, status bar, Review Queue). It only wires the parts; every
// decision (which files are datasets, what a label means, what comes next) is the server's.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { LabelsChangedNotification } from '../../server/src/protocol';
import { createClient } from './client';
import { registerBulkAccept } from './commands/bulkAccept';
import { registerLabelCommands } from './commands/label';
import { registerNextSample } from './commands/nextSample';
import { registerWriteConfig } from './commands/writeConfig';
import { Datasets } from './datasets';
import { VisibleRanges } from './visibleRanges';
import { createReviewQueue, type ReviewQueueProvider } from './views/reviewQueue';
import { StatusBar } from './views/statusBar';
import { TooLargeNotice } from './views/tooLarge';

let client: LanguageClient | undefined;

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
  const started = createClient(context, log);
  const lc = started.client;
  client = lc;

  const datasets = new Datasets(lc);
  const status = new StatusBar(lc, datasets);
  const visible = new VisibleRanges(lc, datasets);
  const tooLarge = new TooLargeNotice(datasets);
  const queue = createReviewQueue(context, lc);
  context.subscriptions.push(status, visible);

  registerLabelCommands(context, lc);
  registerNextSample(context, lc);
  registerBulkAccept(context, lc);
  registerWriteConfig(context, lc);
  context.subscriptions.push(
    vscode.commands.registerCommand('loopmark.showOutput', () => log.show()),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      // The status answer says whether the editor holds a dataset; its visible lines follow.
      void status.update().then(() => (editor ? visible.send(editor) : undefined));
      queue.refreshSoon();
    }),
    vscode.window.onDidChangeTextEditorVisibleRanges(({ textEditor }) => visible.sendSoon(textEditor)),
    vscode.window.tabGroups.onDidChangeTabs(() => {
      // The event can come before the active tab is updated: look again a moment later.
      setTimeout(() => {
        void tooLarge.check();
        void status.update();
      }, 100);
    }),
    lc.onNotification(LabelsChangedNotification.type, ({ uri }) => {
      // Without a uri: the config, a model or files on disk changed, and with them perhaps which files are datasets.
      if (uri === undefined) datasets.forget();
      void status.update();
      queue.refreshSoon();
    }),
    lc.onDidChangeState((event) => {
      if (event.newState === State.Running) void status.update();
    }),
  );

  await lc.start();
  await status.update();
  void tooLarge.check();
  if (vscode.window.activeTextEditor) void visible.send(vscode.window.activeTextEditor);
  return {
    client: () => client,
    status: () => status.shown(),
    queue: () => queue.provider,
    restarts: started.restarts,
    tooLarge: () => tooLarge.files(),
    openedByReference: started.openedByReference,
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
