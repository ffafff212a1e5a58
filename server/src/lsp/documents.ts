// Open documents: didOpen / didChange / didClose into the workspace service, loopmark.json kept as
// text (its edits arrive as increments like any document's), and documents opened by reference
// (OpenFromDisk): read from disk in slices while edits that arrive meanwhile wait.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DidChangeTextDocumentParams, TextDocumentItem } from 'vscode-languageserver/node';
import { CONFIG_FILE } from '../core/config';
import type { DatasetEntry } from '../core/workspace/folder';
import type { Located } from '../core/workspace/service';
import { DocumentTextRequest, OPEN_FROM_DISK_KEY, type OpenFromDisk } from '../protocol';
import { guarded, located, type Documents, type ServerContext } from './context';
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

function isConfig(at: Located): boolean {
  return path.basename(at.file) === CONFIG_FILE && path.dirname(at.file) === at.project.root;
}

export class OpenDocuments implements Documents {
  private readonly versions = new Map<string, number>();
  /** loopmark.json as the editor holds it: its edits are applied here, then the config is re-read. */
  private readonly configs = new Map<string, TextDocument>();
  /** Documents opened by reference whose text is still being read, with the edits that came meanwhile. */
  private readonly loading = new Map<string, Loading>();

  private readonly changeListeners: Array<(uri: string) => void> = [];
  private readonly closeListeners: Array<(uri: string) => void> = [];

  constructor(private readonly context: ServerContext) {}

  /** Called after a document's text changed (opened, edited, read from disk). */
  onChange(listener: (uri: string) => void): void {
    this.changeListeners.push(listener);
  }

  onClose(listener: (uri: string) => void): void {
    this.closeListeners.push(listener);
  }

  private emit(listeners: ReadonlyArray<(uri: string) => void>, uri: string): void {
    for (const listener of listeners) listener(uri);
  }

  listen(): void {
    const { connection } = this.context;
    connection.onDidOpenTextDocument((params) => {
      this.opened(params.textDocument, (params as unknown as Record<string, unknown>)[OPEN_FROM_DISK_KEY] as OpenFromDisk | undefined);
      this.emit(this.changeListeners, params.textDocument.uri);
    });
    connection.onDidChangeTextDocument((params) => {
      this.changed(params);
      this.emit(this.changeListeners, params.textDocument.uri);
    });
    connection.onDidCloseTextDocument(({ textDocument }) => {
      this.closed(textDocument.uri);
      this.emit(this.closeListeners, textDocument.uri);
    });
  }

  async loaded(uri: string): Promise<void> {
    await this.loading.get(uri)?.done;
  }

  isOpen(uri: string): boolean {
    return this.versions.has(uri);
  }

  openUris(): string[] {
    return [...this.versions.keys()];
  }

  version(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  /** A document of `file` is being read by reference: requests that need the whole dataset wait for it. */
  reading(file: string): Promise<void> | undefined {
    for (const state of this.loading.values()) if (state.file === file) return state.done;
    return undefined;
  }

  /**
   * While a document opened by reference is read: waits until `needed()` of its lines are known to be
   * the editor's, then an entry over them (for the first diagnostics), or undefined when the document
   * is read (or edited, or closed) by then: the caller answers in full.
   */
  async preview(uri: string, at: Located, needed: () => number, token: { isCancellationRequested: boolean }): Promise<{ entry: DatasetEntry; trusted: number; done: Promise<void> } | undefined> {
    const state = this.loading.get(uri);
    if (!state) return undefined;
    // Only lines known to be the editor's: the head, once its hash matched.
    while (!state.finished && !state.closed && state.trusted < needed() && !token.isCancellationRequested) await new Promise<void>((resolve) => state.waiters.push(resolve));
    if (state.finished || state.closed || state.pending.length > 0 || token.isCancellationRequested) return undefined;
    // The findings get a turn of their own, apart from the slice that woke us.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const entry = at.project.previewEntry(at.file, state.lines.slice(0, state.trusted));
    return entry ? { entry, trusted: state.trusted, done: state.done } : undefined;
  }

  private opened(textDocument: TextDocumentItem, reference: OpenFromDisk | undefined): void {
    const at = located(this.context, textDocument.uri);
    if (!at) return;
    this.versions.set(textDocument.uri, textDocument.version);
    if (isConfig(at)) {
      const document = TextDocument.create(textDocument.uri, 'json', textDocument.version, textDocument.text);
      this.configs.set(textDocument.uri, document);
      guarded(this.context, 'reading loopmark.json', () => this.context.service.configChanged(at.project, document.getText()));
      return;
    }
    if (reference && Number.isInteger(reference.length) && typeof reference.fingerprint === 'string') {
      // A file no task reads is not read either (its text would be dropped, as a full-text open's is).
      if (at.project.taskOf(at.file)) this.openFromDisk(at, textDocument, reference);
      return;
    }
    guarded(this.context, 'opening a document', () => at.project.open(at.file, textDocument.text));
  }

  private changed(params: DidChangeTextDocumentParams): void {
    const at = located(this.context, params.textDocument.uri);
    if (!at) return;
    this.versions.set(params.textDocument.uri, params.textDocument.version);
    const state = this.loading.get(params.textDocument.uri);
    if (state) state.pending.push(params);
    else this.apply(at, params);
  }

  private apply(at: Located, { textDocument, contentChanges }: DidChangeTextDocumentParams): void {
    guarded(this.context, 'applying an edit', () => {
      const config = this.configs.get(textDocument.uri);
      if (config) {
        // VS Code sends increments, as the server asked; the config is re-read from the whole text.
        const updated = TextDocument.update(config, contentChanges, textDocument.version);
        this.configs.set(textDocument.uri, updated);
        this.context.service.configChanged(at.project, updated.getText());
        this.context.refresh();
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

  private closed(uri: string): void {
    this.versions.delete(uri);
    const state = this.loading.get(uri);
    if (state) {
      state.closed = true;
      this.loading.delete(uri);
    }
    const at = located(this.context, uri);
    if (!at) return;
    if (this.configs.delete(uri)) this.context.service.configChanged(at.project);
    else at.project.close(at.file);
  }

  /**
   * Reads a document opened by reference (OpenFromDisk) and opens it; edits that arrive meanwhile
   * wait in `pending`. When the disk does not hold the editor's text (fingerprint), the server asks
   * the client for the text: the slow path, but never a wrong one.
   */
  private openFromDisk(at: Located, textDocument: TextDocumentItem, reference: OpenFromDisk): void {
    const { connection } = this.context;
    const log = (message: string): void => connection.console.log(message);
    const uri = textDocument.uri;
    const state: Loading = { file: at.file, pending: [], closed: false, finished: false, lines: [], trusted: 0, waiters: [], done: Promise.resolve() };
    const wake = (): void => {
      for (const waiter of state.waiters.splice(0)) waiter();
    };
    this.loading.set(uri, state);
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
      const text = content;
      guarded(this.context, 'opening a document', () => at.project.open(at.file, text));
      for (const change of state.pending) if (change.textDocument.version > version) this.apply(at, change);
      log(`Loopmark: ${at.file} opened from disk in ${Date.now() - started} ms`);
    })().finally(() => {
      state.finished = true;
      wake();
      if (this.loading.get(uri) === state) this.loading.delete(uri);
    });
  }
}
