// Finding the workspace of a dataset on the command line, and failing with a message a user can act on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE } from '../core/config';
import type { DatasetFields } from '../core/dataset';
import { Project } from '../core/workspace/project';
import { workerIndexSteps } from '../parallelIndex';

/** The workspace root of a file: the nearest folder above it with a loopmark.json, else its git root, else cwd. */
export function findRoot(start: string): string {
  let dir = path.resolve(start);
  if (fs.existsSync(dir) && fs.statSync(dir).isFile()) dir = path.dirname(dir);
  let gitRoot: string | undefined;
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, CONFIG_FILE))) return d;
    if (!gitRoot && fs.existsSync(path.join(d, '.git'))) gitRoot = d;
    if (path.dirname(d) === d) break;
  }
  return gitRoot ?? process.cwd();
}

export function fail(message: string): never {
  process.stderr.write(`loopmark: ${message}\n`);
  process.exit(2);
}

/** The project of a dataset, with the dataset read (a large one indexed on worker threads). */
export async function projectFor(dataset: string, options: { root?: string; annotator?: string }): Promise<{ project: Project; file: string }> {
  const file = path.resolve(dataset);
  if (!fs.existsSync(file)) fail(`${dataset}: no such file`);
  const root = options.root ? path.resolve(options.root) : findRoot(file);
  // Nothing else in this process needs the CPU: the workers run at full priority.
  const largeFileSteps = (large: string, fields: DatasetFields) => workerIndexSteps(large, fields, { nice: 0 });
  const project = new Project({ root, largeFiles: 'background', largeFileSteps, ...(options.annotator ? { annotator: options.annotator } : {}) });
  for (const p of project.config.problems) process.stderr.write(`${path.join(root, CONFIG_FILE)}:${p.line + 1}: ${p.message}\n`);
  if (!(await project.ready(file))) fail(`${dataset} is not a dataset of any task in ${root} (check "files" in loopmark.json, and that records have the text field)`);
  return { project, file };
}

