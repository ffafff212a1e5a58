// The model in the open: `loopmark eval`, `predict`, `queue` and `simulate`, on the same core as the server.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../core/fsutil';
import { readJsonLines } from '../core/jsonl';
import { Learner } from '../core/kinds/classify/learner';
import { COMPARISON_SIZES, compareQueueWithRandom, compareWithBaseline, type QueueComparison, type SizeComparison } from '../core/model/compare';
import { crossValidate, holdout, type EvalResult, type Example } from '../core/model/evaluate';
import type { DatasetEntry, Project } from '../core/workspace/project';
import { predictedLabels } from '../core/labelSets';
import { reviewQueue } from '../core/reviewQueue';

type Open = (dataset: string, options: { root?: string; annotator?: string }) => Promise<{ project: Project; file: string }>;

function fixed(n: number): string {
  return n.toFixed(3);
}

export function formatEval(result: EvalResult, how: string, multiLabel = false): string {
  const labels = result.confusion.labels;
  const width = Math.max(9, ...labels.map((l) => l.length));
  const out = [
    `${how} on ${result.n} labeled samples${multiLabel ? ' (multi-label)' : ''}`,
    multiLabel
      ? `  subset accuracy ${fixed(result.accuracy)}  micro-F1 ${fixed(result.microF1)}  macro-F1 ${fixed(result.macroF1)}  (per-label ECE ${fixed(result.ece)})`
      : `  accuracy ${fixed(result.accuracy)}  macro-F1 ${fixed(result.macroF1)}  (majority baseline ${fixed(result.majorityBaseline)}, ECE ${fixed(result.ece)})`,
    '',
    `  ${'label'.padEnd(width)}  precision  recall     F1  support`,
    ...labels.map((l) => {
      const m = result.perLabel[l]!;
      return `  ${l.padEnd(width)}  ${fixed(m.precision).padStart(9)}  ${fixed(m.recall).padStart(6)}  ${fixed(m.f1).padStart(5)}  ${String(m.support).padStart(7)}`;
    }),
    '',
    multiLabel ? `  co-occurrence (rows: gold label, columns: predicted label, counted per sample)` : `  confusion (rows: gold, columns: predicted)`,
    `  ${''.padEnd(width)}  ${labels.map((l) => l.slice(0, 9).padStart(9)).join(' ')}`,
    ...labels.map((l, i) => `  ${l.padEnd(width)}  ${result.confusion.matrix[i]!.map((v) => String(v).padStart(9)).join(' ')}`),
    '',
  ];
  return out.join('\n');
}

/** The labeled examples of one dataset (accepted decisions that count for the annotator). */
function datasetExamples(project: Project, entry: DatasetEntry): Example[] {
  return new Learner(project).examples(entry.task, [entry]);
}

/**
 * Gold examples from a file: Loopmark label records joined to a dataset's texts, or records with text and
 * label. A `labels` list of one is that label; any other list is a multi-label gold set.
 */
export function readGold(goldFile: string, texts?: Map<string, string>): Example[] {
  const examples: Example[] = [];
  readJsonLines(fs.readFileSync(goldFile, 'utf8'), {
    // The first bad line stops the evaluation: a score over part of the gold file would mislead.
    problem: (problem) => {
      throw new Error(`${goldFile}:${problem.line + 1}: ${problem.message}`);
    },
    value: (value, i) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${goldFile}:${i + 1}: expected a record like {"id": "...", "label": "..."}`);
      const record = value as Record<string, unknown>;
      let label = record['label'] ?? record['labels'];
      if (Array.isArray(label)) label = label.length === 1 ? label[0] : label;
      if (Array.isArray(label)) {
        if (!label.every((l): l is string => typeof l === 'string')) throw new Error(`${goldFile}:${i + 1}: "labels" must be a list of strings`);
      } else if (typeof label !== 'string') {
        return; // no gold label
      }
      if (record['answer'] !== undefined && record['answer'] !== 'accept') return;
      const text = typeof record['text'] === 'string' ? record['text'] : texts?.get(String(record['id']));
      if (typeof text !== 'string') throw new Error(`${goldFile}:${i + 1}: no text for this record (give the dataset with --dataset)`);
      examples.push({ text, label });
    },
  });
  return examples;
}

export function registerModelCommands(program: Command, open: Open): void {
  program
    .command('eval')
    .description('evaluate the embedded model on the labeled samples (k-fold or held-out)')
    .argument('<dataset>', 'dataset file (.jsonl)')
    .option('--folds <k>', 'k-fold cross-validation', '5')
    .option('--holdout <fraction>', 'evaluate on a held-out fraction instead of k folds')
    .option('--seed <n>', 'seed of the split', '1')
    .option('--json', 'print JSON for machines')
    .option('--root <folder>', 'workspace folder')
    .option('--annotator <name>', 'whose labels count')
    .action(async (dataset: string, o: { folds: string; holdout?: string; seed: string; json?: boolean; root?: string; annotator?: string }) => {
      const { project, file } = await open(dataset, o);
      const entry = project.entry(file)!;
      const examples = datasetExamples(project, entry);
      const labels = project.effectiveTask(entry).labels.map((l) => l.name);
      const { multiLabel } = entry.task;
      if (examples.length < 2) throw new Error(`${dataset} has ${examples.length} labeled samples; label a few more to evaluate`);
      const seed = Number(o.seed);
      const result = o.holdout
        ? holdout(examples, { labels, seed, multiLabel, testFraction: Number(o.holdout) })
        : crossValidate(examples, { labels, seed, multiLabel, folds: Math.min(Number(o.folds), examples.length) });
      const how = o.holdout ? `held-out ${o.holdout}` : `${Math.min(Number(o.folds), examples.length)}-fold cross-validation`;
      // Multi-label: `accuracy` is the subset (exact set) accuracy; said so in the JSON too.
      const json = multiLabel ? { dataset, evaluation: how, multiLabel, subsetAccuracy: result.accuracy, ...result } : { dataset, evaluation: how, ...result };
      process.stdout.write(o.json ? `${JSON.stringify(json, null, 2)}\n` : formatEval(result, how, multiLabel));
    });

  program
    .command('predict')
    .description('predict every sample with the model trained on the workspace labels; JSONL {"id","label","score"} (multi-label: {"id","labels","scores"})')
    .argument('<dataset>', 'dataset file (.jsonl)')
    .option('--out <file>', 'write to a file (e.g. <dataset>.predictions.jsonl) instead of stdout')
    .option('--root <folder>', 'workspace folder')
    .option('--annotator <name>', 'whose labels count')
    .action(async (dataset: string, o: { out?: string; root?: string; annotator?: string }) => {
      const { project, file } = await open(dataset, o);
      const learner = new Learner(project);
      learner.trainAll();
      const entry = project.entry(file)!;
      const state = learner.state(entry.task);
      if (state.examples === 0) throw new Error(`no labels yet for task '${entry.task.name}': the model has nothing to learn from`);
      const lines: string[] = [];
      for (let line = 0; line < entry.dataset.lineCount; line++) {
        const sample = entry.dataset.sampleAt(line);
        const p = sample ? learner.predict(entry.task, sample) : undefined;
        if (!sample || !p) continue;
        if (p.labels) {
          // A sidecar predictions.ts reads back: the set and every label's probability (its confidence follows from them).
          const scores = Object.fromEntries(Object.entries(p.scores ?? {}).map(([l, v]) => [l, Number(v.toFixed(4))]));
          lines.push(JSON.stringify({ id: sample.id, labels: p.labels, scores }));
        } else {
          lines.push(JSON.stringify({ id: sample.id, label: p.label, score: Number(p.score.toFixed(4)) }));
        }
      }
      const text = lines.length ? `${lines.join('\n')}\n` : '';
      // Atomic, complete, and inside the workspace (a link at --out is refused), like every write of Loopmark.
      if (o.out) writeFileAtomic(path.resolve(o.out), text, { root: project.root });
      else process.stdout.write(text);
      if (state.state === 'cold') process.stderr.write(`loopmark: the model is in cold start (fewer than ${state.minExamplesPerLabel} labels of some label): scores are not reliable yet\n`);
    });

  program
    .command('queue')
    .description('the ids of the next samples to review, in queue order')
    .argument('<dataset>', 'a dataset file of the task (.jsonl)')
    .option('-n <count>', 'how many', '20')
    .option('--json', 'print JSON for machines')
    .option('--root <folder>', 'workspace folder')
    .option('--annotator <name>', 'whose labels count')
    .action(async (dataset: string, o: { n: string; json?: boolean; root?: string; annotator?: string }) => {
      const { project, file } = await open(dataset, o);
      const learner = new Learner(project);
      learner.trainAll();
      project.predictor = learner;
      const task = project.taskOf(file)!;
      const items = reviewQueue(project, task, Number(o.n));
      if (o.json) {
        const rows = items.map((i) => ({
          id: i.sampleId, file: path.relative(process.cwd(), i.path), line: i.line + 1,
          ...(task.multiLabel && i.prediction ? { labels: predictedLabels(i.prediction) } : { label: i.prediction?.label }),
          score: i.prediction?.score,
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        process.stdout.write(items.map((i) => `${i.sampleId}\n`).join(''));
      }
    });

  program
    .command('simulate')
    .description('replay gold labels in queue order and in random order (model retrained after every batch); accuracy after every batch, labels to reach 95% of the full-pool accuracy, and the embedded model against TF-IDF + logistic regression at 50-1,000 labels')
    .requiredOption('--gold <file>', 'gold labels: JSONL of {"text","label"} (or {"id","label"} with --dataset)')
    .option('--dataset <file>', 'the dataset whose texts the gold ids refer to')
    .option('--step <k>', 'labels per batch', '50')
    .option('--max <n>', 'stop after this many labels', '1000')
    .option('--test <fraction>', 'held-out test fraction', '0.2')
    .option('--seed <n>', 'first seed', '1')
    .option('--seeds <n>', 'seeds (splits and orders) to average over', '1')
    .option('--no-baseline', 'skip the comparison with TF-IDF + logistic regression')
    .option('--json', 'print JSON for machines')
    .option('--multi-label', 'gold sets (multi-label); the default when the dataset\'s task is multi-label or a gold "labels" list has other than one label')
    .option('--root <folder>', 'workspace folder (with --dataset)')
    .action(async (o: { gold: string; dataset?: string; step: string; max: string; test: string; seed: string; seeds: string; baseline: boolean; json?: boolean; root?: string; multiLabel?: boolean }) => {
      let texts: Map<string, string> | undefined;
      let multiLabel = o.multiLabel === true;
      if (o.dataset) {
        const { project, file } = await open(o.dataset, o);
        const entry = project.entry(file)!;
        if (entry.task.multiLabel) multiLabel = true;
        texts = new Map();
        for (let line = 0; line < entry.dataset.lineCount; line++) {
          const s = entry.dataset.sampleAt(line);
          if (s) texts.set(s.id, s.text);
        }
      }
      let examples = readGold(o.gold, texts);
      if (examples.length < 10) throw new Error(`${o.gold}: only ${examples.length} usable gold labels`);
      if (examples.some((e) => Array.isArray(e.label) && e.label.length !== 1)) multiLabel = true;
      // Single-label replay takes one label per example (a list of one is that label); multi-label a set each.
      examples = examples.map((e) => ({ ...e, label: multiLabel ? (Array.isArray(e.label) ? e.label : [e.label]) : Array.isArray(e.label) ? e.label[0]! : e.label }));
      const first = Number(o.seed);
      const seeds = Array.from({ length: Math.max(1, Number(o.seeds)) }, (_, i) => first + i);
      const step = Number(o.step);
      const testFraction = Number(o.test);
      const cmp = compareQueueWithRandom(examples, { seeds, step, maxLabels: Number(o.max), testFraction, multiLabel });
      const pool = examples.length - Math.round(testFraction * examples.length);
      const sizes = COMPARISON_SIZES.filter((n) => n <= pool);
      // The baseline is single-label (one softmax over the labels).
      const baseline = o.baseline && !multiLabel && sizes.length > 0 ? compareWithBaseline(examples, { seeds, sizes, testFraction }) : undefined;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({
          gold: o.gold, examples: examples.length, ...(multiLabel ? { multiLabel } : {}), step, seeds,
          queue: cmp.queue, random: cmp.random, fullAccuracy: cmp.fullAccuracy,
          labelsToReach95: { queue: cmp.queueReach ?? null, random: cmp.randomReach ?? null },
          ...(baseline ? { baseline } : {}),
        }, null, 2)}\n`);
        return;
      }
      process.stdout.write(formatSimulation(o.gold, examples.length, multiLabel, testFraction, seeds.length, cmp, baseline));
    });
}

/** The text output of `loopmark simulate`: the curves, the labels to 95%, and the baseline table. */
export function formatSimulation(gold: string, n: number, multiLabel: boolean, testFraction: number, seeds: number, cmp: QueueComparison, baseline?: SizeComparison[]): string {
  const rows = cmp.queue.map((q, i) => {
    const r = cmp.random[i];
    return `  ${String(q.labels).padStart(6)}  ${fixed(q.accuracy).padStart(8)}  ${fixed(r?.accuracy ?? NaN).padStart(8)}  ${fixed(q.macroF1).padStart(8)}  ${fixed(r?.macroF1 ?? NaN).padStart(8)}`;
  });
  const reach = (v: number | undefined): string => (v === undefined ? `more than ${cmp.queue.at(-1)?.labels ?? 0}` : String(v));
  const out = [
    `${gold}: ${n} gold labels${multiLabel ? ' (multi-label: subset accuracy)' : ''}, test fraction ${testFraction}, ${seeds} seed${seeds === 1 ? '' : 's'}; the model is retrained after every batch`,
    '  labels  queue acc random acc  queue F1 random F1',
    ...rows,
    '',
    `  full pool accuracy ${fixed(cmp.fullAccuracy)}; labels to reach 95% of it (${fixed(0.95 * cmp.fullAccuracy)}): queue ${reach(cmp.queueReach)}, random ${reach(cmp.randomReach)}`,
  ];
  if (baseline) {
    out.push('', '  embedded model vs TF-IDF word+char n-grams + logistic regression, the same labels (random order)');
    out.push('  labels  model acc  base acc  model F1   base F1  model ms   base ms');
    for (const r of baseline) {
      out.push(`  ${String(r.labels).padStart(6)}  ${fixed(r.model.accuracy).padStart(9)}  ${fixed(r.baseline.accuracy).padStart(8)}  ${fixed(r.model.macroF1).padStart(8)}  ${fixed(r.baseline.macroF1).padStart(8)}  ${r.model.trainMs.toFixed(0).padStart(8)}  ${r.baseline.trainMs.toFixed(0).padStart(8)}`);
    }
  }
  out.push('');
  return out.join('\n');
}
