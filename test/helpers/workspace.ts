// Temporary workspaces on real disk for tests: a copy of a fixture folder, removed afterwards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures');

export function tempWorkspace(from?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-test-'));
  if (from) fs.cpSync(from, dir, { recursive: true });
  return fs.realpathSync(dir);
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
