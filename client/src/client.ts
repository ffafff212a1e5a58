// Starting the language client: how the server runs, which documents it gets (every file of the
// workspace folders: the server alone knows which files its tasks read, and ignores the others),
// what it is told at start, how a crash is handled, and opening large saved documents by reference.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { DocumentTextRequest, OPEN_FROM_DISK_KEY, OPEN_FROM_DISK_MIN_LENGTH, openFromDiskReference, type OpenFromDisk } from '../../server/src/protocol';

/** The running client and what the integration tests read of it. */
export interface StartedClient {
  client: LanguageClient;
  /** How often the server was restarted after a crash. */
  restarts(): number;
  /** The documents opened by reference (the server read them from disk). */
  openedByReference(): string[];
}

/** The document an editor holds under this URI (as VS Code or the protocol spells it). */
function openDocument(client: LanguageClient, uri: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri || client.code2ProtocolConverter.asUri(d.uri) === uri);
}

/**
 * A large saved document is opened by reference: the didOpen carries no text and the server reads the
 * file (see OpenFromDisk). Serialising 48 MB into JSON costs the client about 350 ms and the server
 * 250 ms to receive; reading the file costs the server about 60 ms. Anything else is sent as is.
 */
function openByReference<P>(client: LanguageClient, opened: Set<string>, method: string, params: P): P {
  if (method !== 'textDocument/didOpen') return params;
  const item = (params as { textDocument?: { uri: string; version: number; text: string } }).textDocument;
  if (!item || typeof item.text !== 'string' || item.text.length < OPEN_FROM_DISK_MIN_LENGTH) return params;
  const document = openDocument(client, item.uri);
  if (!document || document.isDirty || document.uri.scheme !== 'file' || document.version !== item.version) return params;
  const reference: OpenFromDisk = openFromDiskReference(item.text);
  opened.add(item.uri);
  return { ...(params as object), textDocument: { ...item, text: '' }, [OPEN_FROM_DISK_KEY]: reference } as P;
}

/** Creates the client (not started yet); it restarts when the workspace is trusted or the external model changes. */
export function createClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): StartedClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const annotator = vscode.workspace.getConfiguration('loopmark').get<string>('annotator') || undefined;
  const openedByReference = new Set<string>();
  // A crashed server is restarted (its state comes back from the label files on disk), and the user is told.
  let restarts = 0;
  const recentCrashes: number[] = [];
  let client: LanguageClient | undefined;
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
    // Every file on disk, whatever its language: a task's `files` decide what is a dataset (a spans
    // task reads source files), and the server drops a document no task reads at open (Project.taskOf,
    // one glob match), so the client repeats none of loopmark.json.
    documentSelector: [{ scheme: 'file' }],
    // Label files, predictions sidecars and datasets are named by loopmark.json's tasks and templates,
    // which only the server reads: every change is reported and the server sorts them out.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*') },
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
      sendNotification: (type, next, params) => next(type, client ? openByReference(client, openedByReference, typeof type === 'string' ? type : type.method, params) : params),
    },
  };
  client = new LanguageClient('loopmark', 'Loopmark', serverOptions, clientOptions);
  const lc = client;
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => void lc.restart()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('loopmark.externalModel')) void lc.restart();
    }),
    // The slow path of open by reference: the disk did not hold the editor's text.
    lc.onRequest(DocumentTextRequest.type, ({ uri }) => {
      const document = openDocument(lc, uri);
      return document ? { version: document.version, text: document.getText() } : null;
    }),
  );
  return { client: lc, restarts: () => restarts, openedByReference: () => [...openedByReference] };
}
