// A minimal LSP client that drives the built server (`loopmark lsp --stdio`) over real pipes, as an
// editor other than VS Code would.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  createProtocolConnection,
  DocumentDiagnosticRequest,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  type CodeAction,
  type Diagnostic,
  type DidOpenTextDocumentParams,
  type FullDocumentDiagnosticReport,
  type Hover,
  type ProtocolConnection,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { REPO } from '../helpers/workspace';
import { openFromDiskReference, OPEN_FROM_DISK_KEY, type OpenFromDisk } from '../../server/src/protocol';

/** The package's `bin`, as users run it (not the bundle it loads). */
export const CLI = path.join(REPO, 'bin', 'loopmark.js');

export function uriOf(file: string): string {
  return pathToFileURL(file).toString();
}

export class LspClient {
  refreshes = 0;
  notifications: Array<{ method: string; params: unknown }> = [];
  stderr = '';
  private versions = new Map<string, number>();

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
  ) {}

  /** What the server asked this client to register (client/registerCapability). */
  registrations: Array<{ method: string; registerOptions?: unknown }> = [];

  /** The capabilities the server answered `initialize` with. */
  capabilities: Record<string, unknown> = {};

  /**
   * Starts the built server through the package bin. `diagnostics: 'push'` announces no pull support,
   * as Neovim before 0.10, eglot, Sublime LSP and Helix do: the server then publishes diagnostics.
   */
  static async start(root: string, options: { annotator?: string; env?: NodeJS.ProcessEnv; initializationOptions?: unknown; diagnostics?: 'pull' | 'push'; server?: string; watchesFiles?: boolean } = {}): Promise<LspClient> {
    // `server`: another built server script (a test's own kind registered), else the package bin.
    const args = options.server ? [options.server, '--stdio'] : [CLI, 'lsp', '--stdio', ...(options.annotator ? ['--annotator', options.annotator] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(child, connection);
    child.stderr!.on('data', (chunk: Buffer) => (client.stderr += chunk.toString()));
    connection.onRequest('client/registerCapability', (params: { registrations: Array<{ method: string; registerOptions?: unknown }> }) => {
      client.registrations.push(...params.registrations);
      return null;
    });
    connection.onRequest('workspace/diagnostic/refresh', () => {
      client.refreshes++;
      return null;
    });
    (connection as unknown as { onNotification(handler: (method: string, params: unknown) => void): void }).onNotification((method, params) =>
      client.notifications.push({ method, params }),
    );
    connection.listen();
    const codeAction = { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } };
    const workspace = options.watchesFiles ? { didChangeWatchedFiles: { dynamicRegistration: true } } : {};
    const capabilities = options.diagnostics === 'push'
      ? { textDocument: { codeAction, publishDiagnostics: { versionSupport: true } }, workspace }
      : { textDocument: { diagnostic: { dynamicRegistration: false }, codeAction }, workspace: { diagnostics: { refreshSupport: true }, ...workspace } };
    const result = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uriOf(root),
      workspaceFolders: [{ uri: uriOf(root), name: path.basename(root) }],
      capabilities,
      ...(options.initializationOptions === undefined ? {} : { initializationOptions: options.initializationOptions }),
    });
    client.capabilities = result.capabilities as Record<string, unknown>;
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  async open(file: string, text: string, languageId = 'jsonl'): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /**
   * Opens a document the way the VS Code client opens a large saved one: by reference, with its
   * length and fingerprint and no text (the server reads the file). `text` is what the editor holds.
   */
  async openByReference(file: string, text: string, languageId = 'jsonl'): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    const reference: OpenFromDisk = openFromDiskReference(text);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version: 1, text: '' },
      [OPEN_FROM_DISK_KEY]: reference,
    } as DidOpenTextDocumentParams);
    return uri;
  }

  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
  }

  async fileChanged(file: string, type: FileChangeType = FileChangeType.Changed): Promise<void> {
    await this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(file), type }] });
  }

  async diagnostics(uri: string): Promise<Diagnostic[]> {
    const report = (await this.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } })) as FullDocumentDiagnosticReport;
    return report.items;
  }

  /** The diagnostics last published for a document (push clients), with the version they are for. */
  published(uri: string): { version?: number; diagnostics: Diagnostic[] } | undefined {
    for (let i = this.notifications.length - 1; i >= 0; i--) {
      const n = this.notifications[i]!;
      if (n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri) return n.params as { version?: number; diagnostics: Diagnostic[] };
    }
    return undefined;
  }

  /** How many diagnostics notifications the server published for a document so far. */
  publishCount(uri: string): number {
    return this.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri).length;
  }

  async codeActions(uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
    const result = await this.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    });
    return (result ?? []) as CodeAction[];
  }

  async run(action: CodeAction): Promise<unknown> {
    if (!action.command) throw new Error(`code action ${action.title} has no command`);
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command: action.command.command, arguments: action.command.arguments ?? [] });
  }

  async hover(uri: string, line: number, character = 0): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the process may already be gone
    }
    this.connection.dispose();
    if (this.process.exitCode === null) this.process.kill();
  }
}
