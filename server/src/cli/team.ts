// Teams through git: `loopmark agreement` (how much annotators agree), `loopmark check` (label files
// and datasets for CI and pre-commit hooks) and `loopmark init` (what a repository needs for merges
// without conflicts). The logic is in core/agreement and core/check; this file reads files and prints.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { agreementJson, agreementReport, formatAgreement, headlineAgreement } from '../core/agreement/report';
import { checkDataset } from '../core/check/dataset';
import { labelFilePatterns, mergesByUnion, unionLine, withUnionLines } from '../core/check/gitattributes';
import { checkLabelFile } from '../core/check/labelFile';
import { failing, formatProblem, type CheckProblem } from '../core/check/problem';
import { agreementProblem, unreviewedProblem } from '../core/check/thresholds';
import { configText } from '../core/config';
import { DiskDataset } from '../core/diskDataset';
import { writeFileAtomic } from '../core/fsutil';
import { isInside } from '../core/paths';
import { Project, type DatasetEntry } from '../core/workspace/project';
import type { LabelRecord, Task } from '../core/types';
import { fail, findRoot, projectFor } from './root';

const GITATTRIBUTES = '.gitattributes';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Paths as the user reads them in a terminal or a CI log: relative to where the command runs. */
function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function number(name: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (integer && (!Number.isInteger(n) || n < 0))) throw new InvalidArgumentError(`${name} takes ${integer ? 'a whole number' : 'a number'}, not '${value}'`);
    return n;
  };
}

function records(project: Project, entry: DatasetEntry): LabelRecord[] {
  return [...project.labelStore(entry.labelPath).index.all()].flat();
}

/** The declared labels of a task; undefined for an inferred task, whose labels are whatever its files use. */
function declaredLabels(task: Task): string[] | undefined {
  return task.inferred ? undefined : task.labels.map((l) => l.name);
}

interface CheckOptions {
  root?: string;
  minAgreement?: number;
  maxUnreviewed?: number;
  strict?: boolean;
  fix?: boolean;
  json?: boolean;
}

/**
 * The datasets (and lone label files) a list of paths names: files, folders, or the whole workspace.
 * Other files are skipped, not refused: a pre-commit hook passes every staged .jsonl, predictions too.
 */
function checkTargets(project: Project, paths: readonly string[]): { datasets: string[]; labelFiles: string[]; skipped: string[] } {
  const all = project.datasetFiles();
  if (paths.length === 0) return { datasets: all, labelFiles: [], skipped: [] };
  const datasets = new Set<string>();
  const labelFiles = new Set<string>();
  const skipped: string[] = [];
  // A label file by its task's template, when its dataset is gone: the same patterns `loopmark init` writes.
  const labelPatterns = labelFilePatterns(project.config.tasks).map(unionLine).join('\n');
  const entries = all.map((f) => project.entry(f)).filter((e): e is DatasetEntry => e !== undefined);
  for (const given of paths) {
    const file = path.resolve(given);
    if (!fs.existsSync(file)) fail(`${given}: no such file or folder`);
    if (fs.statSync(file).isDirectory()) {
      for (const f of all) if (isInside(file, f)) datasets.add(f);
      continue;
    }
    if (project.taskOf(file)) {
      datasets.add(file);
      continue;
    }
    const owner = entries.find((e) => e.labelPath === file);
    if (owner) datasets.add(owner.path);
    else if (isInside(project.root, file) && mergesByUnion(labelPatterns, path.relative(project.root, file))) labelFiles.add(file);
    else skipped.push(file);
  }
  return { datasets: [...datasets].sort(), labelFiles: [...labelFiles].sort(), skipped };
}

/** Rewrites a label file canonically under its lock; the problems it fixed are reported as such. */
function fixLabelFile(project: Project, labelPath: string): boolean {
  try {
    return project.compactLabels(labelPath);
  } catch (error) {
    fail(`${shown(labelPath)}: could not rewrite it: ${(error as Error).message}`);
  }
}

const FIXABLE = new Set<CheckProblem['code']>(['not-canonical', 'duplicate-record', 'conflicting-decisions']);

async function runCheck(paths: string[], options: CheckOptions): Promise<void> {
  const root = options.root ? path.resolve(options.root) : findRoot(paths[0] ?? process.cwd());
  const project = new Project({ root });
  const problems: CheckProblem[] = [];
  const fixed: CheckProblem[] = [];
  const notes: string[] = [];
  for (const p of project.config.problems) problems.push({ file: shown(project.configPath), line: p.line, severity: 'error', code: 'config', message: p.message });
  const gitattributes = fs.existsSync(path.join(root, '.git')) ? readText(path.join(root, GITATTRIBUTES)) ?? '' : undefined;
  const { datasets, labelFiles, skipped } = checkTargets(project, paths);
  for (const file of skipped) notes.push(`${shown(file)}: not a dataset or label file of the workspace ${root}: skipped`);

  const checkLabels = (labelPath: string, context: Omit<Parameters<typeof checkLabelFile>[1], 'file'>): void => {
    let text = readText(labelPath);
    if (text === undefined) return;
    const file = shown(labelPath);
    let found = checkLabelFile(text, { ...context, file });
    if (options.fix && found.some((p) => FIXABLE.has(p.code)) && fixLabelFile(project, labelPath)) {
      text = readText(labelPath) ?? '';
      const after = checkLabelFile(text, { ...context, file });
      fixed.push(...found.filter((p) => FIXABLE.has(p.code)));
      found = after;
    }
    problems.push(...found);
    if (gitattributes !== undefined && !mergesByUnion(gitattributes, path.relative(root, labelPath))) {
      problems.push({ file, line: 0, severity: 'warning', code: 'no-union-merge', message: `not merged with ${'`merge=union`'} by ${GITATTRIBUTES}: two branches that label this dataset will conflict; run \`loopmark init\` and commit ${GITATTRIBUTES}` });
    }
  };

  for (const file of datasets) {
    const entry = await project.ready(file);
    if (!entry) continue; // an inferred task's .jsonl without text records is not a dataset
    const name = shown(file);
    problems.push(...checkDataset(entry.dataset, name, { warnings: !(entry.dataset instanceof DiskDataset) }));
    const task = project.effectiveTask(entry);
    const labels = declaredLabels(entry.task);
    checkLabels(entry.labelPath, {
      ...(labels ? { labels } : {}),
      multiLabel: task.multiLabel,
      hasSample: (id) => entry.dataset.firstLineOf(id) !== undefined,
    });
    if (options.minAgreement !== undefined) {
      const report = agreementReport(records(project, entry), labels ?? []);
      const problem = agreementProblem(report, options.minAgreement, name);
      if (problem) problems.push(problem);
      else if (Number.isNaN(headlineAgreement(report).value)) notes.push(`${name}: agreement not measured: no sample has decisions of two annotators`);
    }
    if (options.maxUnreviewed !== undefined) {
      const index = project.labelStore(entry.labelPath).index;
      const ids = new Set<string>();
      for (let line = 0; line < entry.dataset.lineCount; line++) {
        const id = entry.dataset.idAt(line);
        if (id !== undefined && !index.of(id).some((r) => !r.target)) ids.add(id);
      }
      const problem = unreviewedProblem(ids.size, options.maxUnreviewed, name);
      if (problem) problems.push(problem);
    }
  }
  for (const labelPath of labelFiles) checkLabels(labelPath, {});

  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const ok = !failing(problems, options.strict ?? false);
  const files = datasets.length + labelFiles.length;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok, files, errors, warnings, problems: problems.map((p) => ({ ...p, line: p.line + 1 })), fixed: fixed.map((p) => ({ ...p, line: p.line + 1 })), notes }, null, 2)}\n`);
  } else {
    for (const p of fixed) process.stdout.write(`fixed: ${formatProblem(p)}\n`);
    for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
    for (const note of notes) process.stdout.write(`note: ${note}\n`);
    process.stdout.write(`loopmark check: ${files} dataset(s) and label file(s), ${errors} error(s), ${warnings} warning(s)${fixed.length ? `, ${fixed.length} fixed` : ''}${ok ? '' : options.strict && errors === 0 ? ' (--strict fails on warnings)' : ''}\n`);
  }
  process.exitCode = ok ? 0 : 1;
}

/** Every task with the labels its datasets use, for a starter loopmark.json. */
function inferredTasks(project: Project): Task[] {
  const entries = project.datasetFiles().map((f) => project.entry(f)).filter((e): e is DatasetEntry => e !== undefined);
  return project.config.tasks.map((task) => {
    const names = new Set<string>();
    for (const e of entries) if (e.task === task) for (const l of project.effectiveTask(e).labels) names.add(l.name);
    return { ...task, labels: [...names].sort().map((name) => ({ name })) };
  });
}

function runInit(options: { root?: string }): void {
  const root = options.root ? path.resolve(options.root) : findRoot(process.cwd());
  const project = new Project({ root });
  const attributesPath = path.join(root, GITATTRIBUTES);
  const existing = readText(attributesPath) ?? '';
  const updated = withUnionLines(existing, labelFilePatterns(project.config.tasks));
  if (updated === existing) process.stdout.write(`${shown(attributesPath)}: already merges label files by union\n`);
  else {
    writeFileAtomic(attributesPath, updated);
    process.stdout.write(`${shown(attributesPath)}: label files now merge by union (commit it: every clone then merges labels without conflicts)\n`);
  }
  if (fs.existsSync(project.configPath)) {
    process.stdout.write(`${shown(project.configPath)}: kept as it is\n`);
    return;
  }
  const tasks = inferredTasks(project);
  writeFileAtomic(project.configPath, configText(tasks));
  const labels = tasks.flatMap((t) => t.labels.map((l) => l.name));
  process.stdout.write(`${shown(project.configPath)}: written, ${project.datasetFiles().length} dataset(s), labels ${labels.length ? labels.join(', ') : '(none used yet: add them)'}; edit it to name your labels and their guidelines\n`);
}

export function registerTeamCommands(program: Command): void {
  const rootOption = () => new Option('--root <folder>', 'workspace folder (default: nearest folder with loopmark.json, else the git root)');
  program
    .command('agreement')
    .description("how much the annotators agree: observed agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha, per label and per pair")
    .argument('<dataset...>', 'dataset files (.jsonl)')
    .option('--json', 'print JSON for machines (an undefined coefficient is null)')
    .addOption(rootOption())
    .action(async (datasets: string[], options: { json?: boolean; root?: string }) => {
      const results: Array<{ dataset: string; report: ReturnType<typeof agreementReport> }> = [];
      for (const dataset of datasets) {
        const { project, file } = await projectFor(dataset, options);
        const entry = project.entry(file)!;
        const store = project.labelStore(entry.labelPath);
        for (const p of store.problems.slice(0, 20)) process.stderr.write(`${shown(entry.labelPath)}:${p.line + 1}: ${p.message}\n`);
        results.push({ dataset, report: agreementReport(records(project, entry), declaredLabels(entry.task) ?? []) });
      }
      if (options.json) {
        const out = results.map((r) => ({ dataset: r.dataset, ...(agreementJson(r.report) as object) }));
        process.stdout.write(`${JSON.stringify(out.length === 1 ? out[0] : out, null, 2)}\n`);
      } else process.stdout.write(results.map((r) => formatAgreement(r.dataset, r.report)).join('\n'));
    });

  program
    .command('check')
    .description('validate label files and datasets for CI and pre-commit hooks; prints file:line: message, exits 1 on problems')
    .argument('[paths...]', 'datasets, label files or folders (default: every dataset of the workspace)')
    .option('--min-agreement <kappa>', "fail when a dataset's agreement is lower (Cohen's kappa for two annotators, Krippendorff's alpha for more)", number('--min-agreement', false))
    .option('--max-unreviewed <n>', 'fail when a dataset has more samples without any decision', number('--max-unreviewed', true))
    .option('--strict', 'fail on warnings too (files not in canonical order, decisions to reconcile after a merge)')
    .option('--fix', 'rewrite label files canonically first (after a merge: one decision per sample and annotator, the latest)')
    .option('--json', 'print JSON for machines')
    .addOption(rootOption())
    .action((paths: string[], options: CheckOptions) => runCheck(paths, options));

  program
    .command('init')
    .description('set up a repository for teams: .gitattributes so label files merge without conflicts, and a starter loopmark.json')
    .addOption(rootOption())
    .action((options: { root?: string }) => runInit(options));
}
