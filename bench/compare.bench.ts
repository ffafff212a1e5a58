// The embedded model against the standard baseline, and queue order against random order, on two
// real public corpora from npm (bench/corpora.ts), the same splits for both, in the same run:
//   - accuracy and macro-F1 at 50, 100, 200, 500 and 1,000 labels, with training and prediction
//     times side by side (the speed lead), against TF-IDF word + char n-grams with logistic
//     regression trained to convergence (server/src/core/model/baseline.ts);
//   - queue vs random order, batches of 50 labels, the model retrained after each, 5 seeds: the
//     accuracy at every checkpoint from 100 labels on, and the labels each needs to reach 95% of
//     the accuracy of the model trained on the whole pool.
// benchModel (model.bench.ts) adds the rows; the Markdown tables go to bench/model-comparison.md
// and to the console (the README quotes them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMPARISON_SIZES, compareQueueWithRandom, compareWithBaseline, formatBaselineTable, formatQueueTable } from '../server/src/core/model/compare';
import { CORPORA } from './corpora';
import type { BenchResult } from './model.bench';

/** Seeds of the baseline comparison (the baseline's fits dominate the run: 3 seeds) and of the queue comparison (5). */
const BASELINE_SEEDS = [1, 2, 3];
const QUEUE_SEEDS = [1, 2, 3, 4, 5];
const CHECKPOINTS = [100, 200, 300, 500, 700, 1000];

export async function benchModelComparison(out = path.join(process.cwd(), 'bench', 'model-comparison.md')): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const tables: string[] = [];
  for (const corpus of CORPORA) {
    const examples = corpus.load();
    const vsBaseline = compareWithBaseline(examples, { seeds: BASELINE_SEEDS, maxTest: 500 });
    tables.push(formatBaselineTable(`${corpus.name}, ${examples.length} examples`, vsBaseline, BASELINE_SEEDS.length));
    for (const r of vsBaseline) {
      const gap = 100 * (r.model.macroF1 - r.baseline.macroF1);
      rows.push({
        name: `model vs TF-IDF+LR: ${corpus.name}, ${r.labels} labels: macro-F1 (points)`,
        value: Number((100 * r.model.macroF1).toFixed(1)),
        unit: 'points',
        target: 'within 1 point of the baseline',
        baseline: { name: 'TF-IDF + logistic regression macro-F1', value: Number((100 * r.baseline.macroF1).toFixed(1)) },
        ratio: r.model.macroF1 / Math.max(1e-9, r.baseline.macroF1),
        pass: gap >= -1 && 100 * (r.model.accuracy - r.baseline.accuracy) >= -1,
      });
    }
    const biggest = vsBaseline.at(-1)!;
    for (const [what, unit, model, base] of [
      ['training time', 'ms', biggest.model.trainMs, biggest.baseline.trainMs],
      ['prediction time', 'us/prediction', biggest.model.predictUs, biggest.baseline.predictUs],
    ] as const) {
      rows.push({
        name: `model vs TF-IDF+LR: ${corpus.name}, ${biggest.labels} labels: ${what}`,
        value: Number(model.toFixed(1)),
        unit,
        target: 'faster than the baseline',
        baseline: { name: `TF-IDF + logistic regression (${unit})`, value: Number(base.toFixed(1)) },
        ratio: model / base,
        pass: model < base,
      });
    }

    const q = compareQueueWithRandom(examples, { seeds: QUEUE_SEEDS, step: 50, maxLabels: Math.max(...CHECKPOINTS) });
    tables.push(formatQueueTable(`${corpus.name}, ${examples.length} examples`, q, CHECKPOINTS, QUEUE_SEEDS.length));
    const from100 = q.queue.filter((p) => p.labels >= 100);
    const worst = Math.min(...from100.map((p) => p.accuracy - q.random.find((r) => r.labels === p.labels)!.accuracy));
    rows.push({
      name: `queue vs random: ${corpus.name}: worst accuracy gap from 100 labels on (points)`,
      value: Number((100 * worst).toFixed(1)),
      unit: 'points',
      target: '>= 0',
      pass: worst >= 0,
    });
    rows.push({
      name: `queue vs random: ${corpus.name}: labels to reach 95% of full-pool accuracy`,
      value: q.queueReach ?? Infinity,
      unit: 'labels',
      target: 'fewer than random order',
      baseline: { name: 'random order (labels)', value: q.randomReach ?? Infinity },
      ...(q.queueReach !== undefined && q.randomReach !== undefined ? { ratio: q.queueReach / q.randomReach } : {}),
      pass: q.queueReach !== undefined && (q.randomReach === undefined || q.queueReach <= q.randomReach),
    });
    const confident = from100.reduce((a, p) => ({ n: a.n + p.confident.n, correct: a.correct + p.confident.correct }), { n: 0, correct: 0 });
    rows.push({
      name: `calibration: ${corpus.name}: share correct of held-out predictions >= 0.8, queue order, 100-1,000 labels`,
      value: Number((confident.n ? confident.correct / confident.n : 1).toFixed(3)),
      unit: 'share',
      target: '>= 0.8',
      pass: confident.n === 0 || confident.correct / confident.n >= 0.8,
    });
    console.log(tables.slice(-2).join('\n\n'));
  }
  const text = [
    '## The embedded model against TF-IDF + logistic regression, and the queue against random order',
    '',
    `Generated by \`npm run bench\` (bench/compare.bench.ts). Sizes: ${COMPARISON_SIZES.join(', ')} labels; both models see the same texts and labels.`,
    '',
    ...tables.flatMap((t) => [t, '']),
  ].join('\n');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  return rows;
}
