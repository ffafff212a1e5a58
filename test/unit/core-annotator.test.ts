// server/src/core/annotator.ts: who is labeling, from git's config files, without running git.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { emailFromGitConfig, resolveAnnotator } from '../../server/src/core/annotator';

describe('core/annotator: emailFromGitConfig', () => {
  it('reads user.email', () => {
    assert.equal(emailFromGitConfig('[user]\n\tname = A\n\temail = a@example.com\n'), 'a@example.com');
  });

  it('section and key names are case-insensitive; spaces around = are optional', () => {
    assert.equal(emailFromGitConfig('[User]\nEMAIL=b@example.com'), 'b@example.com');
    assert.equal(emailFromGitConfig('[ user ]\r\n  Email   =   c@example.com  \r\n'), 'c@example.com');
  });

  it('the last entry wins, as in git', () => {
    assert.equal(emailFromGitConfig('[user]\nemail = first@x\n[core]\nx = 1\n[user]\nemail = last@x\n'), 'last@x');
  });

  it('ignores email in other sections, comments, and an empty value', () => {
    assert.equal(emailFromGitConfig('[sendemail]\nemail = no@x\n[core]\nemail = no@x\n'), undefined);
    assert.equal(emailFromGitConfig('[user]\n# email = no@x\n; email = no@x\n'), undefined);
    assert.equal(emailFromGitConfig('[user]\nemail =\n'), undefined);
    assert.equal(emailFromGitConfig(''), undefined);
  });

  it('a subsection [user "x"] is not [user]', () => {
    assert.equal(emailFromGitConfig('[user]\nemail = main@x\n[user "work"]\nemail = sub@x\n'), 'main@x');
  });

  it('strips quotes and a trailing comment, as git does', () => {
    assert.equal(emailFromGitConfig('[user]\nemail = "q@example.com"\n'), 'q@example.com');
    assert.equal(emailFromGitConfig('[user]\nemail = d@example.com # work address\n'), 'd@example.com');
    assert.equal(emailFromGitConfig('[user]\nemail = e@example.com ; note\n'), 'e@example.com');
    assert.equal(emailFromGitConfig('[user]\nemail = "f#1@example.com" # quoted hash kept\n'), 'f#1@example.com');
  });

  it('a section header followed by an entry on the same line', () => {
    assert.equal(emailFromGitConfig('[user] email = same@line'), 'same@line');
  });
});

describe('core/annotator: resolveAnnotator', () => {
  let base: string;
  let home: string;
  let workspace: string;

  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-annotator-')));
    home = path.join(base, 'home');
    workspace = path.join(base, 'repo', 'sub');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(workspace, { recursive: true });
  });

  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }

  const env = (): NodeJS.ProcessEnv => ({ HOME: home });

  it('order: explicit override, LOOPMARK_ANNOTATOR, repository config, ~/.gitconfig, XDG config, OS user', () => {
    write(path.join(home, '.config', 'git', 'config'), '[user]\nemail = xdg@x\n');
    assert.equal(resolveAnnotator(workspace, undefined, env()), 'xdg@x');
    write(path.join(home, '.gitconfig'), '[user]\nemail = global@x\n');
    assert.equal(resolveAnnotator(workspace, undefined, env()), 'global@x');
    write(path.join(base, 'repo', '.git', 'config'), '[core]\nbare = false\n[user]\nemail = repo@x\n');
    assert.equal(resolveAnnotator(workspace, undefined, env()), 'repo@x', 'found by walking up from a subfolder');
    assert.equal(resolveAnnotator(workspace, undefined, { ...env(), LOOPMARK_ANNOTATOR: 'env@x' }), 'env@x');
    assert.equal(resolveAnnotator(workspace, '  explicit@x  ', { ...env(), LOOPMARK_ANNOTATOR: 'env@x' }), 'explicit@x');
    assert.equal(resolveAnnotator(workspace, '   ', env()), 'repo@x', 'a blank override does not count');
  });

  it('XDG_CONFIG_HOME moves the XDG config', () => {
    write(path.join(base, 'xdg', 'git', 'config'), '[user]\nemail = moved@x\n');
    assert.equal(resolveAnnotator(workspace, undefined, { ...env(), XDG_CONFIG_HOME: path.join(base, 'xdg') }), 'moved@x');
  });

  it('follows a .git file (worktree or submodule) to its git dir', () => {
    write(path.join(base, 'real-git-dir', 'config'), '[user]\nemail = worktree@x\n');
    write(path.join(base, 'repo', '.git'), `gitdir: ${path.join(base, 'real-git-dir')}\n`);
    assert.equal(resolveAnnotator(workspace, undefined, env()), 'worktree@x');
    write(path.join(base, 'repo', '.git'), 'gitdir: ../real-git-dir\n');
    assert.equal(resolveAnnotator(workspace, undefined, env()), 'worktree@x', 'relative to the folder of the .git file');
  });

  it('without any git config: the OS user name', () => {
    assert.equal(resolveAnnotator(workspace, undefined, env()), os.userInfo().username || 'unknown');
  });

  it('an unreadable or binary config is skipped, not fatal', () => {
    write(path.join(home, '.gitconfig'), '\u0000\u0001[user\u0000');
    fs.mkdirSync(path.join(home, '.config', 'git', 'config'), { recursive: true }); // a folder where a file should be
    assert.equal(resolveAnnotator(workspace, undefined, env()), os.userInfo().username || 'unknown');
  });
});
