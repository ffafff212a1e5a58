// Paths that come from loopmark.json or from data are untrusted: they must stay inside the workspace.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class PathOutsideWorkspaceError extends Error {}

/** True when `candidate` is `root` or below it (a name that merely starts with `..` is inside). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  // `..name` is a file inside; only `..` itself or `../...` goes up.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The real path of the deepest existing ancestor of `p`, with the rest appended. */
function realpathOfExisting(p: string): string {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves a workspace-relative path and refuses one that leaves the workspace: `..`, an absolute
 * path, or a symlink (anywhere along the path) that points outside.
 */
export function resolveInside(root: string, relative: string): string {
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    throw new PathOutsideWorkspaceError(`"${relative}" is an absolute path; Loopmark only reads and writes inside the workspace`);
  }
  const resolved = path.resolve(root, relative);
  if (!isInside(path.resolve(root), resolved)) {
    throw new PathOutsideWorkspaceError(`"${relative}" leaves the workspace folder`);
  }
  const realRoot = realpathOfExisting(path.resolve(root));
  if (!isInside(realRoot, realpathOfExisting(resolved))) {
    throw new PathOutsideWorkspaceError(`"${relative}" goes through a symbolic link that leaves the workspace folder`);
  }
  return resolved;
}

export function toRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
