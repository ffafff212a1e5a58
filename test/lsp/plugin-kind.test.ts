// A kind that lives only in the test suite (test/kinds/flagKind.ts) plugs in through the registry and
// works over stdio: its settings in loopmark.json, its findings, its quick fixes from their data, its
// decisions through the one decision path, and its hover. No line of the server layer or the
// workspace service names it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LspClient, uriOf } from './client';
import { REPO, removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

const SERVER = path.join(REPO, 'out', 'test', 'kinds', 'flag.server.js');
const CONFIG = { tasks: [{ name: 'secrets', kind: 'flag', files: ['data/*.jsonl'], labels: ['flagged'], pattern: 'AKIA[0-9A-Z]{16}' }] };
const RECORDS = [
  { id: 'c1', text: 'deploy with key AKIAABCDEFGHIJKLMNOP please' },
  { id: 'c2', text: 'nothing to see here' },
  { id: 'c3', text: 'old key AKIAZZZZZZZZZZZZZZZZ <img src=x onerror=alert(1)>' },
];

describe('a task kind from the test suite, over stdio', function () {
  this.timeout(30_000);
  let root: string;
  let client: LspClient;
  let file: string;
  let uri: string;

  beforeEach(async () => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': JSON.stringify(CONFIG), 'data/secrets.jsonl': RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n' });
    client = await LspClient.start(root, { server: SERVER, initializationOptions: { annotator: 'sec@example.com' } });
    file = path.join(root, 'data', 'secrets.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
  });
  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('reads its own setting from loopmark.json without a problem there', async () => {
    const configUri = await client.open(path.join(root, 'loopmark.json'), JSON.stringify(CONFIG), 'json');
    assert.deepEqual(await client.diagnostics(configUri), []);
  });

  it('flags the matching records on the exact range of the match', async () => {
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line, (d.data as { sampleId: string }).sampleId]), [['flagged', 0, 'c1'], ['flagged', 2, 'c3']]);
    const line = fs.readFileSync(file, 'utf8').split('\n')[0]!;
    const d = diagnostics[0]!;
    assert.equal(line.slice(d.range.start.character, d.range.end.character), 'AKIAABCDEFGHIJKLMNOP');
  });

  it('offers its quick fixes from the diagnostic data; a rejection is written and the flag goes away', async () => {
    const [flag] = await client.diagnostics(uri);
    const actions = await client.codeActions(uri, flag!);
    assert.deepEqual(actions.map((a) => a.title), ['Confirm the flag', 'Reject: a false alarm']);
    const record = (await client.run(actions[1]!)) as { id: string; answer: string; annotator: string };
    assert.deepEqual([record.id, record.answer, record.annotator], ['c1', 'reject', 'sec@example.com']);
    const written = fs.readFileSync(path.join(root, 'data', 'secrets.labels.jsonl'), 'utf8');
    assert.match(written, /^\{"id":"c1","label":"flagged","answer":"reject",/);
    assert.deepEqual((await client.diagnostics(uri)).map((d) => (d.data as { sampleId: string }).sampleId), ['c3']);
  });

  it('refuses a decision its rules do not allow, through the same decision path (InvalidParams, nothing written)', async () => {
    await assert.rejects(
      client.request('workspace/executeCommand', { command: 'loopmark.server.applyLabel', arguments: [{ uri, decision: { sampleId: 'c2', label: 'other', answer: 'accept' } }] }),
      (error: Error & { code?: number }) => error.code === -32602 && /a flag is confirmed/.test(error.message),
    );
    assert.equal(fs.existsSync(path.join(root, 'data', 'secrets.labels.jsonl')), false);
  });

  it('hovers with its own escaped Markdown', async () => {
    const hover = await client.hover(uri, 2);
    const value = (hover?.contents as { value: string }).value;
    assert.match(value, /^\*\*flag\*\* · /);
    assert.ok(!value.includes('<img'), 'dataset text is escaped');
    assert.ok(value.includes('&lt;img'));
  });

  it('is no kind for the built server the bin runs: there loopmark.json says so on its line', async () => {
    const plain = await LspClient.start(root);
    try {
      const configUri = await plain.open(path.join(root, 'loopmark.json'), JSON.stringify(CONFIG, null, 2), 'json');
      const problems = await plain.diagnostics(configUri);
      assert.ok(problems.some((d) => /no task kind is named "flag"|"flag"/.test(d.message)), JSON.stringify(problems));
      assert.equal(uriOf(path.join(root, 'loopmark.json')), configUri);
    } finally {
      await plain.stop();
    }
  });
});
