// Paths that come from loopmark.json or from data are untrusted: they must stay inside the workspace.
//
// Two checks, at two times. `resolveInside` runs when a dataset is bound to its task (a diagnostic on
// loopmark.json when it fails). `assertWritableInside` runs at WRITE time, right before a file is
// created, appended to or replaced, because the tree can change in between: a `git checkout` or a
// fresh clone can put a symbolic link where a label file or its folder was. Every writer calls it:
// - label files, their lock and temporary files: LabelFile passes the workspace root to fsutil
//   (appendDurable, writeFileAtomic and withFileLock take `root` and call it themselves);
// - any other file Loopmark creates (`loopmark predict --out`, exports, imports): write it with
//   `writeFileAtomic(file, text, { root: project.root })`, or call `assertWritableInside(project.root,
//   file)` right before your own write. Never call `fs.writeFileSync` on a path from a config, a
//   command line or data without it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export class PathOutsideWorkspaceError extends Error {}

/** True when `candidate` is `root` or below it (a name that merely starts with `..` is inside). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  // `..name` is a file inside; only `..` itself or `../...` goes up.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function readLink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '(unreadable)';
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The real path of the deepest existing ancestor of `p`, with the rest appended. A dangling symbolic
 * link on the way throws: where it leads is unknown until its target exists (a later `mkdir` or
 * `open(O_CREAT)` would create that target, anywhere), so it counts as outside.
 */
function realpathOfExisting(p: string, what: string): string {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...rest.reverse());
    } catch {
      if (lstatOrUndefined(current)?.isSymbolicLink()) {
        throw new PathOutsideWorkspaceError(`${what}: ${current} is a symbolic link to ${readLink(current)}, which does not exist; a dangling link counts as outside the workspace`);
      }
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * The first symbolic link on the way from `lexicalRoot` down to `target` (itself included) that leads
 * outside `realRoot` or nowhere, described with where it points; undefined when there is none. Walking
 * down names the link itself, not only where the path ends up.
 */
function linkLeaving(lexicalRoot: string, realRoot: string, target: string): string | undefined {
  let current = lexicalRoot;
  for (const part of path.relative(lexicalRoot, target).split(path.sep).filter((p) => p !== '')) {
    current = path.join(current, part);
    const stat = lstatOrUndefined(current);
    if (!stat) return undefined; // the rest does not exist yet: it will be created inside
    if (!stat.isSymbolicLink()) continue;
    let real: string;
    try {
      real = fs.realpathSync(current);
    } catch {
      return `${current} is a symbolic link to ${readLink(current)}, which does not exist; a dangling link counts as outside the workspace`;
    }
    if (!isInside(realRoot, real)) return `${current} is a symbolic link to ${readLink(current)} (${real}), outside the workspace ${realRoot}`;
  }
  return undefined;
}

/**
 * Resolves a workspace-relative path and refuses one that leaves the workspace: `..`, an absolute
 * path, or a symlink (anywhere along the path) that points outside or nowhere.
 */
export function resolveInside(root: string, relative: string): string {
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    throw new PathOutsideWorkspaceError(`"${relative}" is an absolute path; Loopmark only reads and writes inside the workspace`);
  }
  const resolved = path.resolve(root, relative);
  if (!isInside(path.resolve(root), resolved)) {
    throw new PathOutsideWorkspaceError(`"${relative}" leaves the workspace folder`);
  }
  const realRoot = realpathOfExisting(path.resolve(root), `"${relative}"`);
  const link = linkLeaving(path.resolve(root), realRoot, resolved);
  if (link || !isInside(realRoot, realpathOfExisting(resolved, `"${relative}"`))) {
    throw new PathOutsideWorkspaceError(`"${relative}" goes through a symbolic link that leaves the workspace folder${link ? `: ${link}` : ''}`);
  }
  return resolved;
}

/** The error for a write that would follow the symbolic link `file` at its last component. */
export function symbolicLinkRefused(file: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(
    `Refusing to write ${file}: it is a symbolic link to ${readLink(file)}; Loopmark writes only regular files inside the workspace (replace the link by the file itself)`,
  );
}

/**
 * Throws unless writing `file` stays inside the workspace `root`, as the file system is NOW: the real
 * path of its folder (every symbolic link on the way resolved; a dangling one refused) is inside the
 * real root, and `file` itself is not a symbolic link (a write never follows one; fsutil also opens
 * with O_NOFOLLOW). Missing folders are fine: they will be created inside. Returns the real path.
 */
export function assertWritableInside(root: string, file: string): string {
  const absolute = path.resolve(file);
  const lexicalRoot = path.resolve(root);
  if (absolute === lexicalRoot || !isInside(lexicalRoot, absolute)) {
    throw new PathOutsideWorkspaceError(`Refusing to write ${absolute}: it is not inside the workspace ${lexicalRoot}`);
  }
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(lexicalRoot);
  } catch (error) {
    throw new PathOutsideWorkspaceError(`Refusing to write ${absolute}: the workspace folder ${lexicalRoot} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const link = linkLeaving(lexicalRoot, realRoot, path.dirname(absolute));
  if (link) throw new PathOutsideWorkspaceError(`Refusing to write ${absolute}: ${link}`);
  const realParent = realpathOfExisting(path.dirname(absolute), `Refusing to write ${absolute}`);
  if (!isInside(realRoot, realParent)) {
    throw new PathOutsideWorkspaceError(`Refusing to write ${absolute}: its folder is really ${realParent}, outside the workspace ${realRoot}`);
  }
  if (lstatOrUndefined(absolute)?.isSymbolicLink()) throw symbolicLinkRefused(absolute);
  return path.join(realParent, path.basename(absolute));
}

export function toRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
