// Files changed on disk (git, the CLI, another window), as the client's file watcher reports them.
import { filePath, type ServerContext } from '../context';

export function listenWatchedFiles(context: ServerContext): void {
  context.connection.onDidChangeWatchedFiles(({ changes }) => {
    const files = changes.map((c) => filePath(c.uri)).filter((f): f is string => f !== undefined);
    context.service.filesChanged(files, (file) => context.documents.isOpen(pathUri(context, file)));
  });
}

/** The URI an editor holds a file under, when it holds it. */
function pathUri(context: ServerContext, file: string): string {
  return context.documents.openUris().find((uri) => filePath(uri) === file) ?? '';
}
