// server/src/core/fsutil.ts on real disk: atomic replace, durable append, the cross-process lock.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendDurable, LockTimeoutError, withFileLock, writeFileAtomic } from '../../server/src/core/fsutil';
import { PathOutsideWorkspaceError } from '../../server/src/core/paths';

describe('core/fsutil', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-fsutil-')));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('writeFileAtomic', () => {
    it('creates the folder and the file', () => {
      const file = path.join(dir, 'a', 'b', 'out.txt');
      writeFileAtomic(file, 'hello\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'hello\n');
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['out.txt'], 'no temp file left');
    });

    it('replaces the content by a rename (new inode), leaving no temp file', () => {
      const file = path.join(dir, 'out.txt');
      fs.writeFileSync(file, 'old content that is longer than the new one\n');
      const before = fs.statSync(file);
      writeFileAtomic(file, 'new\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'new\n');
      assert.notEqual(fs.statSync(file).ino, before.ino, 'replaced, not overwritten in place');
      assert.deepEqual(fs.readdirSync(dir), ['out.txt']);
    });

    it('writes non-ASCII text as UTF-8, byte for byte', () => {
      const file = path.join(dir, 'u.txt');
      const text = 'é ü 日本 😀\n';
      writeFileAtomic(file, text);
      assert.deepEqual(fs.readFileSync(file), Buffer.from(text, 'utf8'));
    });

    it('twice in a row (same millisecond) works and leaves one file', () => {
      const file = path.join(dir, 'out.txt');
      for (let i = 0; i < 20; i++) writeFileAtomic(file, `v${i}`);
      assert.equal(fs.readFileSync(file, 'utf8'), 'v19');
      assert.deepEqual(fs.readdirSync(dir), ['out.txt']);
    });

    it('refuses to replace a symbolic link, and leaves it and its target alone', () => {
      fs.writeFileSync(path.join(dir, 'target.txt'), 'target\n');
      const link = path.join(dir, 'link.txt');
      fs.symlinkSync('target.txt', link);
      assert.throws(() => writeFileAtomic(link, 'x'), (e: unknown) => e instanceof PathOutsideWorkspaceError && /symbolic link to target\.txt/.test((e as Error).message));
      assert.ok(fs.lstatSync(link).isSymbolicLink());
      assert.equal(fs.readFileSync(path.join(dir, 'target.txt'), 'utf8'), 'target\n');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['link.txt', 'target.txt'], 'no temp file left');
    });

    it('with a root, refuses a file whose folder is a link out of it, creating nothing', () => {
      const root = path.join(dir, 'ws');
      const outside = path.join(dir, 'outside');
      fs.mkdirSync(root);
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(root, 'data'), 'dir');
      assert.throws(() => writeFileAtomic(path.join(root, 'data', 'sub', 'x.txt'), 'x', { root }), PathOutsideWorkspaceError);
      assert.deepEqual(fs.readdirSync(outside), [], 'no folder, no temp file outside');
    });

    it('a verify that throws leaves the old file and no temp file', () => {
      const file = path.join(dir, 'out.txt');
      fs.writeFileSync(file, 'old\n');
      let seen = '';
      assert.throws(() => writeFileAtomic(file, 'new\n', { verify: (written) => { seen = written; throw new Error('does not read back'); } }), /does not read back/);
      assert.equal(seen, 'new\n', 'verify gets the bytes read back from the temp file');
      assert.equal(fs.readFileSync(file, 'utf8'), 'old\n');
      assert.deepEqual(fs.readdirSync(dir), ['out.txt']);
    });

    it('fails cleanly when the target is a folder, leaving no temp file', () => {
      const target = path.join(dir, 'folder');
      fs.mkdirSync(target);
      assert.throws(() => writeFileAtomic(target, 'x'));
      assert.deepEqual(fs.readdirSync(dir), ['folder']);
    });
  });

  describe('appendDurable', () => {
    it('creates the file and appends', () => {
      const file = path.join(dir, 'new', 'log.jsonl');
      appendDurable(file, 'a\n');
      appendDurable(file, 'b\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'a\nb\n');
    });

    it('adds a newline first when the file does not end with one', () => {
      const file = path.join(dir, 'log.jsonl');
      fs.writeFileSync(file, 'truncated');
      appendDurable(file, 'next\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'truncated\nnext\n');
      fs.writeFileSync(file, '');
      appendDurable(file, 'first\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'first\n', 'an empty file gets no leading newline');
    });
    it('never follows a symbolic link (O_NOFOLLOW): a dangling link creates nothing at its target', () => {
      const file = path.join(dir, 'log.jsonl');
      const target = path.join(dir, 'elsewhere.jsonl');
      fs.symlinkSync(target, file);
      assert.throws(() => appendDurable(file, 'a\n'), (e: unknown) => e instanceof PathOutsideWorkspaceError && (e as Error).message.includes(target));
      assert.equal(fs.existsSync(target), false, 'the target was not created');
      fs.writeFileSync(target, 'kept\n');
      assert.throws(() => appendDurable(file, 'a\n'), PathOutsideWorkspaceError);
      assert.equal(fs.readFileSync(target, 'utf8'), 'kept\n');
    });
  });

  describe('withFileLock', () => {
    it('refuses a lock file that is a symbolic link (a dangling one used to make it spin forever)', () => {
      const file = path.join(dir, 'x.jsonl');
      fs.symlinkSync(path.join(dir, 'nowhere'), `${file}.lock`);
      const started = Date.now();
      assert.throws(() => withFileLock(file, () => 'never', 2000), (e: unknown) => e instanceof PathOutsideWorkspaceError && /symbolic link/.test((e as Error).message));
      assert.ok(Date.now() - started < 1000, 'at once, not after the timeout');
      assert.equal(fs.existsSync(path.join(dir, 'nowhere')), false);
    });

    it('holds <file>.lock during fn and removes it after, also when fn throws', () => {
      const file = path.join(dir, 'x.jsonl');
      const lock = `${file}.lock`;
      const result = withFileLock(file, () => {
        const [pid, host] = fs.readFileSync(lock, 'utf8').split('\n');
        assert.equal(Number(pid), process.pid);
        assert.equal(host, os.hostname());
        return 42;
      });
      assert.equal(result, 42);
      assert.equal(fs.existsSync(lock), false);
      assert.throws(() => withFileLock(file, () => { throw new Error('boom'); }), /boom/);
      assert.equal(fs.existsSync(lock), false);
    });

    it('is not re-entrant: a nested attempt on the same file fails instead of running fn', () => {
      const file = path.join(dir, 'x.jsonl');
      let inner = false;
      assert.throws(() => withFileLock(file, () => withFileLock(file, () => (inner = true), 150)));
      assert.equal(inner, false);
      assert.equal(fs.existsSync(`${file}.lock`), false, 'the outer holder still released it');
    });

    it('excludes: a lock held by another live process is waited for, then times out; once that process is dead it is taken over', async () => {
      const file = path.join(dir, 'x.jsonl');
      const lock = `${file}.lock`;
      const holder = `
        require('fs').writeFileSync(${JSON.stringify(lock)}, process.pid + '\\n' + require('os').hostname() + '\\n', { flag: 'wx' });
        process.stdout.write('locked\\n');
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
          child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
        });
        const started = Date.now();
        assert.throws(
          () => withFileLock(file, () => 'never', 150),
          (error: unknown) => error instanceof LockTimeoutError && /x\.jsonl\.lock is held by another process/.test(error.message),
        );
        assert.ok(Date.now() - started >= 150, 'waited for the timeout');
        assert.equal(fs.existsSync(lock), true, "a live process's lock is left alone");
      } finally {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill();
        await exited;
      }
      assert.equal(withFileLock(file, () => 'ran', 2000), 'ran', 'the dead holder\'s lock is taken over');
      assert.equal(fs.existsSync(lock), false);
    });

    it('serialises with another process: fn runs only after the other holder released the lock', async () => {
      const file = path.join(dir, 'x.jsonl');
      const log = path.join(dir, 'order.log');
      // Another process following the same protocol: O_EXCL lock file with "pid\nhost", removed when done.
      const holder = `
        const fs = require('fs');
        const lock = ${JSON.stringify(`${file}.lock`)};
        fs.writeFileSync(lock, process.pid + '\\n' + require('os').hostname() + '\\n', { flag: 'wx' });
        process.stdout.write('locked\\n');
        setTimeout(() => { fs.appendFileSync(${JSON.stringify(log)}, 'other\\n'); fs.rmSync(lock); }, 300);
      `;
      const child = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
      });
      withFileLock(file, () => {
        assert.equal(fs.readFileSync(log, 'utf8'), 'other\n', 'the other holder finished first');
        fs.appendFileSync(log, 'us\n');
      });
      assert.equal(fs.readFileSync(log, 'utf8'), 'other\nus\n');
      await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(undefined)));
    });

    it('takes over a lock left by a dead process on this host, at once', () => {
      const file = path.join(dir, 'x.jsonl');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const deadPid = Number(dead.stdout);
      assert.ok(deadPid > 0);
      fs.writeFileSync(`${file}.lock`, `${deadPid}\n${os.hostname()}\n`);
      const started = Date.now();
      assert.equal(withFileLock(file, () => fs.readFileSync(`${file}.lock`, 'utf8').split('\n')[0], 2000), String(process.pid));
      assert.ok(Date.now() - started < 1000, 'no waiting for a timeout');
      assert.equal(fs.existsSync(`${file}.lock`), false);
    });

    it('does not take over a fresh lock of another host (it cannot check the pid there)', () => {
      const file = path.join(dir, 'x.jsonl');
      fs.writeFileSync(`${file}.lock`, `1\nsome-other-host\n`);
      assert.throws(() => withFileLock(file, () => 'never', 100), LockTimeoutError);
      assert.equal(fs.existsSync(`${file}.lock`), true, 'the other host\'s lock is left alone');
    });

    it('takes over a lock of another host once it is older than the stale age', () => {
      const file = path.join(dir, 'x.jsonl');
      fs.writeFileSync(`${file}.lock`, `1\nsome-other-host\n`);
      const old = new Date(Date.now() - 120_000);
      fs.utimesSync(`${file}.lock`, old, old);
      assert.equal(withFileLock(file, () => 'ran', 1000), 'ran');
    });
  });
});
