// Merges without conflicts: label files merge with git's built-in `union` driver, declared in a
// committed .gitattributes, so nothing has to be set up in each clone (a custom driver would need
// .git/config). Measured with git 2.39: two branches that add lines at the same place of a sorted
// label file, and a label file created on both branches (add/add), merge with no conflict; rebase and
// cherry-pick use the same driver. The union keeps both sides' lines; parseLabels then counts the
// latest decision per key and the next compaction makes the file canonical again.
import picomatch from 'picomatch';
import { DEFAULT_LABEL_FILE } from '../config';
import type { Task } from '../types';

export const UNION_ATTRIBUTE = 'merge=union';

/**
 * The .gitattributes pattern of a task's label files: `${dir}/` at the start matches any folder (a
 * pattern without a slash matches the file name at every depth, a leading double star and slash a path at every depth), `${name}`
 * any name; a path without `${dir}` is anchored at the root.
 */
export function labelFilePattern(template: string): string {
  let pattern = template.replace(/\\/g, '/').replace(/^\.\//, '');
  if (pattern.startsWith('${dir}/')) {
    const rest = pattern.slice('${dir}/'.length);
    pattern = rest.includes('/') ? `**/${rest}` : rest;
  }
  pattern = pattern.replace(/\$\{dir\}/g, '**').replace(/\$\{name\}/g, '*');
  return pattern.includes('/') && !pattern.startsWith('/') && !pattern.startsWith('**/') ? `/${pattern}` : pattern;
}

/** The patterns of every task's label files, the default first, each once. */
export function labelFilePatterns(tasks: readonly Pick<Task, 'labelFile'>[]): string[] {
  return [...new Set([labelFilePattern(DEFAULT_LABEL_FILE), ...tasks.map((t) => labelFilePattern(t.labelFile))])];
}

/** The line .gitattributes needs for a pattern. */
export function unionLine(pattern: string): string {
  return `${pattern} ${UNION_ATTRIBUTE}`;
}

/** .gitattributes with a union line for every pattern it lacks; the same text when it has them all. */
export function withUnionLines(existing: string, patterns: readonly string[]): string {
  const present = new Set(existing.split(/\r?\n/).map((l) => l.trim().replace(/\s+/g, ' ')));
  const missing = patterns.map(unionLine).filter((line) => !present.has(line));
  if (missing.length === 0) return existing;
  const head = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
  const comment = existing.includes('# Loopmark') ? [] : ['# Loopmark: label files of two branches merge by keeping both sides\' lines (see `loopmark check`)'];
  return `${head}${[...comment, ...missing].join('\n')}\n`;
}

/**
 * Whether the root .gitattributes gives a file (path relative to the root) `merge=union`, by git's
 * rules for its patterns: without a slash the pattern matches the name at any depth, with one it is
 * anchored at the root; the last line that sets `merge` wins. Nested .gitattributes files are not read.
 */
export function mergesByUnion(gitattributes: string, relativePath: string): boolean {
  const file = relativePath.replace(/\\/g, '/');
  const name = file.slice(file.lastIndexOf('/') + 1);
  let union = false;
  for (const raw of gitattributes.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [pattern, ...attributes] = line.split(/\s+/);
    const merge = attributes.map((a) => (a === '-merge' || a === '!merge' ? 'unset' : a.startsWith('merge=') ? a.slice(6) : undefined)).filter((a) => a !== undefined).pop();
    if (merge === undefined || !pattern) continue;
    const anchored = pattern.includes('/');
    const matches = anchored ? picomatch.isMatch(file, pattern.replace(/^\//, ''), { dot: true }) : picomatch.isMatch(name, pattern, { dot: true });
    if (matches) union = merge === 'union';
  }
  return union;
}
