// server/src/core/paths.ts: paths from loopmark.json or data must stay inside the workspace, on real disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PathOutsideWorkspaceError, resolveInside, toRelative } from '../../server/src/core/paths';

describe('core/paths', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-paths-')));
    root = path.join(base, 'workspace');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    fs.mkdirSync(outside);
  });

  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('resolves paths inside the workspace, existing or not', () => {
    assert.equal(resolveInside(root, 'data/x.labels.jsonl'), path.join(root, 'data', 'x.labels.jsonl'));
    assert.equal(resolveInside(root, 'new/deep/file.jsonl'), path.join(root, 'new', 'deep', 'file.jsonl'));
    assert.equal(resolveInside(root, 'data/../data/x.jsonl'), path.join(root, 'data', 'x.jsonl'), '.. that stays inside is fine');
    assert.equal(resolveInside(root, '.'), root);
  });

  it('a name that merely starts with two dots is inside', () => {
    assert.equal(resolveInside(root, '..hidden.labels.jsonl'), path.join(root, '..hidden.labels.jsonl'));
    assert.equal(resolveInside(root, 'data/..x/y.jsonl'), path.join(root, 'data', '..x', 'y.jsonl'));
  });

  it('refuses ../ out of the workspace', () => {
    for (const rel of ['../outside/x.jsonl', '..', 'data/../../outside/x.jsonl', '../workspace-evil/x.jsonl']) {
      assert.throws(() => resolveInside(root, rel), (e: unknown) => e instanceof PathOutsideWorkspaceError && /leaves the workspace folder/.test(e.message), rel);
    }
  });

  it('refuses absolute paths, POSIX and Windows', () => {
    for (const rel of [path.join(outside, 'x.jsonl'), '/etc/passwd', 'C:\\Users\\x.jsonl', 'c:/x.jsonl']) {
      assert.throws(() => resolveInside(root, rel), (e: unknown) => e instanceof PathOutsideWorkspaceError && /absolute path/.test(e.message), rel);
    }
  });

  it('refuses a symlinked folder that leaves the workspace, for existing and new files under it', () => {
    fs.symlinkSync(outside, path.join(root, 'link'), 'dir');
    fs.writeFileSync(path.join(outside, 'existing.jsonl'), '');
    for (const rel of ['link/existing.jsonl', 'link/new.labels.jsonl', 'link/new/deeper/x.jsonl', 'link']) {
      assert.throws(() => resolveInside(root, rel), (e: unknown) => e instanceof PathOutsideWorkspaceError && /symbolic link/.test(e.message), rel);
    }
    assert.equal(fs.readdirSync(outside).length, 1, 'nothing was created outside');
  });

  it('refuses a symlinked file that points outside', () => {
    fs.writeFileSync(path.join(outside, 'target.jsonl'), '');
    fs.symlinkSync(path.join(outside, 'target.jsonl'), path.join(root, 'data', 'x.labels.jsonl'));
    assert.throws(() => resolveInside(root, 'data/x.labels.jsonl'), PathOutsideWorkspaceError);
  });

  it('accepts a symlink that stays inside, and a workspace that is itself reached through a symlink', () => {
    fs.symlinkSync(path.join(root, 'data'), path.join(root, 'alias'), 'dir');
    assert.equal(resolveInside(root, 'alias/x.jsonl'), path.join(root, 'alias', 'x.jsonl'));
    const linkedRoot = path.join(base, 'root-link');
    fs.symlinkSync(root, linkedRoot, 'dir');
    assert.equal(resolveInside(linkedRoot, 'data/x.jsonl'), path.join(linkedRoot, 'data', 'x.jsonl'));
  });

  it('toRelative gives forward slashes', () => {
    assert.equal(toRelative(root, path.join(root, 'data', 'x.jsonl')), 'data/x.jsonl');
    assert.equal(toRelative(root, root), '');
  });
});
