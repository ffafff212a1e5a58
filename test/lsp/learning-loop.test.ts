// The embedded model over stdio: cold start, learning from decisions, and the review queue.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './client';
import { removeWorkspace, REPO, tempWorkspace, until, writeFiles } from '../helpers/workspace';
import type { DatasetStatus } from '../../server/src/core/workspace/project';
import type { QueueEntry, SampleLocation } from '../../server/src/protocol';

const CONFIG = {
  tasks: [{
    name: 'sentiment', files: ['data/*.jsonl'], labels: ['positive', 'negative', 'neutral'],
    model: { minExamplesPerLabel: 2 }, threshold: 0.8,
  }],
};

/** The demo reviews without their predictions: only the embedded model can predict. */
function unpredictedReviews(): string {
  return fs.readFileSync(path.join(REPO, 'demo', 'data', 'reviews.jsonl'), 'utf8')
    .trim().split('\n')
    .map((line) => {
      const { id, text } = JSON.parse(line);
      return JSON.stringify({ id, text });
    })
    .join('\n') + '\n';
}

describe('language server over stdio: the learning loop', function () {
  this.timeout(30_000);
  let root: string;
  let client: LspClient;
  let file: string;
  let uri: string;

  const label = (sampleId: string, labelName: string): Promise<unknown> =>
    client.request('workspace/executeCommand', {
      command: 'loopmark.server.applyLabel',
      arguments: [{ uri, decision: { sampleId, label: labelName, answer: 'accept', source: 'manual' } }],
    });
  const modelDiagnostics = async (): Promise<Diagnostic[]> => (await client.diagnostics(uri)).filter((d) => (d.data as { origin?: string } | undefined)?.origin === 'model');
  const onSample = (diagnostics: Diagnostic[], id: string): Diagnostic | undefined => diagnostics.find((d) => (d.data as { sampleId: string }).sampleId === id);

  beforeEach(async () => {
    root = tempWorkspace();
    file = path.join(root, 'data', 'reviews.jsonl');
    writeFiles(root, { 'loopmark.json': JSON.stringify(CONFIG), 'data/reviews.jsonl': unpredictedReviews() });
    client = await LspClient.start(root, { annotator: 'a@example.com' });
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
  });

  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('stays quiet in cold start and says so, then predicts once each label has enough examples', async () => {
    assert.equal((await client.diagnostics(uri)).length, 0, 'no predictions yet');
    await label('r001', 'positive');
    await label('r002', 'negative');
    await label('r003', 'neutral');
    let status = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(status.model?.state, 'cold');
    assert.deepEqual(status.model?.counts, { positive: 1, negative: 1, neutral: 1 });
    assert.equal((await modelDiagnostics()).length, 0, 'cold-start predictions are not diagnostics');
    const hover = await client.hover(uri, 4);
    assert.match((hover!.contents as { value: string }).value, /embedded model \(cold start: too few labels yet\)/);
    await label('r012', 'negative');
    await label('r018', 'positive');
    await label('r029', 'neutral');
    status = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(status.model?.state, 'ready');
    assert.equal(status.labeled, 6);
    const diagnostics = await modelDiagnostics();
    assert.equal(diagnostics.length, 24, 'every unlabeled sample gets the model prediction');
    assert.ok(diagnostics.every((d) => /^(Review|Suggestion): model predicted '(positive|negative|neutral)' \(\d\.\d\d\)$/.test(d.message)));
  });

  it('learns from each decision: a correction moves the prediction of similar samples at once', async () => {
    for (const [id, l] of [['r001', 'positive'], ['r018', 'positive'], ['r002', 'negative'], ['r012', 'negative'], ['r003', 'neutral'], ['r029', 'neutral']] as const) await label(id, l);
    writeFiles(root, {});
    const text = fs.readFileSync(file, 'utf8') + [
      { id: 'sim1', text: 'The strap broke after two days and support never answered.' },
      { id: 'sim2', text: 'The strap broke after a week and support never answered me.' },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n';
    await client.change(uri, [{ text }]);
    const before = onSample(await modelDiagnostics(), 'sim2')!;
    const predictedBefore = (before.data as { predictedLabel: string }).predictedLabel;
    const scoreBefore = (before.data as { score: number }).score;
    const other = predictedBefore === 'neutral' ? 'positive' : 'neutral';
    const started = Date.now();
    await label('sim1', other);
    const after = onSample(await modelDiagnostics(), 'sim2')!;
    assert.ok(Date.now() - started < 1000, 'within a second');
    const predictedAfter = (after.data as { predictedLabel: string }).predictedLabel;
    const scoreAfter = (after.data as { score: number }).score;
    assert.ok(predictedAfter !== predictedBefore || scoreAfter < scoreBefore,
      `the correction to '${other}' must weaken '${predictedBefore}' (${scoreBefore} -> ${predictedAfter} ${scoreAfter})`);
  });

  it('the queue puts the most uncertain sample first, and next-to-review goes there across files', async () => {
    for (const [id, l] of [['r001', 'positive'], ['r018', 'positive'], ['r002', 'negative'], ['r012', 'negative'], ['r003', 'neutral'], ['r029', 'neutral']] as const) await label(id, l);
    writeFiles(root, { 'data/more.jsonl': '{"id": "m1", "text": "Okay I guess. The box was blue."}\n' });
    // As an editor's file watcher says it (the server also watches itself, within a debounce).
    await client.fileChanged(path.join(root, 'data', 'more.jsonl'), 1);
    const queue = await client.request<{ task: string; strategy: string; items: QueueEntry[] }>('loopmark/queue', { uri, n: 100 });
    assert.equal(queue.strategy, 'uncertainty');
    assert.equal(queue.items.length, 25, '24 unlabeled here + 1 in data/more.jsonl');
    assert.ok(queue.items.some((i) => i.uri.endsWith('more.jsonl')), 'the queue spans the task\'s files');
    assert.ok(queue.items.every((i) => i.origin === 'model'));
    const next = await client.request<SampleLocation>('loopmark/nextSample', { uri, line: 0 });
    assert.equal(`${next.uri}#${next.line}`, `${queue.items[0]!.uri}#${queue.items[0]!.line}`);
    // Labeling the head of the queue moves the queue on.
    await label(queue.items[0]!.sampleId, 'neutral');
    const after = await client.request<{ items: QueueEntry[] }>('loopmark/queue', { uri, n: 100 });
    assert.equal(after.items.length, 24);
    assert.ok(!after.items.some((i) => i.sampleId === queue.items[0]!.sampleId));
  });

  it('is reproducible from the label files alone: a restarted server predicts exactly the same', async () => {
    for (const [id, l] of [['r001', 'positive'], ['r018', 'positive'], ['r002', 'negative'], ['r012', 'negative'], ['r003', 'neutral'], ['r029', 'neutral'], ['r005', 'negative']] as const) await label(id, l);
    await client.stop();
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      client = await LspClient.start(root, { annotator: 'a@example.com' });
      uri = await client.open(file, fs.readFileSync(file, 'utf8'));
      const diagnostics = await until('model diagnostics', async () => {
        const d = await modelDiagnostics();
        return d.length > 0 ? d : undefined;
      });
      runs.push(JSON.stringify(diagnostics.map((d) => d.data)));
      await client.stop();
    }
    assert.equal(runs[0], runs[1]);
    client = await LspClient.start(root, { annotator: 'a@example.com' });
  });

  it('retrains once loopmark.json edits pause: a label added to the task starts to count', async () => {
    await label('r001', 'positive');
    // A label outside the label set cannot be written through the server (one rule set with the CLI);
    // it reaches the label file from elsewhere (a merge, an import, another tool).
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    fs.appendFileSync(labelFile, `${JSON.stringify({ id: 'r002', label: 'mixed', answer: 'accept', annotator: 'a@example.com', time: '2026-01-01T00:00:00.000Z', source: 'manual' })}\n`);
    await client.fileChanged(labelFile);
    type WithModel = DatasetStatus & { model?: { counts: Record<string, number>; examples: number } };
    // The changed label file retrains the model from the files: wait for that run to finish.
    await until('the model retrained from the label file', async () => ((await client.request<WithModel>('loopmark/status', { uri })).model?.examples === 1 ? true : undefined));
    const before = await client.request<WithModel>('loopmark/status', { uri });
    assert.equal(before.model?.counts['positive'], 1);
    assert.equal(before.model?.counts['mixed'], undefined, "'mixed' is not a label of the task yet");
    // The user edits loopmark.json in the editor, keystroke by keystroke (full-text sync of the config).
    const configFile = path.join(root, 'loopmark.json');
    const configUri = await client.open(configFile, JSON.stringify(CONFIG), 'json');
    const edited = { tasks: [{ ...CONFIG.tasks[0]!, labels: [...CONFIG.tasks[0]!.labels, 'mixed'] }] };
    const text = JSON.stringify(edited);
    for (const cut of [text.length - 20, text.length - 10, text.length]) await client.change(configUri, [{ text: text.slice(0, cut) }]);
    const after = await until('the model retrained with the new label', async () => {
      const status = await client.request<WithModel>('loopmark/status', { uri });
      return status.model?.counts['mixed'] === 1 ? status : undefined;
    }, 10_000);
    assert.equal(after.model?.counts['positive'], 1, 'the other examples are still there');
  });

  it('bulk-accepts every prediction above a score in one write', async () => {
    for (const [id, l] of [['r001', 'positive'], ['r018', 'positive'], ['r002', 'negative'], ['r012', 'negative'], ['r003', 'neutral'], ['r029', 'neutral']] as const) await label(id, l);
    const preview = await client.request<{ count: number; byLabel: Record<string, number> }>('loopmark/bulkPreview', { uri, minScore: 0 });
    assert.equal(preview.count, 24);
    const some = await client.request<{ count: number }>('loopmark/bulkPreview', { uri, minScore: 0.5 });
    assert.ok(some.count < 24);
    const { written } = await client.request<{ written: number }>('loopmark/bulkAccept', { uri, minScore: 0.5 });
    assert.equal(written, some.count);
    const status = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(status.labeled, 6 + written);
  });
});
