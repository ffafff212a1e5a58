// The built CLI on a multi-label task: `label` writes sets, `stats` counts them, `eval` reports per-label
// and set metrics, `predict` writes a sidecar of sets that the predictions reader takes back, `queue`
// and `simulate` work on sets.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './client';
import { TICKETS, ticketsConfig, ticketsJsonl } from '../helpers/tickets';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';
import { parsePredictionFile } from '../../server/src/core/predictions';
import { Project } from '../../server/src/core/workspace/project';

function cli(root: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOOPMARK_ANNOTATOR: 'ci@example.com' } });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

describe('the loopmark CLI on a multi-label task', function () {
  this.timeout(60_000);
  let root: string;

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': ticketsConfig(), 'data/tickets.jsonl': ticketsJsonl() });
  });
  afterEach(() => removeWorkspace(root));

  /** The gold sets as a label file (what `loopmark label` writes; written at once, it is tested above). */
  const labelAll = (tickets: typeof TICKETS): void => {
    const lines = tickets.map((t, i) => JSON.stringify({ id: t.id, labels: t.gold, answer: 'accept', source: 'manual', annotator: 'ci@example.com', time: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z` }));
    writeFiles(root, { 'data/tickets.labels.jsonl': `${lines.join('\n')}\n` });
  };

  it('label writes sets (arguments, --labels, "" for none); unknown labels are refused; stats counts sets', () => {
    const out = cli(root, 'label', 'data/tickets.jsonl', 't05', 'bug', 'billing');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^\{"id":"t05","labels":\["billing","bug"\],"answer":"accept","source":"manual","annotator":"ci@example\.com","time":"[^"]+"\}\n$/);
    assert.equal(cli(root, 'label', 'data/tickets.jsonl', 't06', '--labels', 'feature', '--labels', 'billing,feature').status, 0);
    assert.equal(cli(root, 'label', 'data/tickets.jsonl', 't08', '--labels', '').status, 0);
    const refused = cli(root, 'label', 'data/tickets.jsonl', 't01', 'billing', 'refunds');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /'refunds' is not in the label set of task 'tickets'/);
    assert.equal(cli(root, 'label', 'data/tickets.jsonl', 't01').status, 2, 'no label at all is refused (--labels "" says none)');
    const lines = fs.readFileSync(path.join(root, 'data', 'tickets.labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.id, l.labels]), [['t05', ['billing', 'bug']], ['t06', ['billing', 'feature']], ['t08', []]]);
    const stats = JSON.parse(cli(root, 'stats', 'data/tickets.jsonl', '--json').stdout);
    assert.equal(stats.labeled, 3);
    assert.deepEqual(stats.labels.billing, { accept: 2, reject: 0, ignore: 0 });
    assert.deepEqual(stats.labels.account, { accept: 0, reject: 0, ignore: 0 });
    assert.deepEqual(stats.emptySets, { accept: 1, reject: 0, ignore: 0 });
    assert.deepEqual(stats.answers, { accept: 3, reject: 0, ignore: 0 });
  });

  it('a set on a single-label task is refused with what to do', () => {
    writeFiles(root, { 'loopmark.json': JSON.stringify({ tasks: [{ name: 'one', files: ['data/*.jsonl'], labels: ['billing', 'bug'] }] }) });
    const out = cli(root, 'label', 'data/tickets.jsonl', 't05', '--labels', 'billing,bug');
    assert.equal(out.status, 2);
    assert.match(out.stderr, /takes one label per sample.*"multiLabel": true/);
  });

  it('eval reports per-label precision/recall/F1, micro- and macro-F1 and subset accuracy', () => {
    labelAll(TICKETS);
    const json = JSON.parse(cli(root, 'eval', 'data/tickets.jsonl', '--folds', '3', '--json').stdout);
    assert.equal(json.multiLabel, true);
    assert.equal(json.n, 30);
    assert.deepEqual(Object.keys(json.perLabel), ['account', 'billing', 'bug', 'feature']);
    for (const label of Object.keys(json.perLabel)) {
      const m = json.perLabel[label];
      assert.equal(m.support, TICKETS.filter((t) => t.gold.includes(label)).length, `${label}: support is the samples with the label`);
      assert.ok(m.f1 >= 0 && m.f1 <= 1);
    }
    const meanF1 = Object.values(json.perLabel as Record<string, { f1: number }>).reduce((a, m) => a + m.f1, 0) / 4;
    assert.ok(Math.abs(json.macroF1 - meanF1) < 1e-9, 'macro-F1 is the mean of the per-label F1');
    assert.equal(json.subsetAccuracy, json.accuracy);
    // 20 training tickets a fold: far from perfect, far from predicting nothing (micro-F1 0).
    assert.ok(json.microF1 > 0.3 && json.microF1 <= 1, `micro-F1 ${json.microF1}`);
    const table = cli(root, 'eval', 'data/tickets.jsonl', '--folds', '3').stdout;
    assert.match(table, /3-fold cross-validation on 30 labeled samples \(multi-label\)/);
    assert.match(table, /subset accuracy \d\.\d{3} {2}micro-F1 \d\.\d{3} {2}macro-F1 \d\.\d{3}/);
    assert.match(table, /billing\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+10\n/);
  });

  it('predict writes {"id","labels","scores"} lines: a sidecar the predictions reader takes back as sets', () => {
    labelAll(TICKETS.slice(0, 24));
    const out = cli(root, 'predict', 'data/tickets.jsonl');
    assert.equal(out.status, 0, out.stderr);
    const printed = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(printed.length, 30);
    for (const p of printed) {
      assert.deepEqual(Object.keys(p), ['id', 'labels', 'scores']);
      assert.deepEqual(Object.keys(p.scores).sort(), ['account', 'billing', 'bug', 'feature']);
      assert.deepEqual(p.labels, Object.keys(p.scores).filter((l) => p.scores[l] >= 0.5).sort());
    }
    // The round trip: written where the task reads predictions from, read back as the same sets.
    assert.equal(cli(root, 'predict', 'data/tickets.jsonl', '--out', 'data/tickets.predictions.jsonl').status, 0);
    const sidecar = parsePredictionFile(fs.readFileSync(path.join(root, 'data', 'tickets.predictions.jsonl'), 'utf8'));
    assert.deepEqual(sidecar.problems, []);
    for (const p of printed) {
      const back = sidecar.byId.get(p.id)!;
      assert.deepEqual(back.labels, p.labels);
      assert.deepEqual(back.scores, p.scores);
      assert.equal(back.score, Math.min(...Object.values(p.scores as Record<string, number>).map((v) => Math.max(v, 1 - v))));
    }
    // And the project shows them as the file's predictions of the samples.
    const project = new Project({ root, annotator: 'ci@example.com' });
    const file = path.join(root, 'data', 'tickets.jsonl');
    const entry = project.entry(file)!;
    const sample = entry.dataset.sampleAt(29)!;
    assert.deepEqual(project.predictions(entry, sample).file?.labels, printed.find((p) => p.id === sample.id).labels);
  });

  it('queue ranks the unlabeled samples with sets; --json gives the predicted sets', () => {
    labelAll(TICKETS.slice(0, 24));
    const ids = cli(root, 'queue', 'data/tickets.jsonl', '-n', '4').stdout.trim().split('\n');
    assert.equal(ids.length, 4);
    assert.ok(ids.every((id) => TICKETS.slice(24).some((t) => t.id === id)), 'only unlabeled samples');
    const rows = JSON.parse(cli(root, 'queue', 'data/tickets.jsonl', '-n', '4', '--json').stdout);
    assert.deepEqual(rows.map((r: { id: string }) => r.id), ids);
    assert.ok(rows.every((r: { labels: unknown; score: number }) => Array.isArray(r.labels) && r.score >= 0.5 && r.score <= 1));
  });

  it('simulate replays gold sets (multi-label when the gold has sets)', () => {
    const vocab: Record<string, string[]> = { billing: ['invoice', 'refund', 'charged'], bug: ['crash', 'error', 'freeze'], account: ['login', 'password', 'email'] };
    const lines: string[] = [];
    for (let i = 0; i < 120; i++) {
      const labels = Object.keys(vocab).filter((_, k) => ((i >> k) & 1) === 1);
      const words = labels.map((l) => vocab[l]![i % 3]).join(' and ');
      lines.push(JSON.stringify({ text: `ticket ${i}: ${words || 'thanks a lot'}`, labels }));
    }
    writeFiles(root, { 'gold.jsonl': `${lines.join('\n')}\n` });
    const out = cli(root, 'simulate', '--gold', 'gold.jsonl', '--step', '20', '--max', '80', '--json');
    assert.equal(out.status, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    assert.equal(json.multiLabel, true);
    assert.deepEqual(json.queue.map((p: { labels: number }) => p.labels), [20, 40, 60, 80]);
    assert.deepEqual(json.random.map((p: { labels: number }) => p.labels), [20, 40, 60, 80]);
    assert.ok(json.random.at(-1).macroF1 > 0.5, `sets of separable labels are learned (macro-F1 ${json.random.at(-1).macroF1})`);
  });
});
