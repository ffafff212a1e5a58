// External predictions over stdio: the built server, started with initializationOptions
// `{ trusted, externalModel: { url } }`, asks a real HTTP server on 127.0.0.1 in the background and
// shows its predictions as diagnostics once they arrive; untrusted, it never asks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { LspClient } from './client';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';

/** The server with initializationOptions (the contract the server reads for external models). */
function startWith(root: string, initializationOptions: unknown): Promise<LspClient> {
  return LspClient.start(root, { annotator: 'a@example.com', initializationOptions });
}

/** The server's log lines (window/logMessage). */
function logLines(client: LspClient): string[] {
  return client.notifications.filter((n) => n.method === 'window/logMessage').map((n) => (n.params as { message: string }).message);
}

/** A Loopmark HTTP predictor on 127.0.0.1 that holds its answers until `release()`. */
class HeldPredictor {
  requests: Array<{ task: string; labels: Array<{ name: string; description: string }>; samples: Array<{ id: string; text: string }> }> = [];
  private held: Array<() => void> = [];
  private released = false;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      this.requests.push(body);
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          predictions: (body.samples as Array<{ id: string; text: string }>).map((s) => ({ id: s.id, label: /broke|never|late/i.test(s.text) ? 'negative' : 'positive', score: 0.95 })),
        }));
      };
      if (this.released) answer();
      else this.held.push(answer);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/predict`;
  }

  release(): void {
    this.released = true;
    for (const answer of this.held.splice(0)) answer();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const CONFIG = {
  tasks: [{
    name: 'sentiment', files: ['data/*.jsonl'], threshold: 0.8,
    labels: [
      { name: 'positive', description: 'Satisfied overall.' },
      { name: 'negative', description: 'Dissatisfied overall.' },
    ],
  }],
};
const DATA = [
  { id: 'r1', text: 'Lovely fit, I wear it every day.' },
  { id: 'r2', text: 'The strap broke after two days.' },
  { id: 'r3', text: 'Support never answered my emails.' },
].map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('language server over stdio: external predictions', function () {
  this.timeout(30_000);
  let root: string;
  let predictor: HeldPredictor;
  let client: LspClient | undefined;
  let uri: string;

  const diagnosticsOf = async (): Promise<Diagnostic[]> => client!.diagnostics(uri);

  beforeEach(async () => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': JSON.stringify(CONFIG), 'data/reviews.jsonl': DATA });
    predictor = new HeldPredictor();
  });

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await predictor.stop();
    removeWorkspace(root);
  });

  it('trusted: answers at once without them, then shows the external predictions when they arrive', async () => {
    const url = await predictor.start();
    client = await startWith(root, { trusted: true, externalModel: { url, timeoutMs: 5000 } });
    const file = path.join(root, 'data', 'reviews.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));

    // The external server holds its answer: diagnostics come back anyway, without it.
    assert.deepEqual(await diagnosticsOf(), [], 'no prediction yet, and no wait for the external model');
    await until('the batch request', () => (predictor.requests.length > 0 ? true : undefined));
    assert.deepEqual(await diagnosticsOf(), []);

    const refreshesBefore = client.refreshes;
    predictor.release();
    const diagnostics = await until('external predictions as diagnostics', async () => {
      const d = await diagnosticsOf();
      return d.length === 3 ? d : undefined;
    });
    await until('a diagnostics refresh after the answers arrived', () => (client!.refreshes > refreshesBefore ? true : undefined));

    const byId = new Map(diagnostics.map((d) => [(d.data as { sampleId: string }).sampleId, d]));
    assert.deepEqual([...byId.keys()].sort(), ['r1', 'r2', 'r3']);
    assert.equal(byId.get('r1')!.message, "Suggestion: model predicted 'positive' (0.95)");
    assert.equal(byId.get('r2')!.message, "Suggestion: model predicted 'negative' (0.95)");
    assert.deepEqual(byId.get('r3')!.data, { sampleId: 'r3', predictedLabel: 'negative', score: 0.95, origin: 'model' });

    // One request for the three samples, in the documented shape, with the guidelines.
    assert.equal(predictor.requests.length, 1);
    assert.deepEqual(predictor.requests[0], {
      task: 'sentiment',
      labels: [{ name: 'positive', description: 'Satisfied overall.' }, { name: 'negative', description: 'Dissatisfied overall.' }],
      samples: DATA.trim().split('\n').map((l) => JSON.parse(l)),
    });
    assert.ok(logLines(client).some((l) => l.includes(`predictions from external model ${url.replace('/predict', '')}/predict`)), logLines(client).join('\n'));
  });

  it('untrusted: no external prediction and zero requests', async () => {
    const url = await predictor.start();
    predictor.release();
    client = await startWith(root, { trusted: false, externalModel: { url } });
    const file = path.join(root, 'data', 'reviews.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    await until('the server saying why the external model is off', () => (logLines(client!).some((l) => /external model off: the workspace is not trusted/.test(l)) ? true : undefined));
    for (let i = 0; i < 3; i++) assert.deepEqual(await diagnosticsOf(), []);
    await client.hover(uri, 1);
    // A request would be sent right after a diagnostics pull; give a stray one ample time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(predictor.requests.length, 0);
  });

  it('trusted, but nothing listens: diagnostics still answer, and the log says why', async () => {
    const url = await predictor.start();
    await predictor.stop();
    predictor = new HeldPredictor();
    client = await startWith(root, { trusted: true, externalModel: { url, timeoutMs: 2000 } });
    const file = path.join(root, 'data', 'reviews.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    assert.deepEqual(await diagnosticsOf(), []);
    await until('the connection error in the log', () => (logLines(client!).some((l) => /connection refused/.test(l)) ? true : undefined));
    assert.deepEqual(await diagnosticsOf(), []);
  });
});
