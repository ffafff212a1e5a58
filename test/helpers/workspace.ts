// Temporary workspaces on real disk for tests: a copy of a fixture folder, removed afterwards.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures');

/**
 * A fresh folder holding a copy of `from`. A folder of this repository is copied as committed (the
 * files git tracks, as in the work tree): labels a user made while trying the demo stay out.
 */
export function tempWorkspace(from?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-test-'));
  if (from) {
    const tracked = trackedFiles(from);
    if (tracked) for (const rel of tracked) if (fs.existsSync(path.join(from, rel))) copyFile(path.join(from, rel), path.join(dir, rel));
    else fs.cpSync(from, dir, { recursive: true });
  }
  return fs.realpathSync(dir);
}

/** The files git tracks under `folder` (relative to it), or undefined outside this repository. */
function trackedFiles(folder: string): string[] | undefined {
  const rel = path.relative(REPO, path.resolve(folder));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const out = spawnSync('git', ['ls-files', '-z', '--', rel || '.'], { cwd: REPO, encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  return out.stdout.split('\0').filter(Boolean).map((f) => path.relative(rel, f));
}

function copyFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

export function removeWorkspace(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
