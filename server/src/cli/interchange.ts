// `loopmark import` and `loopmark export`: datasets from and to the formats of Prodigy, Label Studio,
// doccano, brat, CoNLL, Argilla, spaCy and Hugging Face, through the codecs of core/formats. Nothing
// is overwritten silently: an import into an existing dataset adds only new samples and new
// decisions, and reports every decision that differs from one already in the label file (the label
// file's is kept). Every write stays inside the workspace and is atomic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { CONFIG_FILE, DEFAULT_LABEL_FILE, expandTemplate, parseConfig, taskFor } from '../core/config';
import type { ReadOptions } from '../core/formats/codec';
import { DatasetBuilder, fromDataset } from '../core/formats/dataset';
import type { FormatProblem, Unsupported } from '../core/formats/model';
import { readFileWith } from '../core/formats/readFile';
import { CODECS, codecNamed, detectFormat } from '../core/formats/registry';
import { writeFileAtomic } from '../core/fsutil';
import { sampleId } from '../core/identity';
import { LabelFile, labelKey } from '../core/labels';
import { resolveInside, toRelative } from '../core/paths';
import type { LabelRecord } from '../core/types';
import { EXPORT_FORMATS as LLM_FORMATS, type ExportFormat as LlmFormat } from '../core/kinds/llm/export';
import { exportLlmDataset } from './llmExport';
import { fail } from './root';

const FORMATS = CODECS.map((c) => c.name);

/** A path given on the command line, as a path inside the workspace root; refused when outside. */
function insideRoot(root: string, given: string): string {
  const rel = path.relative(root, path.resolve(given));
  try {
    return resolveInside(root, rel === '' ? '.' : rel);
  } catch (error) {
    fail(`${given}: ${(error as Error).message} (${root})`);
  }
}

function labelFileOf(root: string, dataset: string): string {
  const rel = toRelative(root, dataset);
  let template = DEFAULT_LABEL_FILE;
  const config = path.join(root, CONFIG_FILE);
  if (fs.existsSync(config)) template = taskFor(parseConfig(fs.readFileSync(config, 'utf8')).tasks, rel)?.labelFile ?? DEFAULT_LABEL_FILE;
  return insideRoot(root, path.join(root, expandTemplate(template, rel)));
}

function report(shown: string, problems: readonly FormatProblem[], unsupported: readonly Unsupported[], max = 20): void {
  problems.slice(0, max).forEach((p) => process.stderr.write(`${p.file ?? shown}${p.line > 0 ? `:${p.line}` : ''}: ${p.message}\n`));
  if (problems.length > max) process.stderr.write(`${shown}: ${problems.length - max} more problems\n`);
  for (const u of unsupported) process.stderr.write(`${shown}: not expressible: ${u.what} (${u.count})\n`);
}

function readHead(file: string): string {
  if (fs.statSync(file).isDirectory()) {
    const ann = fs.readdirSync(file).find((f) => f.endsWith('.ann'));
    return ann ? fs.readFileSync(path.join(file, ann), 'utf8').slice(0, 65536) : '';
  }
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(65536);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

interface ImportOptions {
  from: string;
  as: 'labels' | 'predictions';
  annotator?: string;
  out?: string;
  root?: string;
  textField?: string;
  labelField?: string;
  labelNames?: string;
  json?: boolean;
}

/** The ids and texts of an existing dataset (to merge into it), by id. */
function existingSamples(file: string): Map<string, string> {
  const byId = new Map<string, string>();
  if (!fs.existsSync(file)) return byId;
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r['text'] === 'string') byId.set(sampleId(r['id'], r['text']).id, r['text']);
    } catch {
      // a broken line is the dataset's problem, reported by `loopmark stats`; it is left as it is
    }
  }
  return byId;
}

async function runImport(file: string, options: ImportOptions): Promise<void> {
  const root = path.resolve(options.root ?? process.cwd());
  const input = path.resolve(file);
  if (!fs.existsSync(input)) fail(`${file}: no such file or folder`);
  let codec = options.from === 'auto' ? undefined : codecNamed(options.from);
  if (options.from === 'auto') {
    const ranked = fs.statSync(input).isDirectory() ? [{ codec: codecNamed('brat')!, confidence: 1 }] : detectFormat(readHead(input), path.basename(input));
    codec = ranked[0]?.codec;
    if (!codec) fail(`${file}: not a format Loopmark recognises; give it with --from (${FORMATS.join(', ')})`);
  } else if (!codec) fail(`unknown format '${options.from}' (${FORMATS.join(', ')}, or auto)`);
  const stem = path.basename(input).replace(/\.[^.]*$/, '');
  const base = input.startsWith(root + path.sep) && !fs.statSync(input).isDirectory() ? path.dirname(input) : root;
  let defaultOut = path.join(base, `${stem}.jsonl`);
  if (defaultOut === input) defaultOut = path.join(base, `${stem}.imported.jsonl`);
  const out = insideRoot(root, options.out ?? defaultOut);
  if (out === input) fail(`--out ${options.out} is the file being imported: give another dataset path`);
  const labelPath = labelFileOf(root, out);
  const readOptions: ReadOptions = {};
  if (options.annotator) readOptions.annotator = options.annotator;
  if (options.textField) readOptions.textField = options.textField;
  if (options.labelField) readOptions.labelField = options.labelField;
  if (options.labelNames) readOptions.labelNames = options.labelNames.split(',').map((s) => s.trim());
  const builder = new DatasetBuilder({ format: codec!.name, as: options.as, time: new Date().toISOString() });
  const summary = await readFileWith(codec!, input, readOptions, (doc) => builder.add(doc));
  const built = builder.result();
  report(file, summary.problems, [...summary.unsupported, ...built.unsupported]);
  for (const note of built.notes) process.stderr.write(`${file}: ${note}\n`);

  // Merge into what is there: new samples appended; a sample id with another text refuses the import.
  const existing = existingSamples(out);
  const added: string[] = [];
  const clashes: string[] = [];
  for (const line of built.lines) {
    const r = JSON.parse(line) as { id: string; text: string };
    const had = existing.get(r.id);
    if (had === undefined) added.push(line);
    else if (had !== r.text) clashes.push(r.id);
  }
  if (clashes.length > 0) {
    fail(`${toRelative(root, out)} already has sample(s) ${clashes.slice(0, 5).join(', ')}${clashes.length > 5 ? ` and ${clashes.length - 5} more` : ''} with another text: nothing was written; import into another --out`);
  }
  const labels = new LabelFile(labelPath);
  const before = labels.read();
  if (before.problems.length > 0 && built.labels.length > 0) {
    fail(`${toRelative(root, labelPath)}:${before.problems[0]!.line + 1}: ${before.problems[0]!.message}; fix the label file first (nothing was written)`);
  }
  const newLabels: LabelRecord[] = [];
  const conflicts: string[] = [];
  for (const r of built.labels) {
    const had = before.records.get(labelKey(r));
    if (!had) newLabels.push(r);
    else if ((had.label ?? JSON.stringify(had.labels)) !== (r.label ?? JSON.stringify(r.labels)) || had.answer !== r.answer) {
      conflicts.push(`${r.id}${r.target?.kind === 'span' ? ` span ${r.target.start}-${r.target.end}` : ''} by ${r.annotator}: the label file has ${had.label ?? JSON.stringify(had.labels)} (${had.answer}), the import ${r.label ?? JSON.stringify(r.labels)} (${r.answer})`);
    }
  }
  for (const c of conflicts.slice(0, 20)) process.stderr.write(`conflict: ${c}; the label file's decision is kept\n`);
  if (conflicts.length > 20) process.stderr.write(`conflict: ${conflicts.length - 20} more, all kept as the label file has them\n`);
  if (added.length > 0 || !fs.existsSync(out)) {
    const old = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    writeFileAtomic(out, `${old}${old === '' || old.endsWith('\n') ? '' : '\n'}${added.map((l) => `${l}\n`).join('')}`);
  }
  if (newLabels.length > 0) {
    labels.append(newLabels);
    labels.compact();
  }
  const result = {
    format: codec!.name,
    dataset: toRelative(root, out),
    labelFile: newLabels.length > 0 || fs.existsSync(labelPath) ? toRelative(root, labelPath) : undefined,
    samples: summary.documents,
    added: added.length,
    labels: newLabels.length,
    conflicts: conflicts.length,
    problems: summary.problems.length,
    unsupported: [...summary.unsupported, ...built.unsupported],
    ...(summary.labels ? { labelSet: summary.labels } : {}),
  };
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`Imported ${result.samples} samples from ${codec!.name} into ${result.dataset} (${result.added} new), ${result.labels} new decisions${result.labelFile ? ` in ${result.labelFile}` : ''}`);
    process.stdout.write(`${result.conflicts ? `, ${result.conflicts} conflicts kept as they were` : ''}${result.problems ? `, ${result.problems} problems (above)` : ''}\n`);
  }
}

interface ExportOptions {
  format: string;
  include?: string;
  out?: string;
  root?: string;
  force?: boolean;
}

function runExport(dataset: string, options: ExportOptions): void {
  const root = path.resolve(options.root ?? process.cwd());
  if ((LLM_FORMATS as readonly string[]).includes(options.format)) return runLlmExport(root, dataset, options);
  const codec = codecNamed(options.format);
  if (!codec) fail(`unknown format '${options.format}' (${FORMATS.join(', ')})`);
  const file = path.resolve(dataset);
  if (!fs.existsSync(file)) fail(`${dataset}: no such file`);
  const records: Record<string, unknown>[] = [];
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as unknown;
      if (r !== null && typeof r === 'object' && !Array.isArray(r) && typeof (r as Record<string, unknown>)['text'] === 'string') records.push(r as Record<string, unknown>);
      else process.stderr.write(`${dataset}:${i + 1}: not a record with "text": skipped\n`);
    } catch (error) {
      process.stderr.write(`${dataset}:${i + 1}: not valid JSON (${(error as Error).message}): skipped\n`);
    }
  });
  const labelPath = labelFileOf(root, insideRoot(root, file));
  const parsed = new LabelFile(labelPath).read();
  for (const p of parsed.problems) process.stderr.write(`${toRelative(root, labelPath)}:${p.line + 1}: ${p.message}\n`);
  const written = codec!.write(fromDataset(records, parsed.records.values()));
  report(dataset, [], written.unsupported);
  if (written.files) {
    if (!options.out) fail(`${codec!.name} writes a folder of files: give it with --out <folder>`);
    const folder = insideRoot(root, options.out);
    for (const [rel, content] of written.files) {
      const target = insideRoot(root, path.join(folder, rel));
      if (fs.existsSync(target) && !options.force && fs.readFileSync(target, 'utf8') !== content) fail(`${toRelative(root, target)} exists: nothing more was written (use --force to replace)`);
      writeFileAtomic(target, content);
    }
    process.stderr.write(`Exported ${records.length} samples to ${toRelative(root, folder)}/ (${written.files.size} files)\n`);
    return;
  }
  if (!options.out) {
    process.stdout.write(written.text ?? '');
    return;
  }
  const target = insideRoot(root, options.out);
  if (fs.existsSync(target) && !options.force) fail(`${options.out} exists: use --force to replace it`);
  writeFileAtomic(target, written.text ?? '');
  process.stderr.write(`Exported ${records.length} samples to ${toRelative(root, target)}\n`);
}

/** An llm dataset to a trainer's format (llmExport.ts): written atomically inside the workspace, or to stdout. */
function runLlmExport(root: string, dataset: string, options: ExportOptions): void {
  const file = path.resolve(dataset);
  if (!fs.existsSync(file)) fail(`${dataset}: no such file`);
  if (options.include !== undefined && options.include !== 'unreviewed') fail(`--include takes 'unreviewed', not '${options.include}'`);
  const labelPath = labelFileOf(root, insideRoot(root, file));
  const labels = fs.existsSync(labelPath) ? fs.readFileSync(labelPath, 'utf8') : '';
  const result = exportLlmDataset(fs.readFileSync(file, 'utf8'), labels, options.format as LlmFormat, options.include === 'unreviewed');
  for (const s of result.skipped) process.stderr.write(`${dataset}: sample ${s.index + 1}: ${s.reason}: skipped\n`);
  if (!options.out) {
    process.stdout.write(result.text);
    return;
  }
  const target = insideRoot(root, options.out);
  if (fs.existsSync(target) && !options.force) fail(`${options.out} exists: use --force to replace it`);
  writeFileAtomic(target, result.text);
  process.stderr.write(`Exported ${result.exported} samples to ${toRelative(root, target)}\n`);
}

export function registerInterchangeCommands(program: Command): void {
  const rootOption = new Option('--root <folder>', 'workspace folder: every file written stays inside it (default: the current folder)');
  program
    .command('import')
    .description('read a Prodigy, Label Studio, doccano, brat, CoNLL, Argilla, spaCy or Hugging Face file into a dataset and its label file')
    .argument('<file>', 'the file to import (a folder for brat)')
    .addOption(new Option('--from <format>', 'the file\'s format').choices([...FORMATS, 'auto']).default('auto'))
    .addOption(new Option('--as <kind>', 'the file\'s decisions become labels (label file) or predictions (in the dataset)').choices(['labels', 'predictions']).default('labels'))
    .option('--annotator <name>', 'who the decisions belong to when the file does not say')
    .option('--out <dataset>', 'the dataset to write or add to (.jsonl; default: beside the file)')
    .option('--text-field <name>', 'the column with the text (Hugging Face, Label Studio data, Argilla fields)')
    .option('--label-field <name>', 'the column with the label (Hugging Face), or the question (Argilla)')
    .option('--label-names <names>', 'class names of the label column\'s indices, comma-separated (Hugging Face)')
    .option('--json', 'print the summary as JSON')
    .addOption(rootOption)
    .action((file: string, options: ImportOptions) => runImport(file, options));
  program
    .command('export')
    .description('write a dataset and its labels in a peer tool\'s format (stdout, or --out)')
    .argument('<dataset>', 'the dataset (.jsonl)')
    .addOption(new Option('--format <format>', 'the format to write (peer tools, or an llm trainer\'s)').choices([...FORMATS, ...LLM_FORMATS]).makeOptionMandatory())
    .option('--include <which>', 'llm formats: also export unreviewed samples (--include unreviewed); accepted only by default')
    .option('--out <path>', 'the file to write (a folder for brat); default: stdout')
    .option('--force', 'replace an existing --out')
    .addOption(new Option('--root <folder>', 'workspace folder: every file written stays inside it (default: the current folder)'))
    .action((dataset: string, options: ExportOptions) => runExport(dataset, options));
}
