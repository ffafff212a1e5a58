// A real small file system for the full-disk tests: a tmpfs mounted by the test (Linux, as root), and a
// filler file that leaves an exact number of free blocks. tmpfs counts space in pages (4096 bytes here):
// a write needs a new page only when it goes past the slack at the end of its file's last page.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PAGE = 4096;

/** Mounts a tmpfs of `bytes` on a fresh folder; returns it, or why mounting is impossible here. */
export function mountTmpfs(bytes: number): { dir: string } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `tmpfs needs Linux (this is ${process.platform})` };
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-fulldisk-')));
  const out = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (out.status !== 0) {
    fs.rmdirSync(dir);
    const uid = process.getuid?.();
    return { reason: `mount -t tmpfs failed (uid ${uid}): ${(out.stderr || out.error?.message || '').trim()}` };
  }
  return { dir };
}

export function unmount(dir: string): void {
  const out = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (out.status !== 0) spawnSync('umount', ['-l', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Writes `<dir>/filler` so that exactly `pages` pages stay free; returns the filler's path. */
export function leaveFreePages(dir: string, pages: number): string {
  const filler = path.join(dir, 'filler');
  fs.rmSync(filler, { force: true });
  const size = freeBytes(dir) - pages * PAGE;
  if (size < 0) throw new Error(`only ${freeBytes(dir)} bytes free in ${dir}, cannot leave ${pages} pages`);
  fs.writeFileSync(filler, Buffer.alloc(size, 0x78));
  const left = freeBytes(dir);
  if (left !== pages * PAGE) throw new Error(`the filler left ${left} bytes free in ${dir}, not ${pages * PAGE}`);
  return filler;
}
