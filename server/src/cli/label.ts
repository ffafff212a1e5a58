// `loopmark label`: write one decision to a dataset's label file from a shell or a script, with the
// same lock, durability and compaction as the language server (several windows and CLIs may write at once).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { fail, findRoot } from './root';
import { CONFIG_FILE } from '../core/config';
import { serializeLabel } from '../core/labels';
import { canonicalSet } from '../core/labelSets';
import { Project } from '../core/workspace/project';
import { ANSWERS, type Answer } from '../core/types';
import { applyDecisions } from '../core/workspace/decisions';


interface LabelOptions {
  answer: Answer;
  labels?: string[];
  annotator?: string;
  root?: string;
}

export function registerLabelCommand(program: Command): void {
  program
    .command('label')
    .description('write a decision on one sample to the label file (durable when the command returns)')
    .argument('<dataset>', 'dataset file (.jsonl)')
    .argument('<sampleId>', "the sample's id (as shown in the hover, e.g. r003 or text:0123abcd...)")
    .argument('[label...]', 'the label (a multi-label task: the labels of the set)')
    .option('--labels <names>', 'a multi-label task: the complete set, comma-separated ("" for none of the labels); may be repeated', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .addOption(new Option('--answer <answer>', 'accept the label, reject it, or ignore (skip) the sample').choices(ANSWERS).default('accept'))
    .addOption(new Option('--annotator <name>', 'who is labeling (default: git config user.email)'))
    .addOption(new Option('--root <folder>', 'workspace folder (default: nearest folder with loopmark.json, else the git root)'))
    .action((dataset: string, sampleId: string, given: string[], options: LabelOptions) => {
      const file = path.resolve(dataset);
      if (!fs.existsSync(file)) fail(`${dataset}: no such file`);
      const root = options.root ? path.resolve(options.root) : findRoot(file);
      const project = new Project({ root, ...(options.annotator ? { annotator: options.annotator } : {}) });
      for (const p of project.config.problems) process.stderr.write(`${path.join(root, CONFIG_FILE)}:${p.line + 1}: ${p.message}\n`);
      const entry = project.entry(file);
      // reliability (issue 10): a label path refused at bind time (a symbolic link out) says so, not "no task".
      const refused = entry ? undefined : project.fileProblems(file)[0];
      if (refused) fail(`${dataset}: ${refused.message}`);
      if (!entry) fail(`${dataset} is not a dataset of any task in ${root} (check "files" in loopmark.json, and that records have the text field)`);
      const task = project.effectiveTask(entry);
      const listed = (options.labels ?? []).flatMap((list) => list.split(',')).map((l) => l.trim()).filter((l) => l !== '');
      let chosen: { label: string } | { labels: string[] };
      if (task.multiLabel) {
        if (given.length === 0 && options.labels === undefined && options.answer !== 'ignore') fail(`give the labels of the set, e.g. ${sampleId} billing bug, or --labels billing,bug (--labels "" for none)`);
        chosen = { labels: canonicalSet([...given, ...listed]) };
      } else {
        if (options.labels !== undefined) fail(`task '${task.name}' takes one label per sample: give it without --labels (set "multiLabel": true in loopmark.json to label sets)`);
        // A skip names no label: it says the sample was seen and left for later.
        if (given.length === 0 && options.answer === 'ignore') chosen = { label: '' };
        else if (given.length !== 1) fail(`give exactly one label (task '${task.name}' takes one label per sample)`);
        else chosen = { label: given[0]! };
      }
      let record;
      try {
        // The one decision path (label set, sets, durability) as the server's. A label typed here was
        // chosen without seeing a prediction: its source is `manual`.
        [record] = applyDecisions(project, file, [{ sampleId, ...chosen, answer: options.answer, source: 'manual' }]);
      } catch (error) {
        fail((error as Error).message);
      }
      if (!record) fail(`nothing was written for '${sampleId}'`);
      process.stdout.write(`${serializeLabel(record)}\n`);
      // The decision is durable; canonical order is best effort (another writer may hold the lock, or a line may be broken).
      try {
        if (!project.compactLabels(entry.labelPath)) {
          const problems = project.labelStore(entry.labelPath).problems;
          if (problems.length > 0) {
            process.stderr.write(`loopmark: ${path.relative(process.cwd(), entry.labelPath)} has ${problems.length} unparseable line(s) (first: line ${problems[0]!.line + 1}: ${problems[0]!.message}); the label was appended, the file is left as it is\n`);
          }
        }
      } catch (error) {
        process.stderr.write(`loopmark: the label was written; rewriting ${entry.labelPath} in canonical order failed: ${(error as Error).message}\n`);
      }
    });
}
