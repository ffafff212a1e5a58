// Who is labeling. Read from git's config files directly rather than by running git, so nothing is
// spawned (Restricted Mode) and the answer is the same in the server and the CLI.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The `user.email` of a git config file's text, or undefined. Later entries win, as in git. */
export function emailFromGitConfig(text: string): string | undefined {
  let section = '';
  let email: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const header = /^\[\s*([^\]\s"]+)(\s+"(?:[^"\\]|\\.)*")?\s*\](.*)$/.exec(line);
    if (header) {
      // `[user "work"]` is a subsection, not `[user]`; an entry may follow the header on the same line.
      section = header[1]!.toLowerCase() + (header[2] ? ' (subsection)' : '');
      line = header[3]!.trim();
      if (line === '') continue;
    }
    const entry = /^([A-Za-z][\w-]*)\s*=\s*(.*)$/.exec(line);
    if (section === 'user' && entry && entry[1]!.toLowerCase() === 'email') {
      email = gitValue(entry[2]!);
    }
  }
  return email || undefined;
}

/** A git config value: quotes removed, backslash escapes read, and a `#` or `;` comment outside quotes dropped. */
function gitValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return out.trim();
}

function readEmail(file: string): string | undefined {
  try {
    return emailFromGitConfig(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Finds the .git folder (or worktree file) above `start`. */
function gitDir(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, '.git');
    try {
      const stat = fs.statSync(candidate);
      if (stat.isDirectory()) return candidate;
      const pointer = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(candidate, 'utf8'));
      if (pointer) return path.resolve(dir, pointer[1]!.trim());
    } catch {
      // not here; go up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The annotator's identity: an explicit override, else git's user.email as git would resolve it
 * (repository config over global config over XDG config), else the OS user name.
 */
export function resolveAnnotator(workspaceRoot: string, override?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (override && override.trim()) return override.trim();
  if (env['LOOPMARK_ANNOTATOR']) return env['LOOPMARK_ANNOTATOR'];
  const home = env['HOME'] ?? os.homedir();
  const candidates: string[] = [];
  const repo = gitDir(workspaceRoot);
  if (repo) candidates.push(path.join(repo, 'config'));
  candidates.push(path.join(home, '.gitconfig'));
  candidates.push(path.join(env['XDG_CONFIG_HOME'] ?? path.join(home, '.config'), 'git', 'config'));
  for (const file of candidates) {
    const email = readEmail(file);
    if (email) return email;
  }
  return os.userInfo().username || 'unknown';
}
