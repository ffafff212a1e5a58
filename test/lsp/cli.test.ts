// The built CLI as scripts and CI run it: stats, label, eval, predict, queue, simulate; and the
// inferred loopmark.json the "Write Inferred loopmark.json" command writes.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, LspClient, uriOf } from './client';
import { removeWorkspace, REPO, tempWorkspace, writeFiles } from '../helpers/workspace';

function cli(root: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOOPMARK_ANNOTATOR: 'ci@example.com' } });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

describe('the loopmark CLI', function () {
  this.timeout(60_000);
  let root: string;

  beforeEach(() => {
    root = tempWorkspace(path.join(REPO, 'demo'));
  });
  afterEach(() => removeWorkspace(root));

  it('label writes durable decisions; stats counts them per label and answer (text and --json)', () => {
    for (const [id, label] of [['r001', 'positive'], ['r002', 'negative'], ['r003', 'neutral']]) {
      assert.equal(cli(root, 'label', 'data/reviews.jsonl', id!, label!).status, 0);
    }
    assert.equal(cli(root, 'label', 'data/reviews.jsonl', 'r004', 'neutral', '--answer', 'ignore').status, 0);
    const refused = cli(root, 'label', 'data/reviews.jsonl', 'r005', 'sarcastic');
    assert.notEqual(refused.status, 0, 'a label outside the set is refused');
    const json = JSON.parse(cli(root, 'stats', 'data/reviews.jsonl', '--json').stdout);
    assert.equal(json.samples, 30);
    assert.equal(json.labeled, 4);
    assert.deepEqual(json.labels.neutral, { accept: 1, reject: 0, ignore: 1 });
    assert.deepEqual(json.answers, { accept: 3, reject: 0, ignore: 1 });
    assert.deepEqual(json.annotators, { 'ci@example.com': 4 });
    const text = cli(root, 'stats', 'data/reviews.jsonl').stdout;
    assert.match(text, /samples 30, labeled 4, unlabeled 26/);
    assert.match(text, /neutral\s+1\s+0\s+1/);
    const lines = fs.readFileSync(path.join(root, 'data', 'reviews.labels.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).id), ['r001', 'r002', 'r003', 'r004'], 'canonical order after the CLI compacts');
  });

  it('eval, predict and queue use the labels of the workspace', () => {
    const gold: Array<[string, string]> = [
      ['r001', 'positive'], ['r007', 'positive'], ['r013', 'positive'], ['r018', 'positive'], ['r022', 'positive'], ['r028', 'positive'],
      ['r002', 'negative'], ['r005', 'negative'], ['r012', 'negative'], ['r014', 'negative'], ['r023', 'negative'], ['r030', 'negative'],
      ['r003', 'neutral'], ['r011', 'neutral'], ['r015', 'neutral'], ['r020', 'neutral'], ['r026', 'neutral'], ['r029', 'neutral'],
    ];
    for (const [id, label] of gold) assert.equal(cli(root, 'label', 'data/reviews.jsonl', id, label).status, 0);
    const evaluation = JSON.parse(cli(root, 'eval', 'data/reviews.jsonl', '--folds', '3', '--json').stdout);
    assert.equal(evaluation.n, 18);
    assert.deepEqual(evaluation.confusion.labels, ['positive', 'negative', 'neutral']);
    const total = evaluation.confusion.matrix.flat().reduce((a: number, b: number) => a + b, 0);
    assert.equal(total, 18, 'every labeled sample evaluated once');
    assert.ok(evaluation.accuracy >= 0 && evaluation.accuracy <= 1);
    const table = cli(root, 'eval', 'data/reviews.jsonl', '--folds', '3').stdout;
    assert.match(table, /3-fold cross-validation on 18 labeled samples/);
    assert.match(table, /confusion \(rows: gold, columns: predicted\)/);
    const predictions = cli(root, 'predict', 'data/reviews.jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(predictions.length, 30);
    assert.ok(predictions.every((p) => ['positive', 'negative', 'neutral'].includes(p.label) && p.score > 0 && p.score <= 1));
    // Usable as a sidecar: written where the task reads predictions from.
    assert.equal(cli(root, 'predict', 'data/reviews-batch2.jsonl', '--out', 'data/reviews-batch2.predictions.jsonl').status, 0);
    assert.equal(fs.readFileSync(path.join(root, 'data', 'reviews-batch2.predictions.jsonl'), 'utf8').trim().split('\n').length, 6);
    const queue = cli(root, 'queue', 'data/reviews.jsonl', '-n', '5').stdout.trim().split('\n');
    assert.equal(queue.length, 5);
    assert.ok(queue.every((id) => !gold.some(([g]) => g === id)), 'only unlabeled samples');
    const rows = JSON.parse(cli(root, 'queue', 'data/reviews.jsonl', '-n', '5', '--json').stdout);
    assert.deepEqual(rows.map((r: { id: string }) => r.id), queue);
  });

  it('simulate replays gold labels in queue and random order (Brown-free: a gold file of text and label)', () => {
    const words = { pos: 'great love happy excellent perfect', neg: 'broken refund terrible awful worst' };
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const label = i % 2 === 0 ? 'pos' : 'neg';
      const vocab = words[label].split(' ');
      lines.push(JSON.stringify({ text: `${vocab[i % 5]} product number ${i} ${vocab[(i * 3) % 5]}`, label }));
    }
    writeFiles(root, { 'gold.jsonl': lines.join('\n') + '\n' });
    const out = JSON.parse(cli(root, 'simulate', '--gold', 'gold.jsonl', '--step', '20', '--max', '100', '--json').stdout);
    assert.equal(out.examples, 200);
    assert.deepEqual(out.queue.map((p: { labels: number }) => p.labels), [20, 40, 60, 80, 100]);
    assert.deepEqual(out.random.map((p: { labels: number }) => p.labels), [20, 40, 60, 80, 100]);
    assert.ok(out.queue.at(-1).accuracy > 0.9, 'a separable task is learned');
  });

  it('reports a missing file and a file outside any task clearly, with status 2 and no stack trace', () => {
    const missing = cli(root, 'stats', 'data/nope.jsonl');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^loopmark: data\/nope\.jsonl: no such file/);
    writeFiles(root, { 'other/x.jsonl': '{"text": "a"}\n' });
    const outside = cli(root, 'stats', 'other/x.jsonl');
    assert.equal(outside.status, 2);
    assert.match(outside.stderr, /is not a dataset of any task/);
    assert.doesNotMatch(missing.stderr + outside.stderr, /\n\s+at /);
  });

  it('the inferred loopmark.json: the task and the labels seen in the data', async () => {
    const bare = tempWorkspace();
    try {
      writeFiles(bare, { 'reviews.jsonl': fs.readFileSync(path.join(REPO, 'demo', 'data', 'reviews.jsonl'), 'utf8') });
      const client = await LspClient.start(bare);
      try {
        await client.open(path.join(bare, 'reviews.jsonl'), fs.readFileSync(path.join(bare, 'reviews.jsonl'), 'utf8'));
        const result = await client.request<{ uri: string; text: string }>('loopmark/inferredConfig', { folderUri: uriOf(bare) });
        assert.equal(result.uri, uriOf(path.join(bare, 'loopmark.json')));
        const config = JSON.parse(result.text);
        assert.equal(config.tasks.length, 1);
        assert.deepEqual(config.tasks[0].files, ['**/*.jsonl']);
        assert.deepEqual(config.tasks[0].labels.map((l: { name: string }) => l.name), ['negative', 'neutral', 'positive']);
        assert.equal(config.tasks[0].threshold, 0.8);
        // What the command writes is a valid config: no problems when loaded.
        writeFiles(bare, { 'loopmark.json': result.text });
        assert.equal(cli(bare, 'stats', 'reviews.jsonl').status, 0);
      } finally {
        await client.stop();
      }
    } finally {
      removeWorkspace(bare);
    }
  });
});
