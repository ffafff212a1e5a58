// Open by reference: the VS Code client opens a large saved document without sending its text, and
// the server reads the file. The diagnostics must be those of a full-text open; edits sent while
// the file is being read must apply; a file that differs from the editor's text must not be used.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { LspClient } from './client';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';
import type { Diagnostic } from 'vscode-languageserver-protocol';

const LABELS = ['positive', 'negative', 'neutral'];

function dataset(n: number, eol = '\n'): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    // Non-ASCII text too: offsets are UTF-16 code units, the file is UTF-8.
    const text = `sample ${i}: ${i % 5 === 0 ? 'naïve café — 日本語 ✓' : 'the strap broke after a week'} ${'x'.repeat(i % 40)}`;
    lines.push(JSON.stringify({ id: `s${i}`, text, prediction: { label: LABELS[i % 3], score: (i % 100) / 100 } }));
  }
  return lines.join(eol) + eol;
}

const view = (items: Diagnostic[]): string[] => items.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character} ${d.code} ${d.message}`).sort();

describe('language server over stdio: documents opened by reference', function () {
  this.timeout(60_000);
  let root: string;
  let client: LspClient;

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': JSON.stringify({ tasks: [{ name: 't', files: ['data/*.jsonl'], labels: LABELS, threshold: 0.5 }] }) });
  });

  afterEach(async () => {
    await client?.stop();
    removeWorkspace(root);
  });

  for (const eol of ['\n', '\r\n']) {
    it(`gives the diagnostics of a full-text open (${eol === '\n' ? 'LF' : 'CRLF'}, non-ASCII text)`, async () => {
      const text = dataset(3000, eol);
      writeFiles(root, { 'data/a.jsonl': text, 'data/b.jsonl': text });
      client = await LspClient.start(root);
      const byText = await client.open(path.join(root, 'data', 'a.jsonl'), text);
      const byReference = await client.openByReference(path.join(root, 'data', 'b.jsonl'), text);
      for (const uri of [byText, byReference]) await client.connection.sendNotification('loopmark/visibleRanges', { uri, ranges: [[2000, 2050]] });
      const expected = view(await client.diagnostics(byText));
      const got = view(await client.diagnostics(byReference));
      assert.ok(expected.some((d) => d.startsWith('2000:')), 'the visible lines have diagnostics');
      assert.deepEqual(got, expected);
      const hover = await client.hover(byReference, 2005, 20);
      assert.match(JSON.stringify(hover), /s2005/);
    });
  }

  it('answers the first pull with the lines in view before the rest is read, then refreshes with all', async () => {
    const text = dataset(60_000);
    writeFiles(root, { 'data/a.jsonl': text, 'data/b.jsonl': text });
    client = await LspClient.start(root);
    const full = await client.open(path.join(root, 'data', 'a.jsonl'), text);
    await client.connection.sendNotification('loopmark/visibleRanges', { uri: full, ranges: [[0, 40]] });
    const expected = await client.diagnostics(full);
    const inView = (items: Diagnostic[]): string[] => view(items.filter((d) => d.code !== 'more-to-review' && d.range.start.line <= 140));
    const refreshes = client.refreshes;
    const uri = await client.openByReference(path.join(root, 'data', 'b.jsonl'), text);
    await client.connection.sendNotification('loopmark/visibleRanges', { uri, ranges: [[0, 40]] });
    const first = await client.diagnostics(uri);
    const summary = first.find((d) => d.code === 'more-to-review');
    assert.match(summary?.message ?? '', /is reading b\.jsonl \(\d+ lines so far\)/, 'the first answer comes while the file is read');
    assert.deepEqual(inView(first), inView(expected), 'the lines in view have their diagnostics already');
    await until('a refresh once the file is read', async () => (client.refreshes > refreshes ? true : undefined));
    const after = await until('the whole document', async () => {
      const items = await client.diagnostics(uri);
      return items.some((d) => /lines so far/.test(d.message)) ? undefined : items;
    });
    const samples = (items: Diagnostic[]): string[] => view(items.filter((d) => d.code !== 'more-to-review'));
    assert.deepEqual(samples(after), samples(expected), 'then the same diagnostics as a full-text open');
  });

  it('applies edits that arrive while the file is being read, in order', async () => {
    const text = dataset(20_000);
    writeFiles(root, { 'data/a.jsonl': text });
    client = await LspClient.start(root);
    const uri = await client.openByReference(path.join(root, 'data', 'a.jsonl'), text);
    // Line 3 gets a new prediction score; line 4 is replaced by a broken record.
    const line3 = text.split('\n')[3]!;
    const edited3 = line3.replace(/"score":[0-9.]+/, '"score":0.99');
    await client.change(uri, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: line3.length } }, text: edited3 }]);
    await client.change(uri, [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: text.split('\n')[4]!.length } }, text: '{"id": "broken",' }]);
    const items = await client.diagnostics(uri);
    const at = (line: number): Diagnostic[] => items.filter((d) => d.range.start.line === line);
    assert.equal(at(3)[0]?.code, 'suggestion', 'line 3 scores 0.99 now: a suggestion, not a review');
    assert.match(at(3)[0]!.message, /0\.99/);
    assert.equal(at(4)[0]?.severity, 1, 'line 4 is not JSON any more: an error');
  });

  it('asks the editor for the text when the file on disk differs from it, and uses the editor\'s', async () => {
    const editorText = dataset(500);
    // The disk holds other samples of the same length: only the fingerprint tells them apart.
    const diskText = editorText.replace(/"score":0\.1\b/g, '"score":0.9');
    assert.equal(diskText.length, editorText.length);
    assert.notEqual(diskText, editorText);
    writeFiles(root, { 'data/a.jsonl': diskText });
    client = await LspClient.start(root);
    let asked = 0;
    client.connection.onRequest('loopmark/documentText', (params: { uri: string }) => {
      asked++;
      return { version: 1, text: editorText, uri: params.uri };
    });
    const uri = await client.openByReference(path.join(root, 'data', 'a.jsonl'), editorText);
    const items = await client.diagnostics(uri);
    assert.equal(asked, 1, 'the server asked the editor once');
    const line10 = items.find((d) => d.range.start.line === 10);
    assert.ok(line10, 'sample 10 has a diagnostic');
    assert.match(line10.message, /0\.10/, "the editor's score (0.10), not the disk's (0.90)");
    assert.equal(line10.code, 'review');
  });

  it('keeps the disk file when the editor cannot send the text, and says so in the log', async () => {
    const text = dataset(200);
    writeFiles(root, { 'data/a.jsonl': text });
    client = await LspClient.start(root);
    client.connection.onRequest('loopmark/documentText', () => null);
    const logs: string[] = [];
    client.connection.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
    const uri = await client.openByReference(path.join(root, 'data', 'a.jsonl'), `${text}{"id":"more"}\n`);
    const items = await client.diagnostics(uri);
    assert.ok(items.length > 0, 'the file on disk still gets diagnostics');
    await until('the log line', async () => logs.find((m) => /did not send the text/.test(m)));
  });

  it('does not read a file that no task reads (nor ask the editor for it)', async () => {
    const text = dataset(50);
    writeFiles(root, { 'other/x.jsonl': `${text}{"id":"different on disk"}\n` });
    client = await LspClient.start(root);
    let asked = 0;
    client.connection.onRequest('loopmark/documentText', () => {
      asked++;
      return { version: 1, text };
    });
    const uri = await client.openByReference(path.join(root, 'other', 'x.jsonl'), text);
    assert.deepEqual(await client.diagnostics(uri), []);
    assert.equal(asked, 0);
  });

  it('opens a file removed before it could be read through the editor\'s text', async () => {
    const text = dataset(50);
    client = await LspClient.start(root);
    client.connection.onRequest('loopmark/documentText', () => ({ version: 1, text }));
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    const uri = await client.openByReference(path.join(root, 'data', 'gone.jsonl'), text);
    const items = await client.diagnostics(uri);
    assert.ok(items.some((d) => d.range.start.line === 10), 'diagnostics from the editor\'s text');
  });
});
