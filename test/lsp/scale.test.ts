// Large datasets over stdio: diagnostics follow the visible ranges, a large file that no editor holds
// is indexed from disk, and the server keeps answering while it works.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver/node';
import { LspClient, uriOf } from './client';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';
import type { DatasetStatus } from '../../server/src/core/workspace/project';
import type { QueueEntry } from '../../server/src/protocol';

const WORDS = 'battery strap screen support refund charger great terrible okay arrived broke love fast slow price value sound display band sync update week month replaced returned cracked happy disappointed'.split(' ');

function record(i: number, padTo = 0): string {
  let text = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]} sample ${i}`;
  while (text.length < padTo) text += ` ${WORDS[(text.length + i) % WORDS.length]}`;
  return JSON.stringify({ id: `s${i}`, text, prediction: { label: ['positive', 'negative', 'neutral'][i % 3], score: (i % 100) / 100 } });
}

describe('language server over stdio: scale', function () {
  this.timeout(120_000);
  let root: string;
  let client: LspClient;

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': JSON.stringify({ tasks: [{ name: 't', files: ['data/*.jsonl'], labels: ['positive', 'negative', 'neutral'] }] }) });
  });

  afterEach(async () => {
    await client?.stop();
    removeWorkspace(root);
  });

  it('gives a 10,000-sample document diagnostics around the visible lines, with a summary of the rest', async () => {
    const text = Array.from({ length: 10_000 }, (_, i) => record(i)).join('\n') + '\n';
    writeFiles(root, { 'data/big.jsonl': text });
    client = await LspClient.start(root);
    const uri = await client.open(path.join(root, 'data', 'big.jsonl'), text);
    const first = await client.diagnostics(uri);
    const lines = (d: typeof first): number[] => d.filter((x) => x.code !== 'more-to-review').map((x) => x.range.start.line);
    assert.ok(Math.max(...lines(first)) <= 300, 'only around the top of the file before the editor says what it shows');
    // Scroll: the editor shows lines 5000-5040.
    await client.connection.sendNotification('loopmark/visibleRanges', { uri, ranges: [[5000, 5040]] });
    const scrolled = await until('diagnostics around line 5000', async () => {
      const d = await client.diagnostics(uri);
      return lines(d).some((l) => l >= 5000 && l <= 5040) ? d : undefined;
    });
    const shown = lines(scrolled).filter((l) => l >= 4900 && l <= 5140);
    assert.equal(shown.length, 241, 'every sample from 100 lines above to 100 lines below the visible range');
    // Until the background parse is done, the summary says the server is still reading: wait for the count.
    const summary = await until('the summary', async () => (await client.diagnostics(uri)).find((d) => d.code === 'more-to-review' && !d.message.startsWith('Loopmark is reading')));
    assert.match(summary.message, /^\d+ more unlabeled samples outside the visible lines/);
    const status = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(status.total, 10_000);
    // Quick fix far down the file works and the summary count drops by one.
    const target = scrolled.find((d) => d.range.start.line === 5010)!;
    const actions = await client.codeActions(uri, target);
    await client.run(actions[0]!);
    const after = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(after.labeled, 1);
  });

  it('indexes a large file that no editor holds from disk: status, queue and next sample work', async () => {
    // About 20 MB: over the 16 MB threshold where files are indexed from disk, never read whole.
    const file = path.join(root, 'data', 'huge.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    for (let chunk = 0; chunk < 40; chunk++) {
      fs.writeSync(fd, Array.from({ length: 1000 }, (_, k) => record(chunk * 1000 + k, 480)).join('\n') + '\n');
    }
    fs.closeSync(fd);
    assert.ok(fs.statSync(file).size > 16 << 20);
    client = await LspClient.start(root);
    const uri = uriOf(file);
    // While it indexes, the server keeps answering other requests quickly.
    const statusPromise = client.request<DatasetStatus>('loopmark/status', { uri });
    const latencies: number[] = [];
    let done = false;
    void statusPromise.then(() => (done = true));
    while (!done) {
      const t = Date.now();
      await client.request('loopmark/status', { uri: uriOf(path.join(root, 'nothing.jsonl')) });
      latencies.push(Date.now() - t);
    }
    const status = await statusPromise;
    assert.equal(status.total, 40_000);
    assert.ok(latencies.length > 3, 'requests were answered while indexing');
    latencies.sort((a, b) => a - b);
    assert.ok(latencies[Math.floor(latencies.length * 0.95)]! < 200, `p95 latency while indexing: ${latencies.join(',')}`);
    const queue = await client.request<{ items: QueueEntry[] }>('loopmark/queue', { uri, n: 5 });
    assert.equal(queue.items.length, 5);
    assert.ok(queue.items.every((i) => i.uri === uri));
    assert.ok(queue.items[0]!.score! <= queue.items[4]!.score!, 'least confident first');
    const next = await client.request<{ uri: string; line: number }>('loopmark/nextSample', { uri, line: 0 });
    assert.equal(next.uri, uri);
    // Label through the quick-fix command on the unopened file: durable, and the status follows.
    await client.request('workspace/executeCommand', {
      command: 'loopmark.server.applyLabel',
      arguments: [{ uri, decision: { sampleId: queue.items[0]!.sampleId, label: 'neutral', answer: 'accept', source: 'correction' } }],
    });
    assert.match(fs.readFileSync(path.join(root, 'data', 'huge.labels.jsonl'), 'utf8'), new RegExp(`"id":"${queue.items[0]!.sampleId}"`));
    assert.equal((await client.request<DatasetStatus>('loopmark/status', { uri })).labeled, 1);
  });

  it('answers a cancelled queue request at once, while the file it needs is still being indexed', async () => {
    const file = path.join(root, 'data', 'huge.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, 'w');
    for (let chunk = 0; chunk < 40; chunk++) fs.writeSync(fd, Array.from({ length: 1000 }, (_, k) => record(chunk * 1000 + k, 480)).join('\n') + '\n');
    fs.closeSync(fd);
    client = await LspClient.start(root);
    const uri = uriOf(file);
    const settled: string[] = [];
    const status = client.request<DatasetStatus>('loopmark/status', { uri }).then((s) => {
      settled.push('status');
      return s;
    });
    const source = new CancellationTokenSource();
    const queue = client.connection.sendRequest('loopmark/queue', { uri, n: 5 }, source.token).then(
      () => settled.push('queue answered'),
      (error: { code?: number }) => settled.push(`queue failed ${error.code}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    source.cancel();
    await queue;
    assert.deepEqual(settled, ['queue failed -32800'], 'the cancelled request is answered (RequestCancelled) before the index it waited for is done');
    assert.equal((await status).total, 40_000, 'the index goes on for the requests that still want it');
  });
});
