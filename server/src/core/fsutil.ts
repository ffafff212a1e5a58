// Durable file operations: atomic replace, durable append, and a cross-process lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertWritableInside, PathOutsideWorkspaceError, symbolicLinkRefused } from './paths';

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A write that did not happen in full, in the user's words ("disk full") and naming the file. The file
 * was left as it was before the write (a torn append is cut back), unless the message says otherwise.
 */
export class WriteFailedError extends Error {
  constructor(readonly file: string, readonly code: string | undefined, message: string) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'input/output error',
};

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Wraps a file-system error of writing `file` into a WriteFailedError that says why; others pass. */
function writeFailed(file: string, doing: string, error: unknown, after: string): Error {
  if (error instanceof WriteFailedError || error instanceof PathOutsideWorkspaceError) return error;
  const code = codeOf(error);
  if (code === undefined) return error as Error;
  const reason = REASONS[code] ?? (error as Error).message;
  return new WriteFailedError(file, code, `could not ${doing} ${file}: ${reason} (${code})${after}`);
}

/** O_NOFOLLOW where the platform has it (not on Windows, where the checks of paths.ts still run). */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** Opens `file` for writing without following a symbolic link at its last component. */
function openNoFollow(file: string, flags: number, doing: string, named = file): number {
  try {
    return fs.openSync(file, flags | NOFOLLOW, 0o644);
  } catch (error) {
    // ELOOP: the last component is a symbolic link (EEXIST with O_EXCL is left to the caller).
    if (codeOf(error) === 'ELOOP' || lexists(file)?.isSymbolicLink()) throw symbolicLinkRefused(file);
    throw writeFailed(named, doing, error, '');
  }
}

function lexists(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function mkdirFor(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw writeFailed(path.dirname(file), 'create the folder', error, '');
  }
}

/**
 * Writes all of `data`: `fs.writeSync` may write fewer bytes than asked without an error (a short
 * write, as on a disk that fills up mid-write: on a full tmpfs it returned 100 of 170 bytes), and only
 * the next call throws ENOSPC. A call that writes nothing and reports no error is a failure too.
 */
function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const written = fs.writeSync(fd, data, offset, data.length - offset);
    if (written <= 0) throw Object.assign(new Error(`wrote ${offset} of ${data.length} bytes`), { code: 'ENOSPC' });
    offset += written;
  }
}

export interface WriteOptions {
  /** The workspace root: the write is refused unless the file is really inside it, now (see assertWritableInside). */
  root?: string;
}

/**
 * Replaces a file atomically and durably: write a temp file beside it, fsync, check it holds exactly
 * `content` (its size, and the bytes read back; `verify` may check more, e.g. that it parses back to
 * the same records), rename, fsync the folder. Nothing short ever replaces the file: on any failure
 * the temp file is removed and the file is left as it was.
 */
export function writeFileAtomic(file: string, content: string, options: WriteOptions & { verify?: (written: string) => void } = {}): void {
  if (options.root !== undefined) assertWritableInside(options.root, file);
  else if (lexists(file)?.isSymbolicLink()) throw symbolicLinkRefused(file);
  const dir = path.dirname(file);
  mkdirFor(file);
  const data = Buffer.from(content, 'utf8');
  // Random too: O_EXCL (which never follows a link) must not meet a namesake left by a killed process.
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  const unchanged = `; ${file} was left as it was`;
  const fd = openNoFollow(temp, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 'create the temporary copy beside', file);
  try {
    try {
      writeAll(fd, data);
      fs.fsyncSync(fd);
      const size = fs.fstatSync(fd).size;
      if (size !== data.length) throw new WriteFailedError(file, undefined, `the new copy of ${file} holds ${size} of ${data.length} bytes${unchanged}`);
      const back = Buffer.alloc(data.length);
      let read = 0;
      while (read < back.length) {
        const n = fs.readSync(fd, back, read, back.length - read, read);
        if (n <= 0) break;
        read += n;
      }
      if (read !== data.length || !back.equals(data)) throw new WriteFailedError(file, undefined, `the new copy of ${file} does not read back as written${unchanged}`);
      options.verify?.(back.toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
    // A link may have appeared since the check above (a checkout): rename would replace it, not
    // follow it, but the user meant that file; refuse rather than silently unlink it.
    if (lexists(file)?.isSymbolicLink()) throw symbolicLinkRefused(file);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw writeFailed(file, 'rewrite', error, unchanged);
  }
  fsyncDirectory(dir);
}

/**
 * Appends text durably: all of it, or nothing. If the file does not end with a newline (a truncated or
 * hand-edited last line), a newline is written first so the new line never merges into the broken one.
 * A write or fsync that fails (a full disk) cuts the file back to its previous size, so it parses as
 * before, and throws: the text was not appended.
 */
export function appendDurable(file: string, text: string, options: WriteOptions = {}): void {
  if (options.root !== undefined) assertWritableInside(options.root, file);
  const dir = path.dirname(file);
  const existed = lexists(file) !== undefined;
  if (!existed) mkdirFor(file);
  const fd = openNoFollow(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 'open');
  try {
    const size = fs.fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    try {
      writeAll(fd, Buffer.from(prefix + text, 'utf8'));
      fs.fsyncSync(fd);
    } catch (error) {
      let after = `; nothing was appended, ${file} is as it was`;
      try {
        fs.ftruncateSync(fd, size);
        fs.fsyncSync(fd);
        if (!existed && size === 0) fs.rmSync(file, { force: true });
      } catch (cutError) {
        after = `; cutting it back to ${size} bytes failed too (${codeOf(cutError) ?? (cutError as Error).message}): its last line may be torn`;
      }
      throw writeFailed(file, 'append to', error, after);
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!existed) fsyncDirectory(dir);
}

export class LockTimeoutError extends Error {}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepBuffer, 0, 0, ms);
}

let hostName: string | undefined;
function osHost(): string {
  hostName ??= require('node:os').hostname() as string;
  return hostName;
}

/** How long a lock of another host (whose process we cannot see) must be untouched to count as stale. */
const OTHER_HOST_STALE_MS = 30_000;
/**
 * A lock file without a pid is one whose creator died between creating and writing it (a live
 * creator writes its pid in the same breath); after this long it is stale.
 */
const EMPTY_LOCK_STALE_MS = 2_000;

/** Unique per acquisition, so that a lock is never mistaken for another with the same pid. */
function lockToken(): string {
  return `${process.pid}\n${osHost()}\n${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}\n`;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** When the process `pid` of this host started (ms since the epoch), on Linux; undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22, starttime, in clock ticks (100 per second on Linux) since boot
    const boot = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (!boot || !Number.isFinite(ticks)) return undefined;
    return Number(boot[1]) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

/** The lock files this process holds right now (a lock held by our own pid and not listed here is a dead namesake's). */
const heldLocks = new Set<string>();

/**
 * Whether a lock file with this content is left by a dead process: its pid no longer runs on this host
 * (or runs but started after the lock was written: the pid was reused, e.g. after a reboot or in a new
 * container), or, for another host's lock, it has not been touched for a long time.
 */
function lockIsStale(lockFile: string, content: string): boolean {
  const [pidText, host] = content.split('\n');
  const pid = Number(pidText);
  const mtime = mtimeOf(lockFile);
  if (mtime === undefined) return false; // gone: just retry
  if (!Number.isInteger(pid) || pid <= 0 || host === undefined) return Date.now() - mtime > EMPTY_LOCK_STALE_MS;
  if (host !== osHost()) return Date.now() - mtime > OTHER_HOST_STALE_MS;
  if (pid === process.pid) return !heldLocks.has(lockFile);
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = processStartMs(pid);
  return started !== undefined && started > mtime + 2_000;
}

/** Creates `file` exclusively with `content`; false when it exists. */
function createExclusive(file: string, content: string): boolean {
  let fd: number;
  try {
    // O_EXCL never follows a symbolic link (an existing one, dangling or not, gives EEXIST).
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, 0o644);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') {
      if (lexists(file)?.isSymbolicLink()) throw symbolicLinkRefused(file);
      return false;
    }
    throw writeFailed(file, 'create the lock file', error, '');
  }
  try {
    writeAll(fd, Buffer.from(content, 'utf8'));
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw writeFailed(file, 'write the lock file', error, '');
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Removes `file` only if it still holds `expected`: it is first renamed to a name of our own (atomic,
 * so no other process can be handed the same file), then checked; a file that turns out to be another
 * one is put back.
 */
function removeIfUnchanged(file: string, expected: string): boolean {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return false; // already gone: someone else removed it
  }
  if (readText(aside) === expected) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file);
  } catch {
    // a new lock was created in the instant it was away; it is the one that counts now
  }
  fs.rmSync(aside, { force: true });
  return false;
}

/**
 * Removes a stale lock. Only one process at a time may do so (it holds `<lock>.break`), and it removes
 * the lock only if it still has the content that was judged stale: when two processes find the same
 * dead lock, the second sees the first one's fresh lock instead and leaves it alone.
 */
function breakStaleLock(lockFile: string, observed: string): boolean {
  const guard = `${lockFile}.break`;
  const token = lockToken();
  if (!createExclusive(guard, token)) {
    // Another process is breaking the lock right now (a matter of microseconds), or died doing so.
    const content = readText(guard);
    return content !== undefined && lockIsStale(guard, content) && removeIfUnchanged(guard, content);
  }
  heldLocks.add(guard);
  try {
    const current = readText(lockFile);
    return current === undefined || (current === observed && lockIsStale(lockFile, current) && removeIfUnchanged(lockFile, current));
  } finally {
    heldLocks.delete(guard);
    removeIfUnchanged(guard, token);
  }
}

/**
 * Runs `fn` while holding `<file>.lock`, created with O_EXCL so only one process (server, other
 * window's server, CLI) holds it. A lock left by a dead process is taken over (see `lockIsStale`).
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 10_000, options: WriteOptions = {}): T {
  const lockFile = `${file}.lock`;
  if (heldLocks.has(lockFile)) throw new Error(`${lockFile} is already held by this process`);
  // Before the folder is created: `mkdir -p` through a link would create folders outside.
  if (options.root !== undefined) assertWritableInside(options.root, lockFile);
  mkdirFor(file);
  const deadline = Date.now() + timeoutMs;
  const token = lockToken();
  let wait = 1;
  for (;;) {
    if (createExclusive(lockFile, token)) break;
    const content = readText(lockFile);
    if (content === undefined && lexists(lockFile) === undefined) continue; // released in between: try again at once
    // Retry at once when a stale lock was removed (by us or by whoever beat us to it); otherwise wait.
    if (content !== undefined && lockIsStale(lockFile, content) && breakStaleLock(lockFile, content)) continue;
    if (Date.now() > deadline) throw new LockTimeoutError(`${lockFile} is held by another process; remove it if no Loopmark process is running`);
    sleepSync(wait);
    wait = Math.min(wait * 2, 25);
  }
  heldLocks.add(lockFile);
  try {
    return fn();
  } finally {
    heldLocks.delete(lockFile);
    // Remove our own lock only: if it was (wrongly) taken over, the lock there now is someone else's.
    if (readText(lockFile) === token) fs.rmSync(lockFile, { force: true });
  }
}

/**
 * Removes what writers of `file` that were killed left beside it: temp files of `writeFileAtomic` and
 * lock files set aside by `removeIfUnchanged`, whose process is gone. Call while holding the file's lock.
 */
export function removeOrphans(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const orphan = new RegExp(`^(?:\\.${escaped}\\.(\\d+)\\.[0-9a-z]+\\.tmp|${escaped}\\.lock(?:\\.break)?\\.(\\d+)\\.[0-9a-z]+\\.stale)$`);
  const guard = `${file}.lock.break`;
  const guardContent = readText(guard);
  if (guardContent !== undefined && lockIsStale(guard, guardContent) && removeIfUnchanged(guard, guardContent)) removed.push(path.basename(guard));
  for (const name of names) {
    const match = orphan.exec(name);
    if (!match) continue;
    const pid = Number(match[1] ?? match[2]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // alive: not an orphan
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
