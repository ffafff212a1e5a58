// Files changed on disk behind the server's back (git checkout, pull, merge, stash; the CLI; another
// window). The server asks the client to watch for it (dynamic registration of
// workspace/didChangeWatchedFiles) where the client can; otherwise it watches the workspace itself
// (chokidar), so a client that sends no file events (Neovim, for one) never shows a stale state.
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { DidChangeWatchedFilesNotification, type InitializeParams } from 'vscode-languageserver/node';
import { filePath, type ServerContext } from '../context';

/** Changes seen by the server's own watcher are gathered this long, so a `git checkout` is one update. */
const WATCH_DEBOUNCE_MS = 100;
/** Folders no dataset lives in, and that can hold very many files. */
const IGNORED_DIRS = new Set(['node_modules', '.git', '.vscode-test', 'dist', 'out']);
/** Files Loopmark writes next to a label file while it writes (its lock, its temporary copy). */
const OWN_FILES = /(\.lock(\.break)?(\.\d+\.[0-9a-z]+\.stale)?|\.\d+\.[0-9a-z]+\.tmp)$/;

export class WatchedFilesFeature {
  private dynamic = false;
  private watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: ServerContext) {}

  initialize(params: InitializeParams): void {
    this.dynamic = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  }

  listen(): void {
    this.context.connection.onDidChangeWatchedFiles(({ changes }) => {
      this.changed(changes.map((c) => filePath(c.uri)).filter((f): f is string => f !== undefined));
    });
  }

  /** Once the client is ready: it watches for us, or we watch ourselves. */
  start(): void {
    if (this.dynamic) {
      void this.context.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*' }] }).catch((error: unknown) => {
        this.context.connection.console.warn(`Loopmark: the client did not take the file watcher (${(error as Error).message}); watching the workspace itself`);
        this.watchFolders();
      });
      return;
    }
    this.watchFolders();
  }

  dispose(): void {
    for (const watcher of this.watchers) void watcher.close();
    this.watchers = [];
    clearTimeout(this.timer);
  }

  private watchFolders(): void {
    for (const project of this.context.service.projects) {
      const watcher = watch(project.root, {
        ignoreInitial: true,
        ignored: (file: string) => file.split(path.sep).some((part) => IGNORED_DIRS.has(part)),
      });
      const note = (file: string): void => {
        this.pending.add(path.resolve(file));
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.flush(), WATCH_DEBOUNCE_MS);
      };
      watcher.on('add', note).on('change', note).on('unlink', note).on('addDir', note).on('unlinkDir', note);
      // Changes made while the watcher was still scanning the folder went unseen: check what is held.
      watcher.on('ready', () => {
        for (const file of project.knownFiles()) this.pending.add(file);
        this.timer ??= setTimeout(() => this.flush(), WATCH_DEBOUNCE_MS);
      });
      watcher.on('error', (error: unknown) => this.context.connection.console.warn(`Loopmark: watching ${project.root}: ${(error as Error).message}`));
      this.watchers.push(watcher);
    }
  }

  private flush(): void {
    this.timer = undefined;
    const files = [...this.pending];
    this.pending.clear();
    this.changed(files);
  }

  private changed(files: readonly string[]): void {
    const relevant = files.filter((f) => !OWN_FILES.test(f));
    if (relevant.length === 0) return;
    this.context.service.filesChanged(relevant, (file) => this.context.documents.openUris().some((uri) => filePath(uri) === file));
  }
}
