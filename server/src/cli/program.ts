// The commands of `loopmark`: the language server over stdio, and the same core for CI and scripts.
import { Command, Option } from 'commander';
import { version } from '../../../package.json';
import { DiskDataset } from '../core/diskDataset';
import type { Project } from '../core/workspace/project';
import { datasetStats, formatStats } from '../core/stats';
import { registerInterchangeCommands } from './interchange';
import { registerLabelCommand } from './label';
import { registerModelCommands } from './model';
import { projectFor } from './root';
import { registerTeamCommands } from './team';

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
    .version(version, '-V, --version')
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
      const { startServer } = require('../lsp/server') as typeof import('../lsp/server');
      const { createServerConnection } = require('../lsp/connection') as typeof import('../lsp/connection');
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
  registerTeamCommands(program);
  registerInterchangeCommands(program);
  return program;
}
