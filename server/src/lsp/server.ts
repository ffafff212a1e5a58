// The Loopmark language server: the capabilities, and one line per feature. It wires LSP to the
// workspace service (core/workspace/service.ts); every decision is made there or in a task kind.
import { pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  ErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { withExternalPredictions } from '../core/external/predictor';
import { WorkspaceService } from '../core/workspace/service';
import { workerGlob } from '../parallelGlob';
import { workerIndexSteps } from '../parallelIndex';
import { ACCEPT_ABOVE_KIND, LabelsChangedNotification } from '../protocol';
import { filePath, type ServerContext } from './context';
import { OpenDocuments } from './documents';
import { listenBulk } from './features/bulk';
import { listenCodeActions } from './features/codeActions';
import { listenCommands, SERVER_COMMANDS } from './features/commands';
import { DiagnosticsFeature } from './features/diagnostics';
import { listenHover } from './features/hover';
import { listenInferredConfig } from './features/inferredConfig';
import { listenQueue } from './features/queue';
import { listenSampleAt } from './features/sampleAt';
import { listenStatus } from './features/status';
import { WatchedFilesFeature } from './features/watchedFiles';

export interface ServerOptions {
  annotator?: string;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  let initOptions: unknown;
  let diagnostics: DiagnosticsFeature | undefined;
  const refresh = (uri?: string): void => {
    diagnostics?.refresh(uri);
    void connection.sendNotification(LabelsChangedNotification.type, uri ? { uri } : {});
  };
  let documents: OpenDocuments | undefined;
  const service = new WorkspaceService({
    ...(options.annotator ? { annotator: options.annotator } : {}),
    largeFileSteps: workerIndexSteps,
    globFiles: workerGlob,
    // An external model (trusted workspaces only) wins over the embedded one once its answer arrived.
    predictor: (project, models) => withExternalPredictions(project, models, initOptions, { log: (m) => connection.console.log(m), onUpdate: () => refresh() }),
    log: (message) => connection.console.log(message),
    error: (message) => connection.console.error(message),
    reading: (file) => documents?.reading(file),
    changed: (file) => refresh(file === undefined ? undefined : pathToFileURL(file).toString()),
  });
  const context: ServerContext = {
    connection,
    service,
    get documents() {
      return documents!;
    },
    refresh,
  };
  documents = new OpenDocuments(context);
  diagnostics = new DiagnosticsFeature(context, documents);
  const watchedFiles = new WatchedFilesFeature(context);

  let initializeSeen = false;
  connection.onInitialize((params: InitializeParams): InitializeResult => {
    // A second `initialize` would open every folder twice (two writers of the same label files).
    if (initializeSeen) throw new ResponseError(ErrorCodes.InvalidRequest, 'Loopmark: the server is already initialized');
    initializeSeen = true;
    initOptions = params.initializationOptions;
    const annotator = params.initializationOptions?.annotator as string | undefined;
    if (!options.annotator && typeof annotator === 'string' && annotator) service.annotator = annotator;
    diagnostics!.initialize(params);
    watchedFiles.initialize(params);
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    for (const uri of folders) {
      const root = filePath(uri);
      if (root) service.addFolder(root);
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        ...diagnostics!.capabilities(),
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, ACCEPT_ABOVE_KIND] },
        hoverProvider: true,
        executeCommandProvider: { commands: SERVER_COMMANDS },
      },
      serverInfo: { name: 'loopmark', version: '0.1.0' },
    };
  });

  let initializedSeen = false;
  connection.onInitialized(() => {
    // A client that sends `initialized` again gets no second training run.
    if (initializedSeen) return;
    initializedSeen = true;
    // The server's own watcher scans the folders (a stat per file) once the first training is done,
    // so the two do not compete at start; a change made meanwhile is caught when the watcher is ready.
    void service.start().finally(() => watchedFiles.start());
  });

  documents.listen();
  diagnostics.listen();
  listenCodeActions(context);
  listenCommands(context);
  listenHover(context);
  listenQueue(context);
  listenStatus(context);
  listenSampleAt(context);
  listenBulk(context);
  listenInferredConfig(context);
  watchedFiles.listen();
  connection.onShutdown(() => {
    watchedFiles.dispose();
    service.compactAllNow();
  });
  connection.listen();
}
