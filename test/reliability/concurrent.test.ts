// Concurrent writers: two language servers (two VS Code windows) and `loopmark label` processes write
// decisions on the same dataset at the same time, with compactions (the servers' 1 s idle compaction,
// the CLI's compaction after each write) running in between. Nothing may be lost or duplicated.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabelFile } from '../../server/src/core/labels';
import { removeWorkspace, tempWorkspace } from '../helpers/workspace';
import { applyLabel, LABELS, leftovers, LspClient, readLabels, Rng, runCli, seedFrom, sleep, writeDataset, type Decision } from './harness';

const SAMPLES = 1000;
const SERVER_OPS = Number(process.env['RELIABILITY_SERVER_OPS'] ?? 200);
const CLI_LANES = Number(process.env['RELIABILITY_CLI_LANES'] ?? 3);
const CLI_OPS = Number(process.env['RELIABILITY_CLI_OPS'] ?? 40);

interface Expected {
  label: string;
  answer: string;
  score?: number;
}

/** A writer's plan: mostly new samples, some re-labels (with another label) of samples it labeled before. */
function plan(rng: Rng, ids: readonly string[], count: number): Array<{ sampleId: string; label: string; answer: Decision['answer'] }> {
  const out: Array<{ sampleId: string; label: string; answer: Decision['answer'] }> = [];
  const mine: string[] = [];
  const last = new Map<string, string>();
  while (out.length < count) {
    let sampleId: string;
    if (mine.length > 5 && rng.chance(0.2)) sampleId = rng.pick(mine);
    else {
      sampleId = rng.pick(ids);
      if (last.has(sampleId)) continue;
      mine.push(sampleId);
    }
    const label = rng.pick(LABELS.filter((l) => l !== last.get(sampleId)));
    last.set(sampleId, label);
    out.push({ sampleId, label, answer: rng.pick(['accept', 'accept', 'reject', 'ignore'] as const) });
  }
  return out;
}

describe('reliability: two servers and the CLI writing at once', function () {
  this.timeout(90_000);
  let root: string;
  const clients: LspClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    removeWorkspace(root);
  });

  it(`loses nothing: 2 servers x ${SERVER_OPS} + ${CLI_LANES} CLI lanes x ${CLI_OPS} decisions, compacting concurrently`, async () => {
    const seed = seedFrom(424242);
    const rng = new Rng(seed);
    root = tempWorkspace();
    const { file, text, ids } = writeDataset(root, SAMPLES, rng);
    const labelFile = path.join(root, 'data', 'big.labels.jsonl');
    const expected = new Map<string, Expected>();
    const started = Date.now();
    let cliDone = 0;
    const cliTotal = CLI_LANES * CLI_OPS;
    const timings = { server: [] as number[], cli: [] as number[] };

    const serverLane = async (annotator: string, laneSeed: number): Promise<void> => {
      const laneRng = new Rng(laneSeed);
      const client = await LspClient.start(root, { annotator });
      clients.push(client);
      const uri = await client.open(file, text);
      const steps = plan(laneRng, ids, SERVER_OPS);
      for (let k = 0; k < steps.length; k++) {
        // Keep pace with the CLI lanes so that all writers overlap from start to end.
        while (cliTotal > 0 && cliDone / cliTotal < k / steps.length) await sleep(5);
        // Twice, go idle past the 1 s compaction delay: the server compacts while the others write.
        if (k === Math.floor(steps.length / 3) || k === Math.floor((2 * steps.length) / 3)) await sleep(1100);
        const step = steps[k]!;
        const decision: Decision = { ...step, source: 'manual', score: laneSeed + k / 1000 };
        const t0 = Date.now();
        const record = (await applyLabel(client, uri, decision)) as { annotator: string };
        timings.server.push(Date.now() - t0);
        assert.equal(record.annotator, annotator);
        expected.set(`${step.sampleId}\u0000${annotator}`, { label: step.label, answer: step.answer, score: decision.score! });
      }
    };

    const cliLane = async (annotator: string, laneSeed: number): Promise<void> => {
      const steps = plan(new Rng(laneSeed), ids, CLI_OPS);
      for (const step of steps) {
        const t0 = Date.now();
        const result = await runCli(['label', file, step.sampleId, step.label, '--answer', step.answer, '--annotator', annotator, '--root', root]);
        timings.cli.push(Date.now() - t0);
        assert.equal(result.code, 0, `loopmark label failed: ${result.stderr}`);
        assert.equal(result.stderr, '', 'no warning: the file parses, the lock was had');
        const record = JSON.parse(result.stdout) as { id: string; label: string; answer: string; annotator: string };
        assert.deepEqual([record.id, record.label, record.answer, record.annotator], [step.sampleId, step.label, step.answer, annotator]);
        expected.set(`${step.sampleId}\u0000${annotator}`, { label: step.label, answer: step.answer });
        cliDone++;
      }
    };

    // Every compaction replaces the file (rename): count the inodes seen while everyone writes.
    const inodes = new Set<number>();
    const watcher = setInterval(() => {
      try {
        inodes.add(fs.statSync(labelFile).ino);
      } catch {
        // not created yet
      }
    }, 10);
    await Promise.all([
      serverLane('window-1@example.com', 1000),
      serverLane('window-2@example.com', 2000),
      ...Array.from({ length: CLI_LANES }, (_, i) => cliLane(`cli-${i + 1}@example.com`, 3000 + i)),
    ]);
    clearInterval(watcher);
    const writing = (Date.now() - started) / 1000;
    assert.ok(inodes.size > 10, `compactions ran while the others wrote (${inodes.size - 1} seen)`);
    for (const c of clients.splice(0)) await c.stop();

    const beforeFinal = readLabels(labelFile);
    assert.equal(beforeFinal.problems, 0, 'every line parses');
    const { written } = new LabelFile(labelFile).compact();
    const { text: finalText, records, problems, canonical } = readLabels(labelFile);
    assert.equal(problems, 0);
    assert.ok(canonical, 'canonical after a final compaction');
    const lines = finalText.split('\n').filter(Boolean);
    assert.equal(lines.length, expected.size, `exactly one line per decision key (${lines.length} lines, ${expected.size} keys)`);
    for (const [key, want] of expected) {
      const got = records.get(key);
      assert.ok(got, `decision ${key.replace('\u0000', ' by ')} is missing`);
      assert.deepEqual({ label: got.label, answer: got.answer, ...(want.score === undefined ? {} : { score: got.score }) }, want, `latest decision of ${key.replace('\u0000', ' by ')}`);
    }
    assert.equal(records.size, expected.size, 'nothing that was not written');
    assert.deepEqual(leftovers(path.join(root, 'data'), ['big.jsonl', 'big.labels.jsonl']), [], 'no lock or temp file left');
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const max = (xs: number[]): number => Math.max(0, ...xs);
    console.log(
      `      seed ${seed}: ${2 * SERVER_OPS + cliTotal} decisions (${expected.size} keys) in ${writing.toFixed(1)} s; ` +
        `server label median ${median(timings.server)} ms (max ${max(timings.server)}), CLI label median ${median(timings.cli)} ms (max ${max(timings.cli)}); ` +
        `${inodes.size - 1} compactions seen during the run; final compaction ${written ? 'rewrote' : 'found canonical'} the file`,
    );
  });
});
