// What every feature of the language server shares: the connection, the workspace service, the open
// documents, and the preamble of a handler (find the file's folder, wait for a document still being
// read, turn a failure into an LSP error). Written once here so each feature is a few lines.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, LSPErrorCodes, ResponseError, type Connection } from 'vscode-languageserver/node';
import { InvalidDecisionError } from '../core/kinds/kind';
import { WriteFailedError } from '../core/fsutil';
import { PathOutsideWorkspaceError } from '../core/paths';
import { CancelledError } from '../core/slicer';
import { LabelFileError } from '../core/workspace/project';
import type { Located, WorkspaceService } from '../core/workspace/service';

export interface Documents {
  /** Waits until a document opened by reference has been read (at once for any other). */
  loaded(uri: string): Promise<void>;
  /** An editor holds the document (its text, not the disk's, is the truth). */
  isOpen(uri: string): boolean;
  /** The URIs of every open document. */
  openUris(): string[];
  /** The version of an open document, as its editor numbers it. */
  version(uri: string): number | undefined;
}

export interface ServerContext {
  readonly connection: Connection;
  readonly service: WorkspaceService;
  readonly documents: Documents;
  /** Diagnostics (of `uri`, or of every document) are stale: pull clients are asked to refresh, push clients get new ones. */
  refresh(uri?: string): void;
}

export function filePath(uri: string): string | undefined {
  return uri.startsWith('file:') ? path.resolve(fileURLToPath(uri)) : undefined;
}

export function located(context: ServerContext, uri: string): Located | undefined {
  const file = filePath(uri);
  return file ? context.service.locate(file) : undefined;
}

function toResponseError(context: ServerContext, what: string, error: unknown): ResponseError<void> {
  if (error instanceof ResponseError) return error;
  if (error instanceof CancelledError) return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  if (error instanceof InvalidDecisionError) return new ResponseError(ErrorCodes.InvalidParams, `Loopmark: ${error.message}`);
  // The disk or the workspace refused a write: the user's message names the file; no stack in the log.
  if (error instanceof WriteFailedError || error instanceof PathOutsideWorkspaceError || error instanceof LabelFileError) {
    context.connection.console.error(`Loopmark: ${error.message}`);
    return new ResponseError(LSPErrorCodes.RequestFailed, `Loopmark: ${error.message}`);
  }
  const message = `Loopmark: ${what} failed: ${(error as Error).message}`;
  context.connection.console.error(`${message}\n${(error as Error).stack ?? ''}`);
  return new ResponseError(ErrorCodes.InternalError, message);
}

/** Runs a handler (sync or async); a failure becomes a logged error and an LSP error, never a crash. */
export function guarded<T>(context: ServerContext, what: string, fn: () => T): T {
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw toResponseError(context, what, error);
      }) as T;
    }
    return result;
  } catch (error) {
    throw toResponseError(context, what, error);
  }
}

/**
 * The preamble of a handler about one document: waits until it is read, finds its folder, runs `fn`
 * guarded. `fallback` answers for a document outside every folder.
 */
export async function onDocument<T>(context: ServerContext, uri: string, what: string, fallback: T, fn: (at: Located) => T | Promise<T>): Promise<T> {
  await context.documents.loaded(uri);
  return guarded(context, what, async () => {
    const at = located(context, uri);
    return at ? fn(at) : fallback;
  });
}
