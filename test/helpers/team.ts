// A small declared task for the team tests (agreement, check, init, git merges), and the loopmark
// bin run to completion as a script or CI runs it.
import { spawnSync } from 'node:child_process';
import { CLI } from '../lsp/client';

export const TEAM_LABELS = ['pos', 'neg', 'neu'];

export const TEAM_CONFIG = `${JSON.stringify({ tasks: [{ name: 'reviews', files: ['data/*.jsonl'], labels: TEAM_LABELS }] }, null, 2)}\n`;

/** Samples s1..sN, one a line, each with its own text. */
export function teamDataset(n: number): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: `s${i + 1}`, text: `review number ${i + 1}: ${['great', 'broken', 'fine'][i % 3]}` })).join('\n') + '\n';
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** `loopmark ...args` in `cwd`; the annotator comes from --annotator or git's config, never from the environment. */
export function loopmark(cwd: string, ...args: string[]): Run {
  const env = { ...process.env };
  delete env['LOOPMARK_ANNOTATOR'];
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}
