// server/src/core/paths.ts: paths from loopmark.json or data must stay inside the workspace, on real disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertWritableInside, PathOutsideWorkspaceError, resolveInside, toRelative } from '../../server/src/core/paths';

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

  it('refuses a dangling symlink, at the file or on the way, naming the link and where it points', () => {
    fs.symlinkSync(path.join(outside, 'not-yet.jsonl'), path.join(root, 'data', 'x.labels.jsonl'));
    fs.symlinkSync(path.join(outside, 'no-folder'), path.join(root, 'gone'), 'dir');
    for (const rel of ['data/x.labels.jsonl', 'gone/y.labels.jsonl', 'gone/deep/z.jsonl']) {
      assert.throws(() => resolveInside(root, rel), (e: unknown) => e instanceof PathOutsideWorkspaceError && /dangling link/.test(e.message) && e.message.includes(outside), rel);
    }
  });

  describe('assertWritableInside (at write time)', () => {
    it('accepts a file (existing or not, in folders not created yet) inside, and returns its real path', () => {
      fs.writeFileSync(path.join(root, 'data', 'x.labels.jsonl'), '');
      assert.equal(assertWritableInside(root, path.join(root, 'data', 'x.labels.jsonl')), path.join(root, 'data', 'x.labels.jsonl'));
      assert.equal(assertWritableInside(root, path.join(root, 'new', 'deep', 'y.jsonl')), path.join(root, 'new', 'deep', 'y.jsonl'));
      fs.symlinkSync(path.join(root, 'data'), path.join(root, 'alias'), 'dir');
      assert.equal(assertWritableInside(root, path.join(root, 'alias', 'z.jsonl')), path.join(root, 'data', 'z.jsonl'), 'a folder link that stays inside is fine');
      const linkedRoot = path.join(base, 'root-link');
      fs.symlinkSync(root, linkedRoot, 'dir');
      assert.equal(assertWritableInside(linkedRoot, path.join(linkedRoot, 'data', 'x.jsonl')), path.join(root, 'data', 'x.jsonl'));
    });

    it('refuses a file outside the root, and the root itself', () => {
      for (const file of [path.join(outside, 'x.jsonl'), path.join(root, '..', 'outside', 'x.jsonl'), root]) {
        assert.throws(() => assertWritableInside(root, file), (e: unknown) => e instanceof PathOutsideWorkspaceError && /not inside the workspace/.test(e.message), file);
      }
    });

    it('refuses a folder that is a link out, naming the link and its target', () => {
      fs.symlinkSync(outside, path.join(root, 'data', 'out'), 'dir');
      const file = path.join(root, 'data', 'out', 'sub', 'x.jsonl');
      assert.throws(() => assertWritableInside(root, file), (e: unknown) => e instanceof PathOutsideWorkspaceError && e.message.includes(file) && e.message.includes(path.join(root, 'data', 'out')) && e.message.includes(outside));
      assert.deepEqual(fs.readdirSync(outside), []);
    });

    it('refuses a chain of links that ends outside, and a dangling folder link', () => {
      fs.symlinkSync(outside, path.join(root, 'hop2'), 'dir');
      fs.symlinkSync(path.join(root, 'hop2'), path.join(root, 'hop1'), 'dir');
      assert.throws(() => assertWritableInside(root, path.join(root, 'hop1', 'x.jsonl')), /symbolic link/);
      fs.symlinkSync(path.join(outside, 'missing'), path.join(root, 'dangling'), 'dir');
      assert.throws(() => assertWritableInside(root, path.join(root, 'dangling', 'x.jsonl')), /dangling link counts as outside/);
    });

    it('refuses any symlink at the last component, inside or outside, dangling or not', () => {
      fs.writeFileSync(path.join(root, 'data', 'real.jsonl'), '');
      const cases = { inside: 'real.jsonl', outside: path.join(outside, 'x.jsonl'), dangling: path.join(outside, 'nothing.jsonl') };
      for (const [name, target] of Object.entries(cases)) {
        const link = path.join(root, 'data', `${name}.labels.jsonl`);
        fs.symlinkSync(target, link);
        assert.throws(() => assertWritableInside(root, link), (e: unknown) => e instanceof PathOutsideWorkspaceError && e.message.includes(link) && e.message.includes(target), name);
      }
    });
  });

  it('toRelative gives forward slashes', () => {
    assert.equal(toRelative(root, path.join(root, 'data', 'x.jsonl')), 'data/x.jsonl');
    assert.equal(toRelative(root, root), '');
  });
});
