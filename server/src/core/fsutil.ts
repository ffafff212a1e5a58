// Durable file operations: atomic replace, durable append, and a cross-process lock.
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** Replaces a file atomically and durably: write a temp file beside it, fsync, rename, fsync the folder. */
export function writeFileAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(dir);
}

/**
 * Appends text durably. If the file does not end with a newline (a truncated or hand-edited last
 * line), a newline is written first so the new line never merges into the broken one.
 */
export function appendDurable(file: string, text: string): void {
  const dir = path.dirname(file);
  const existed = fs.existsSync(file);
  if (!existed) fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(file, 'a+', 0o644);
  try {
    const size = fs.fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    fs.writeSync(fd, prefix + text);
    fs.fsyncSync(fd);
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

function lockIsStale(lockFile: string, staleMs: number): boolean {
  try {
    const content = fs.readFileSync(lockFile, 'utf8');
    const [pidText, host] = content.split('\n');
    const pid = Number(pidText);
    if (host === osHost() && Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return Date.now() - fs.statSync(lockFile).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

let hostName: string | undefined;
function osHost(): string {
  hostName ??= require('node:os').hostname() as string;
  return hostName;
}

/**
 * Runs `fn` while holding `<file>.lock`, created with O_EXCL so only one process (server, other
 * window's server, CLI) holds it. A lock left by a dead process on this host is taken over.
 */
export function withFileLock<T>(file: string, fn: () => T, timeoutMs = 10_000): T {
  const lockFile = `${file}.lock`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx', 0o644);
      fs.writeSync(fd, `${process.pid}\n${osHost()}\n`);
      fs.closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale(lockFile, 30_000)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LockTimeoutError(`${lockFile} is held by another process; remove it if no Loopmark process is running`);
      sleepSync(wait);
      wait = Math.min(wait * 2, 25);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
