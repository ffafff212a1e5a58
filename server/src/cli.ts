// The `loopmark` command: the language server over stdio, and the same core for CI and scripts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { CONFIG_FILE } from './core/config';
import type { DatasetFields } from './core/dataset';
import { DiskDataset } from './core/diskDataset';
import { Project } from './core/project';
import { datasetStats, formatStats } from './core/stats';
import { workerIndexSteps } from './parallelIndex';
import { registerLabelCommand } from './cli-label';
import { registerModelCommands } from './cli-model';

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

function fail(message: string): never {
  process.stderr.write(`loopmark: ${message}\n`);
  process.exit(2);
}

/** The project of a dataset, with the dataset read (a large one indexed on worker threads). */
async function projectFor(dataset: string, options: { root?: string; annotator?: string }): Promise<{ project: Project; file: string }> {
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

/** Names the first bad lines of a dataset on stderr, as `file:line: message`. */
function reportBadLines(project: Project, file: string, shown: string, max = 20): void {
  const dataset = project.entry(file)?.dataset;
  if (!dataset) return;
  let reported = 0;
  let bad = 0;
  // A disk index keeps no warnings: there only invalid lines are named (reading it all again would double the cost).
  const warnings = !(dataset instanceof DiskDataset);
  for (let line = 0; line < dataset.lineCount; line++) {
    const kind = dataset.lineKind(line);
    if (kind === 'blank' || (kind === 'sample' && !warnings)) continue;
    const parsed = dataset.parsedLine(line);
    const problem = parsed.kind === 'error' ? parsed.error : parsed.kind === 'sample' ? parsed.warning : undefined;
    if (!problem) continue;
    bad++;
    if (reported >= max) continue;
    process.stderr.write(`${shown}:${line + 1}: ${problem.message}\n`);
    reported++;
  }
  if (bad > reported) process.stderr.write(`${shown}: ${bad - reported} more lines with problems\n`);
}

export function buildCli(): Command {
  const program = new Command('loopmark')
    .description('Human-in-the-loop annotation: predictions as diagnostics, labels as plain files in git.')
    .showHelpAfterError();
  const rootOption = new Option('--root <folder>', 'workspace folder (default: nearest folder with loopmark.json, else the git root)');
  const annotatorOption = new Option('--annotator <name>', 'who is labeling (default: git config user.email)');

  program
    .command('lsp')
    .description('run the language server (for any LSP editor)')
    .option('--stdio', 'talk LSP over stdin/stdout (the only transport)')
    .addOption(annotatorOption)
    .action((options: { annotator?: string }) => {
      if (!process.argv.includes('--stdio')) process.argv.push('--stdio');
      // Loaded here so `loopmark stats` does not pay for the LSP library.
      const { startServer } = require('./server') as typeof import('./server');
      const { createServerConnection } = require('./connection') as typeof import('./connection');
      startServer(createServerConnection(), options.annotator ? { annotator: options.annotator } : {});
    });

  program
    .command('stats')
    .description('count samples, labels per label and per answer')
    .argument('<dataset...>', 'dataset files (.jsonl)')
    .option('--json', 'print JSON for machines')
    .addOption(rootOption)
    .addOption(annotatorOption)
    .action(async (datasets: string[], options: { json?: boolean; root?: string; annotator?: string }) => {
      const results = [];
      for (const dataset of datasets) {
        const { project, file } = await projectFor(dataset, options);
        reportBadLines(project, file, dataset);
        results.push({ dataset, ...datasetStats(project, file) });
      }
      if (options.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
      else process.stdout.write(results.map((r) => formatStats(r.dataset, r)).join('\n'));
    });

  registerLabelCommand(program);
  registerModelCommands(program, projectFor);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => fail((error as Error).message));
}
