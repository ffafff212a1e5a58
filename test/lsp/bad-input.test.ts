// Bad input, driven through the BUILT server over stdio (and the CLI), as an editor and a user would
// meet it. Each case: a clear message on the right line (or a deliberate silence), and the server
// still answers afterwards.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DiagnosticSeverity,
  DidCloseTextDocumentNotification,
  FileChangeType,
  type Diagnostic,
} from 'vscode-languageserver-protocol';
import { CLI, LspClient, uriOf } from './client';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';

const ANNOTATOR = 'tester@example.com';
const LABELS = ['positive', 'negative', 'neutral'];
const CONFIG = JSON.stringify({ tasks: [{ name: 'sentiment', files: ['data/**/*.jsonl'], labels: LABELS, threshold: 0.8 }] }, null, 2);
const GOOD = '{"id": "g1", "text": "A good sample", "prediction": {"label": "positive", "score": 0.5}}\n';

/** Deterministic bytes (xorshift32), so a failure can be replayed. */
function randomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function lspLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function on(diagnostics: Diagnostic[], line: number): Diagnostic[] {
  return diagnostics.filter((d) => d.range.start.line === line);
}

function covered(text: string, d: Diagnostic): string {
  assert.equal(d.range.start.line, d.range.end.line, 'one-line range');
  return lspLines(text)[d.range.start.line]!.slice(d.range.start.character, d.range.end.character);
}

/** No request failed inside the server and nothing was logged as an error (a failure is logged with its stack). */
function assertNoServerErrors(client: LspClient): void {
  const errors = client.notifications.filter((n) => n.method === 'window/logMessage' && (n.params as { type: number }).type === 1);
  assert.deepEqual(errors.map((e) => (e.params as { message: string }).message), [], 'no errors logged by the server');
  assert.ok(!/\n\s+at /.test(client.stderr), `no stack trace on stderr: ${client.stderr}`);
}

describe('language server over stdio: bad input', function () {
  this.timeout(60_000);
  let root: string;
  let client: LspClient;
  const timings: string[] = [];

  async function start(files: Record<string, string>): Promise<void> {
    root = tempWorkspace();
    writeFiles(root, files);
    client = await LspClient.start(root, { annotator: ANNOTATOR });
  }

  /** The server still answers: a good dataset gets its diagnostic and its hover. */
  async function stillAnswers(label = 'positive'): Promise<void> {
    const file = path.join(root, 'data', 'still-good.jsonl');
    const text = GOOD.replace('positive', label);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const uri = await client.open(file, text);
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code, d.message]), [[0, 'review', `Review: predicted '${label}' (0.50)`]]);
    const hover = await client.hover(uri, 0, 5);
    assert.match((hover?.contents as { value: string }).value, /sample g1/);
  }

  afterEach(async () => {
    if (client) await client.stop();
    if (root) removeWorkspace(root);
  });

  after(() => {
    if (timings.length) console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  it('malformed JSON lines: an error on each bad line, the good lines still work', async () => {
    const text = [
      '{"id": "a", "text": "fine", "prediction": {"label": "positive", "score": 0.4}}',
      '{"id": "b", "text": "unterminated',
      "{'id': 'c', 'text': 'single quotes'}",
      '{"id": "d", "text": "trailing comma",}',
      '',
      '{"id": "e", "text": "two"} {"id": "f", "text": "records"}',
      'just words',
      '{"id": "g", "text": "fine too", "prediction": {"label": "negative", "score": 0.3}}',
    ].join('\n');
    await start({ 'loopmark.json': CONFIG });
    const uri = await client.open(path.join(root, 'data', 'bad.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    for (const line of [1, 2, 3, 5, 6]) {
      const [d, ...more] = on(diagnostics, line);
      assert.ok(d, `a diagnostic on line ${line}`);
      assert.equal(more.length, 0);
      assert.equal(d.code, 'invalid-json');
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.match(d.message, /^Not valid JSON: /);
      assert.ok(d.range.start.character <= lspLines(text)[line]!.length, 'the range is on the line');
    }
    assert.equal(on(diagnostics, 1)[0]!.range.start.character, lspLines(text)[1]!.length, 'unterminated: at the end of the line');
    assert.equal(on(diagnostics, 5)[0]!.range.start.character, 27, 'at the second record');
    assert.deepEqual(on(diagnostics, 0).map((d) => d.code), ['review']);
    assert.deepEqual(on(diagnostics, 7).map((d) => d.code), ['review']);
    assert.equal(on(diagnostics, 4).length, 0);
    // fix a line: its error goes, nothing else changes
    await client.change(uri, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: lspLines(text)[1]!.length } }, text: '{"id": "b", "text": "terminated"}' }]);
    const after = await client.diagnostics(uri);
    assert.equal(on(after, 1).length, 0);
    assert.equal(after.length, diagnostics.length - 1);
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('a 10 MB single line: valid (diagnostic on its text) and invalid (error with the position); the server stays responsive', async () => {
    await start({ 'loopmark.json': CONFIG });
    const big = 'x'.repeat(10 * 1024 * 1024);
    const valid = `{"id": "big", "text": "${big}", "prediction": {"label": "neutral", "score": 0.2}}\n${GOOD}`;
    let started = performance.now();
    const uri = await client.open(path.join(root, 'data', 'big.jsonl'), valid);
    const diagnostics = await client.diagnostics(uri);
    const validMs = performance.now() - started;
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review']]);
    const textStart = valid.indexOf('"xxx');
    assert.deepEqual([diagnostics[0]!.range.start.character, diagnostics[0]!.range.end.character], [textStart, textStart + big.length + 2], 'the range is the text');
    started = performance.now();
    const hover = await client.hover(uri, 0, 30);
    const hoverMs = performance.now() - started;
    assert.match((hover?.contents as { value: string }).value, /sample big/);

    const invalid = `{"id": "big2", "text": "${big}" "oops": 1}\n${GOOD}`;
    started = performance.now();
    const uri2 = await client.open(path.join(root, 'data', 'big-invalid.jsonl'), invalid);
    const errors = await client.diagnostics(uri2);
    const invalidMs = performance.now() - started;
    const [error] = on(errors, 0);
    assert.equal(error?.code, 'invalid-json');
    assert.equal(error!.range.start.character, invalid.indexOf('"oops"'), 'at the second key, where a comma is missing');
    assert.ok(error!.message.length < 300, `a short message (${error!.message.length} chars), not the line`);
    assert.deepEqual(on(errors, 1).map((d) => d.code), ['review']);
    // an edit elsewhere does not re-parse the big line (it stays fast)
    started = performance.now();
    await client.change(uri2, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '{"id": "n", "text": "new", "prediction": {"label": "positive", "score": 0.1}}\n' }]);
    const edited = await client.diagnostics(uri2);
    const editMs = performance.now() - started;
    assert.equal(edited.length, 3);
    timings.push(`10 MB line: open + diagnostics ${validMs.toFixed(0)} ms (valid), ${invalidMs.toFixed(0)} ms (invalid); hover ${hoverMs.toFixed(0)} ms; edit of another line + diagnostics ${editMs.toFixed(0)} ms`);
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('a binary file opened as .jsonl (as the editor decodes it): an error per line, calling it binary, no control characters in messages', async () => {
    await start({ 'loopmark.json': CONFIG });
    const bytes = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), randomBytes(4000), Buffer.from([0x00, 0x0a, 0x00])]);
    const text = bytes.toString('utf8'); // what an editor sends: invalid sequences become U+FFFD
    const file = path.join(root, 'data', 'archive.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    const uri = await client.open(file, text);
    const diagnostics = await client.diagnostics(uri);
    const lines = lspLines(text);
    let binary = 0;
    for (let i = 0; i < lines.length; i++) {
      const here = on(diagnostics, i);
      if (lines[i]!.trim() === '') {
        assert.equal(here.length, 0);
        continue;
      }
      assert.equal(here.length, 1, `one diagnostic on line ${i}`);
      assert.equal(here[0]!.severity, DiagnosticSeverity.Error);
      assert.ok(['invalid-json', 'not-an-object'].includes(here[0]!.code as string));
      assert.ok(!/[\u0000-\u001f\u007f]/.test(here[0]!.message), `no control characters: ${JSON.stringify(here[0]!.message)}`);
      if (lines[i]!.includes('\u0000')) {
        assert.match(here[0]!.message, /binary data/);
        binary++;
      }
    }
    assert.ok(binary >= 2, 'lines with NUL bytes are called binary');
    assert.equal((await client.hover(uri, 0)), null);
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('a binary .jsonl on disk in a workspace with an inferred task is not taken for a dataset; the rest works', async () => {
    await start({ 'data/archive.jsonl': '', 'data/good.jsonl': GOOD });
    fs.writeFileSync(path.join(root, 'data', 'archive.jsonl'), Buffer.concat([randomBytes(3000, 7), Buffer.from([0, 0, 0x0a])]));
    const binaryUri = uriOf(path.join(root, 'data', 'archive.jsonl'));
    assert.deepEqual(await client.diagnostics(binaryUri), [], 'pulled from disk: not a dataset, nothing to say');
    const status = await client.request<unknown>('loopmark/status', { uri: binaryUri });
    assert.equal(status, null);
    const inferred = await client.request<{ text: string } | null>('loopmark/inferredConfig', { folderUri: uriOf(root) });
    assert.ok(inferred);
    assert.deepEqual(JSON.parse(inferred.text).tasks[0].labels.map((l: { name: string }) => l.name), ['positive'], 'labels learned from the good file only');
    const good = uriOf(path.join(root, 'data', 'good.jsonl'));
    assert.deepEqual((await client.diagnostics(good)).map((d) => d.code), ['review']);
    assert.ok(await client.hover(good, 0));
    assertNoServerErrors(client);
  });

  it('invalid UTF-8 in an open document (decoded as U+FFFD): the sample loads, with a warning naming the encoding', async () => {
    await start({ 'loopmark.json': CONFIG });
    const bytes = Buffer.concat([Buffer.from('{"id": "l1", "text": "caf'), Buffer.from([0xe9]), Buffer.from(' au lait"}\n'), Buffer.from(GOOD)]);
    const uri = await client.open(path.join(root, 'data', 'latin1.jsonl'), bytes.toString('utf8'));
    const diagnostics = await client.diagnostics(uri);
    const [warning] = on(diagnostics, 0).filter((d) => d.code === 'invalid-encoding');
    assert.ok(warning, JSON.stringify(diagnostics));
    assert.equal(warning.severity, DiagnosticSeverity.Warning);
    assert.match(warning.message, /not valid UTF-8/);
    assert.equal(covered(bytes.toString('utf8'), warning), '"caf\ufffd au lait"');
    assert.deepEqual(on(diagnostics, 1).map((d) => d.code), ['review']);
    assertNoServerErrors(client);
  });

  it('a BOM sent by the editor: ranges on line 0 still point at the text, edits land right', async () => {
    await start({ 'loopmark.json': CONFIG });
    const text = `\uFEFF{"id": "b1", "text": "with a BOM", "prediction": {"label": "positive", "score": 0.4}}\n${GOOD}`;
    const uri = await client.open(path.join(root, 'data', 'bom.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review']]);
    assert.equal(covered(text, diagnostics[0]!), '"with a BOM"');
    const at = lspLines(text)[0]!.indexOf('with a BOM');
    await client.change(uri, [{ range: { start: { line: 0, character: at }, end: { line: 0, character: at + 4 } }, text: 'WITH' }]);
    const after = await client.diagnostics(uri);
    const edited = `\uFEFF{"id": "b1", "text": "WITH a BOM", "prediction": {"label": "positive", "score": 0.4}}\n${GOOD}`;
    assert.equal(covered(edited, after[0]!), '"WITH a BOM"');
    assert.equal(after[0]!.code, 'review');
    assertNoServerErrors(client);
  });

  it('a BOM in a file on disk (not open): it is read, not an error', async () => {
    const text = `\uFEFF{"id": "b1", "text": "with a BOM", "prediction": {"label": "positive", "score": 0.4}}\r\n${GOOD}`;
    await start({ 'loopmark.json': CONFIG, 'data/bom.jsonl': text });
    const diagnostics = await client.diagnostics(uriOf(path.join(root, 'data', 'bom.jsonl')));
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review']]);
    assertNoServerErrors(client);
  });

  it('CRLF and mixed line endings: lines counted as LSP does, each range on the text', async () => {
    await start({ 'loopmark.json': CONFIG });
    const record = (id: string, score: number): string => `{"id": "${id}", "meta": {"text": "decoy"}, "text": "text of ${id}", "prediction": {"label": "neutral", "score": ${score}}}`;
    const text = `${record('a', 0.1)}\r\n${record('b', 0.2)}\n${record('c', 0.3)}\r${record('d', 0.4)}\r\n\r\n${record('e', 0.5)}\n{"id": "f", "text": \r\n`;
    const uri = await client.open(path.join(root, 'data', 'mixed.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review'], [2, 'review'], [3, 'review'], [5, 'review'], [6, 'invalid-json']]);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    diagnostics.slice(0, 5).forEach((d, i) => assert.equal(covered(text, d), `"text of ${ids[i]}"`));
    // an edit with CRLF in a CRLF/CR document: insert a record before line 2
    await client.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: `${record('new', 0.05)}\r\n` }]);
    const edited = `${record('a', 0.1)}\r\n${record('b', 0.2)}\n${record('new', 0.05)}\r\n${record('c', 0.3)}\r${record('d', 0.4)}\r\n\r\n${record('e', 0.5)}\n{"id": "f", "text": \r\n`;
    const after = await client.diagnostics(uri);
    assert.deepEqual(after.map((d) => d.range.start.line), [0, 1, 2, 3, 4, 6, 7]);
    assert.equal(covered(edited, after[2]!), '"text of new"');
    assert.equal(covered(edited, after[4]!), '"text of d"');
    assert.equal(after[6]!.code, 'invalid-json');
    assertNoServerErrors(client);
  });

  it('duplicate ids: a warning on each later occurrence naming the first line; labels are shared', async () => {
    await start({ 'loopmark.json': CONFIG });
    const text = [
      '{"id": "dup", "text": "first", "prediction": {"label": "positive", "score": 0.4}}',
      '{"id": "other", "text": "x"}',
      '{"id": "dup", "text": "second"}',
      '{"id": 7, "text": "number id"}',
      '{"id": "dup", "text": "third"}',
      '{"id": "7", "text": "string id"}',
    ].join('\n');
    const uri = await client.open(path.join(root, 'data', 'dups.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    const duplicates = diagnostics.filter((d) => d.code === 'duplicate-id');
    assert.deepEqual(duplicates.map((d) => d.range.start.line), [2, 4, 5]);
    assert.equal(duplicates[0]!.severity, DiagnosticSeverity.Warning);
    assert.match(duplicates[0]!.message, /^Duplicate sample id 'dup' \(first on line 1\)/);
    assert.match(duplicates[1]!.message, /first on line 1/);
    assert.match(duplicates[2]!.message, /Duplicate sample id '7' \(first on line 4\)/, 'the number 7 and the string "7" are the same id');
    assert.equal(covered(text, duplicates[0]!), '"second"');
    assert.deepEqual(on(diagnostics, 0).map((d) => d.code), ['review'], 'no duplicate warning on the first occurrence');
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('a text field that is missing, null, a number, an object, a list or a boolean: an error naming what it is', async () => {
    await start({ 'loopmark.json': CONFIG });
    const text = [
      '{"id": "1", "body": "no text field"}',
      '{"id": "2", "text": null}',
      '{"id": "3", "text": 42}',
      '{"id": "4", "text": {"en": "nested"}}',
      '{"id": "5", "text": ["a", "b"]}',
      '{"id": "6", "text": true}',
      '{"id": "7", "text": ""}',
    ].join('\n');
    const uri = await client.open(path.join(root, 'data', 'texts.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    const found = ['it is missing', 'it is null', 'it is a number', 'it is an object', 'it is a list', 'it is a boolean'];
    assert.deepEqual(diagnostics.map((d) => d.range.start.line), [0, 1, 2, 3, 4, 5], 'an empty text is a text');
    diagnostics.forEach((d, i) => {
      assert.equal(d.code, 'missing-text');
      assert.equal(d.severity, DiagnosticSeverity.Error);
      assert.equal(d.message, `The record has no text: "text" must be a string, but ${found[i]}`);
    });
    assert.equal(await client.hover(uri, 1), null);
    assert.ok(await client.hover(uri, 6), 'the empty-text sample has a hover');
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('keys named __proto__ and constructor in records: plain data, no crash', async () => {
    await start({ 'loopmark.json': CONFIG });
    const text = [
      '{"__proto__": {"polluted": true, "text": "inherited"}, "id": "p1", "text": "own text", "prediction": {"label": "positive", "score": 0.3}}',
      '{"constructor": {"prototype": {"polluted": true}}, "id": "p2", "text": "c", "prediction": {"label": "negative", "score": 0.3}}',
      '{"id": "__proto__", "text": "id is __proto__", "prediction": {"label": "neutral", "score": 0.3}}',
      '{"id": "constructor", "text": "id is constructor", "prediction": {"label": "neutral", "score": 0.3}}',
      '{"__proto__": null, "id": "p5"}',
    ].join('\n');
    const uri = await client.open(path.join(root, 'data', 'proto.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review'], [2, 'review'], [3, 'review'], [4, 'missing-text']]);
    assert.equal(covered(text, diagnostics[0]!), '"own text"');
    assert.deepEqual(diagnostics.slice(0, 4).map((d) => (d.data as { sampleId: string }).sampleId), ['p1', 'p2', '__proto__', 'constructor']);
    // label the samples whose ids are __proto__ and constructor; they read back as plain ids
    for (const line of [2, 3]) {
      const actions = await client.codeActions(uri, diagnostics[line]!);
      await client.run(actions.find((a) => a.title === "Label as 'positive'")!);
    }
    const labelFile = fs.readFileSync(path.join(root, 'data', 'proto.labels.jsonl'), 'utf8');
    assert.deepEqual(labelFile.trim().split('\n').map((l) => JSON.parse(l).id).sort(), ['__proto__', 'constructor']);
    const after = await client.diagnostics(uri);
    assert.deepEqual(after.map((d) => d.range.start.line), [0, 1, 4], 'both labeled');
    const hover = (await client.hover(uri, 2))?.contents as { value: string };
    assert.match(hover.value, /sample \\_\\_proto\\_\\_/);
    assert.match(hover.value, /Label: \*\*positive\*\*/);
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('idField "__proto__" and textField "constructor": the records are read by those keys, no crash', async () => {
    const config = JSON.stringify({ tasks: [{ name: 'odd', files: ['data/**/*.jsonl'], labels: LABELS, idField: '__proto__', textField: 'constructor' }] });
    await start({ 'loopmark.json': config });
    const text = [
      '{"__proto__": "id-1", "constructor": "text one", "prediction": {"label": "positive", "score": 0.3}}',
      '{"constructor": "no id: hashed", "prediction": {"label": "positive", "score": 0.3}}',
      '{"__proto__": "id-3", "text": "no constructor key"}',
      '{"__proto__": {"constructor": "x"}, "constructor": {"nested": 1}}',
    ].join('\n');
    const uri = await client.open(path.join(root, 'data', 'fields.jsonl'), text);
    const diagnostics = await client.diagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.range.start.line, d.code]), [[0, 'review'], [1, 'review'], [2, 'missing-text'], [3, 'missing-text']]);
    assert.equal((diagnostics[0]!.data as { sampleId: string }).sampleId, 'id-1');
    assert.match((diagnostics[1]!.data as { sampleId: string }).sampleId, /^text:/);
    assert.equal(covered(text, diagnostics[0]!), '"text one"');
    assert.equal(diagnostics[2]!.message, 'The record has no text: "constructor" must be a string, but it is missing');
    assert.equal(diagnostics[3]!.message, 'The record has no text: "constructor" must be a string, but it is an object');
    await client.run((await client.codeActions(uri, diagnostics[0]!))[0]!);
    assert.match(fs.readFileSync(path.join(root, 'data', 'fields.labels.jsonl'), 'utf8'), /"id":"id-1","label":"positive"/);
    assertNoServerErrors(client);
  });

  it('a label set of 10,000 labels (model off): diagnostics and code actions still answer (timed)', async () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => `label-${String(i).padStart(5, '0')}`);
    const config = JSON.stringify({ tasks: [{ name: 'huge', files: ['data/**/*.jsonl'], labels, threshold: 0.8, model: { enabled: false } }] });
    const text = Array.from({ length: 200 }, (_, i) => `{"id": "s${i}", "text": "sample ${i}", "prediction": {"label": "${labels[i * 37]}", "score": 0.5}}`).join('\n');
    await start({ 'loopmark.json': config });
    const uri = await client.open(path.join(root, 'data', 'many.jsonl'), text);
    let started = performance.now();
    const diagnostics = await client.diagnostics(uri);
    const diagnosticsMs = performance.now() - started;
    assert.equal(diagnostics.length, 200);
    assert.equal(diagnostics[1]!.message, "Review: predicted 'label-00037' (0.50)");
    started = performance.now();
    const actions = await client.codeActions(uri, diagnostics[1]!);
    const actionMs = performance.now() - started;
    // Not 10,001 actions: accept, the searchable label picker, skip.
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'label-00037'", 'Choose a label… (10000 labels)', 'Skip']);
    assert.equal(actions[0]!.isPreferred, true);
    assert.deepEqual(actions[1]!.command?.arguments, [uri, 1]);
    const bytes = JSON.stringify(actions).length;
    started = performance.now();
    await client.run(actions[0]!);
    const runMs = performance.now() - started;
    // an unknown label with 10k known ones: the message stays readable
    const unknown = `{"id": "u", "text": "u", "prediction": {"label": "not-a-label", "score": 0.9}}\n`;
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: unknown }]);
    started = performance.now();
    const after = await client.diagnostics(uri);
    const secondMs = performance.now() - started;
    const [u] = on(after, 0);
    assert.equal(u?.code, 'unknown-label');
    timings.push(
      `10,000 labels: diagnostics of 200 samples ${diagnosticsMs.toFixed(0)} ms (again after an edit: ${secondMs.toFixed(0)} ms); ` +
        `code action request ${actionMs.toFixed(0)} ms (${actions.length} actions, ${(bytes / 1e6).toFixed(1)} MB of JSON); label write ${runMs.toFixed(0)} ms; ` +
        `unknown-label message ${u!.message.length} chars`,
    );
    assert.ok(actionMs < 5000, `code actions in ${actionMs.toFixed(0)} ms`);
    await stillAnswers('label-00001');
    assertNoServerErrors(client);
  });

  it('a label set of 10,000 labels with the embedded model on: the model stays off and says why, the server answers', async () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => `label-${i}`);
    await start({ 'loopmark.json': JSON.stringify({ tasks: [{ name: 'huge', files: ['data/**/*.jsonl'], labels }] }) });
    const uri = await client.open(path.join(root, 'data', 'u.jsonl'), GOOD.replace('positive', 'label-1'));
    assert.equal((await client.diagnostics(uri)).length, 1);
    const status = await client.request<{ model?: { state: string; reason?: string } }>('loopmark/status', { uri });
    assert.equal(status.model?.state, 'off');
    assert.match(status.model?.reason ?? '', /10000 labels, more than the embedded model serves \(500\)/);
    await stillAnswers('label-1');
  });

  it('a label set of 10,000 labels: an unknown-label message does not list them all', async () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => `label-${i}`);
    await start({ 'loopmark.json': JSON.stringify({ tasks: [{ name: 'huge', files: ['data/**/*.jsonl'], labels, model: { enabled: false } }] }) });
    const uri = await client.open(path.join(root, 'data', 'u.jsonl'), '{"id": "u", "text": "u", "prediction": {"label": "nope", "score": 0.9}}');
    const [d] = await client.diagnostics(uri);
    assert.equal(d?.code, 'unknown-label');
    assert.ok(d!.message.length < 300, d!.message);
    assert.match(d!.message, /and 9992 more\)$/);
  });

  it('a label command with a malformed decision (from a client): refused with a message, the label file intact', async () => {
    await start({ 'loopmark.json': CONFIG, 'data/good.jsonl': GOOD });
    const uri = await client.open(path.join(root, 'data', 'good.jsonl'), GOOD);
    const [d] = await client.diagnostics(uri);
    const [accept] = await client.codeActions(uri, d!);
    await client.run(accept!);
    const labelFile = path.join(root, 'data', 'good.labels.jsonl');
    const before = fs.readFileSync(labelFile, 'utf8');
    const bad = [
      { sampleId: 'g1', label: 42, answer: 'accept', source: 'manual' },
      { sampleId: 'g1', label: 'positive', answer: 'maybe', source: 'manual' },
      { sampleId: 'nope', label: 'positive', answer: 'accept', source: 'manual' },
      { sampleId: { evil: true }, label: 'positive', answer: 'accept', source: 'manual' },
      { sampleId: 'g1', labels: ['positive', 'negative'], answer: 'accept', source: 'manual' },
      { sampleId: 'g1', label: 'positive', labels: ['positive'], answer: 'accept', source: 'manual' },
    ];
    for (const decision of bad) {
      await assert.rejects(
        client.connection.sendRequest('workspace/executeCommand', { command: accept!.command!.command, arguments: [{ uri, decision }] }),
        // The client's mistake: InvalidParams (-32602) with the reason, never an internal error.
        (error: Error & { code?: number }) => /Loopmark: /.test(error.message) && error.code === -32602,
        JSON.stringify(decision),
      );
    }
    await assert.rejects(client.connection.sendRequest('workspace/executeCommand', { command: accept!.command!.command, arguments: [] }));
    assert.equal(fs.readFileSync(labelFile, 'utf8'), before, 'no bad line was written');
    await stillAnswers();
  });

  it('initialize and initialized sent again: the second initialize is refused, nothing is opened or trained twice', async () => {
    await start({ 'loopmark.json': CONFIG, 'data/good.jsonl': GOOD });
    const trainings = (): number => client.notifications.filter((n) => n.method === 'window/logMessage' && /model trained from the label files/.test((n.params as { message: string }).message)).length;
    await until('the first training run', () => (trainings() === 1 ? true : undefined));
    const rootUri = pathToFileURL(root).toString();
    await assert.rejects(
      client.connection.sendRequest('initialize', { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: 'again' }], capabilities: {} }),
      (error: Error & { code?: number }) => error.code === -32600 && /already initialized/.test(error.message),
    );
    await client.connection.sendNotification('initialized', {});
    await client.connection.sendNotification('initialized', {});
    // Two decisions written once each: one project, one label file writer.
    const uri = await client.open(path.join(root, 'data', 'good.jsonl'), GOOD);
    const [d] = await client.diagnostics(uri);
    const [accept] = await client.codeActions(uri, d!);
    await client.run(accept!);
    assert.equal(fs.readFileSync(path.join(root, 'data', 'good.labels.jsonl'), 'utf8').trim().split('\n').length, 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(trainings(), 1, 'no training run for the re-sent initialized');
    await stillAnswers();
  });

  it('an empty file: nothing to say, and every request answers', async () => {
    await start({ 'loopmark.json': CONFIG, 'data/empty.jsonl': '' });
    const file = path.join(root, 'data', 'empty.jsonl');
    assert.deepEqual(await client.diagnostics(uriOf(file)), [], 'from disk');
    const uri = await client.open(file, '');
    assert.deepEqual(await client.diagnostics(uri), []);
    assert.equal(await client.hover(uri, 0), null);
    assert.equal(await client.hover(uri, 5), null, 'a line past the end');
    const status = await client.request<Record<string, unknown>>('loopmark/status', { uri });
    delete status['model']; // the embedded model's state, not about this file
    assert.deepEqual(status, { task: 'sentiment', total: 0, labeled: 0, needsReview: 0, errors: 0 });
    assert.equal(await client.request('loopmark/nextSample', { uri, line: 0 }), null);
    assert.deepEqual(await client.request('loopmark/sampleAt', { uri, line: 0 }), null);
    // typing into it works
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: GOOD }]);
    assert.deepEqual((await client.diagnostics(uri)).map((d) => d.code), ['review']);
    assertNoServerErrors(client);
  });

  it('a file deleted while open: the editor text stays the truth until closed; then it is gone, quietly', async () => {
    const text = `${GOOD}{"id": "g2", "text": "second", "prediction": {"label": "negative", "score": 0.4}}\n`;
    await start({ 'loopmark.json': CONFIG, 'data/doomed.jsonl': text });
    const file = path.join(root, 'data', 'doomed.jsonl');
    const uri = await client.open(file, text);
    const before = await client.diagnostics(uri);
    assert.equal(before.length, 2);
    fs.rmSync(file);
    await client.fileChanged(file, FileChangeType.Deleted);
    const after = await client.diagnostics(uri);
    assert.deepEqual(after, before, 'still open in the editor: same findings');
    assert.ok(await client.hover(uri, 0));
    // labeling the open (deleted) document still writes its label file
    await client.run((await client.codeActions(uri, after[0]!))[0]!);
    assert.match(fs.readFileSync(path.join(root, 'data', 'doomed.labels.jsonl'), 'utf8'), /"id":"g1"/);
    // the label file is deleted too (e.g. git checkout): the label is gone, no error
    fs.rmSync(path.join(root, 'data', 'doomed.labels.jsonl'));
    await client.fileChanged(path.join(root, 'data', 'doomed.labels.jsonl'), FileChangeType.Deleted);
    assert.equal((await client.diagnostics(uri)).length, 2, 'g1 is unlabeled again');
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    assert.deepEqual(await client.diagnostics(uri), [], 'closed and gone from disk: nothing');
    assert.equal(await client.hover(uri, 0), null);
    assert.equal(await client.request('loopmark/status', { uri }), null);
    await stillAnswers();
    assertNoServerErrors(client);
  });

  it('loopmark.json with a syntax error: a diagnostic on its line; the tasks before the error keep working', async () => {
    const config = '{\n  "tasks": [\n    { "name": "sentiment", "files": ["data/**/*.jsonl"], "labels": ["positive", "negative"] }\n  ],\n  "annotator": "a" "b"\n}\n';
    await start({ 'loopmark.json': config, 'data/good.jsonl': GOOD });
    const configUri = uriOf(path.join(root, 'loopmark.json'));
    const problems = await client.diagnostics(configUri);
    assert.ok(problems.length >= 1);
    assert.equal(problems[0]!.range.start.line, 4);
    assert.equal(problems[0]!.severity, DiagnosticSeverity.Error);
    assert.match(problems[0]!.message, /^loopmark\.json: /);
    const good = uriOf(path.join(root, 'data', 'good.jsonl'));
    assert.deepEqual((await client.diagnostics(good)).map((d) => d.code), ['review']);
    assertNoServerErrors(client);
  });

  it('loopmark.json changed on disk to unknown fields and bad values: diagnostics at their lines; a typo keeps its task, a bad value drops it', async () => {
    await start({ 'loopmark.json': CONFIG, 'data/good.jsonl': GOOD, 'other/x.jsonl': GOOD });
    const good = uriOf(path.join(root, 'data', 'good.jsonl'));
    assert.deepEqual((await client.diagnostics(good)).map((d) => d.code), ['review']);
    const config = [
      '{',
      '  "tasks": [',
      '    { "name": "sentiment", "files": ["data/**/*.jsonl"], "labels": ["positive", "negative"],',
      '      "treshold": 0.5 },',
      '    { "name": "other", "files": ["other/*.jsonl"], "labels": ["a"], "threshold": "high" }',
      '  ],',
      '  "colour": "red"',
      '}',
    ].join('\n');
    fs.writeFileSync(path.join(root, 'loopmark.json'), config);
    await client.fileChanged(path.join(root, 'loopmark.json'));
    const problems = await client.diagnostics(uriOf(path.join(root, 'loopmark.json')));
    const byLine = problems.map((d) => [d.range.start.line, d.message]);
    assert.ok(byLine.some(([line, m]) => line === 3 && /unknown field "treshold"/.test(m as string)), JSON.stringify(byLine));
    assert.ok(byLine.some(([line, m]) => line === 4 && /threshold must be number/.test(m as string)), JSON.stringify(byLine));
    assert.ok(byLine.some(([line, m]) => line === 6 && /unknown field "colour"/.test(m as string)), JSON.stringify(byLine));
    // the task with a typo still works (the unknown field is ignored); the task with a bad value is dropped
    assert.deepEqual((await client.diagnostics(good)).map((d) => d.code), ['review']);
    assert.ok(await client.hover(good, 0));
    assert.deepEqual(await client.diagnostics(uriOf(path.join(root, 'other', 'x.jsonl'))), []);
    // fixing the file brings everything back
    fs.writeFileSync(path.join(root, 'loopmark.json'), CONFIG);
    await client.fileChanged(path.join(root, 'loopmark.json'));
    assert.deepEqual(await client.diagnostics(uriOf(path.join(root, 'loopmark.json'))), []);
    assert.deepEqual((await client.diagnostics(good)).map((d) => d.code), ['review']);
    assertNoServerErrors(client);
  });

  it('loopmark.json typed through a broken state in the editor: open datasets keep their editor text', async function () {
    await start({ 'loopmark.json': CONFIG, 'data/good.jsonl': GOOD });
    const good = await client.open(path.join(root, 'data', 'good.jsonl'), GOOD);
    // an unsaved edit: the prediction of g1 is now below 0.1
    const at = GOOD.indexOf('0.5');
    await client.change(good, [{ range: { start: { line: 0, character: at }, end: { line: 0, character: at + 3 } }, text: '0.05' }]);
    assert.equal((await client.diagnostics(good))[0]!.message, "Review: predicted 'positive' (0.05)");
    const configUri = await client.open(path.join(root, 'loopmark.json'), CONFIG, 'json');
    await client.change(configUri, [{ text: '{' }]);
    assert.ok((await client.diagnostics(configUri)).length > 0);
    await client.diagnostics(good); // answers, whatever it says meanwhile
    await client.change(configUri, [{ text: CONFIG }]);
    assert.deepEqual(await client.diagnostics(configUri), []);
    const after = await client.diagnostics(good);
    // The open document's text (with its unsaved edit) survived the broken config.
    assert.equal(after[0]!.message, "Review: predicted 'positive' (0.05)");
  });

  it('loopmark.json open in the editor with a BOM and CRLF: no spurious error, problems on the right line', async () => {
    await start({ 'loopmark.json': CONFIG, 'data/good.jsonl': GOOD });
    const text = '\uFEFF{\r\n  "tasks": [\r\n    { "name": "s", "files": ["data/*.jsonl"], "labels": ["positive"], "colour": 1 }\r\n  ]\r\n}\r\n';
    const uri = await client.open(path.join(root, 'loopmark.json'), text, 'json');
    const problems = await client.diagnostics(uri);
    assert.deepEqual(problems.map((d) => [d.range.start.line, d.message]), [[2, 'loopmark.json: unknown field "colour" in /tasks/0']]);
    assertNoServerErrors(client);
  });

  it('a labelFile that leaves the workspace: an error on its line in loopmark.json, no failed request, nothing written outside', async () => {
    const config = '{\n  "tasks": [\n    { "name": "escape", "files": ["data/**/*.jsonl"], "labels": ["positive"],\n      "labelFile": "../outside/${name}.labels.jsonl" }\n  ]\n}\n';
    await start({ 'loopmark.json': config, 'data/good.jsonl': GOOD });
    const problems = await client.diagnostics(uriOf(path.join(root, 'loopmark.json')));
    assert.deepEqual(problems.map((d) => d.range.start.line), [3]);
    assert.match(problems[0]!.message, /"labelFile" must be a path inside the workspace folder/);
    const good = uriOf(path.join(root, 'data', 'good.jsonl'));
    assert.deepEqual(await client.diagnostics(good), [], 'the task is dropped: not a dataset until fixed');
    assert.equal(await client.hover(good, 0), null);
    assert.ok(!fs.existsSync(path.join(path.dirname(root), 'outside')));
    assertNoServerErrors(client);
  });

  it('a label folder that is a symbolic link out of the workspace: a clear error, not a failed request', async () => {
    const config = JSON.stringify({ tasks: [{ name: 'escape', files: ['data/**/*.jsonl'], labels: LABELS, labelFile: 'labels/${name}.labels.jsonl' }] });
    await start({ 'loopmark.json': config, 'data/good.jsonl': GOOD });
    const outside = tempWorkspace();
    try {
      fs.symlinkSync(outside, path.join(root, 'labels'), 'dir');
      const good = uriOf(path.join(root, 'data', 'good.jsonl'));
      const diagnostics = await client.diagnostics(good);
      assert.equal(diagnostics.length, 1);
      assert.equal(diagnostics[0]!.code, 'config');
      assert.match(diagnostics[0]!.message, /will not read or write the labels of this dataset: .*symbolic link that leaves the workspace/);
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing is written outside the workspace');
      assertNoServerErrors(client);
    } finally {
      removeWorkspace(outside);
    }
  });
});

describe('CLI on bad input: loopmark stats', function () {
  this.timeout(30_000);
  let root: string;

  function stats(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [CLI, 'stats', ...args], { cwd: root, encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function assertNoStack(out: { stdout: string; stderr: string }): void {
    assert.ok(!/\n\s+at /.test(out.stderr) && !/\n\s+at /.test(out.stdout), `no stack trace:\n${out.stderr}`);
  }

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': CONFIG });
  });

  afterEach(() => removeWorkspace(root));

  it('invalid UTF-8 on disk: counts the samples, exit 0, no stack trace', () => {
    const file = path.join(root, 'data', 'latin1.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"id": "l1", "text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(GOOD)]));
    const out = stats('data/latin1.jsonl');
    assertNoStack(out);
    assert.equal(out.status, 0);
    assert.match(out.stdout, /data\/latin1\.jsonl \(task sentiment\)/);
    assert.match(out.stdout, /samples 2, labeled 0, unlabeled 2, invalid lines 1/);
  });

  it('invalid UTF-8 and invalid lines: stderr names the file and line of each problem', () => {
    const file = path.join(root, 'data', 'latin1.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"id": "l1", "text": "caf'), Buffer.from([0xe9]), Buffer.from('"}\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(GOOD)]));
    const out = stats('data/latin1.jsonl');
    assert.match(out.stderr, /latin1\.jsonl:1: .*UTF-8/);
    assert.match(out.stderr, /latin1\.jsonl:2: Not valid JSON/);
  });

  it('a binary file under a declared task: counted as invalid lines, exit 0, no stack trace', () => {
    const file = path.join(root, 'data', 'archive.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([randomBytes(5000, 3), Buffer.from([0, 0x0a])]));
    const out = stats('data/archive.jsonl', '--json');
    assertNoStack(out);
    assert.equal(out.status, 0);
    const json = JSON.parse(out.stdout);
    assert.equal(json.samples, 0);
    assert.ok(json.invalidLines > 5);
  });

  it('a binary file under the inferred task: "not a dataset", naming the file, exit 2', () => {
    fs.rmSync(path.join(root, 'loopmark.json'));
    fs.mkdirSync(path.join(root, '.git'));
    const file = path.join(root, 'data', 'archive.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([randomBytes(5000, 5), Buffer.from([0, 0x0a])]));
    const out = stats('data/archive.jsonl');
    assertNoStack(out);
    assert.equal(out.status, 2);
    assert.match(out.stderr, /^loopmark: data\/archive\.jsonl is not a dataset/);
  });

  it('an empty file, a BOM and CRLF file: counted, exit 0', () => {
    writeFiles(root, { 'data/empty.jsonl': '', 'data/bom.jsonl': `\uFEFF{"id": "b", "text": "bom"}\r\n{"id": "c", "text": "crlf"}\r\n` });
    const out = stats('data/empty.jsonl', 'data/bom.jsonl', '--json');
    assertNoStack(out);
    assert.equal(out.status, 0, out.stderr);
    const [empty, bom] = JSON.parse(out.stdout);
    assert.deepEqual([empty.samples, empty.invalidLines], [0, 0]);
    assert.deepEqual([bom.samples, bom.invalidLines], [2, 0]);
  });

  it('a missing file, a folder and a file outside any task: a message naming it, exit 2', () => {
    fs.mkdirSync(path.join(root, 'data', 'folder.jsonl'), { recursive: true });
    writeFiles(root, { 'notes/x.jsonl': GOOD });
    for (const [arg, message] of [
      ['data/missing.jsonl', /^loopmark: data\/missing\.jsonl: no such file/],
      ['data/folder.jsonl', /^loopmark: data\/folder\.jsonl/],
      ['notes/x.jsonl', /^loopmark: notes\/x\.jsonl is not a dataset of any task/],
    ] as const) {
      const out = stats(arg);
      assertNoStack(out);
      assert.equal(out.status, 2, arg);
      assert.match(out.stderr, message);
      assert.equal(out.stdout, '');
    }
  });

  it('a broken loopmark.json: its problems on stderr with file:line; the tasks that load still count', () => {
    writeFiles(root, {
      'loopmark.json': '{\n  "tasks": [\n    { "name": "sentiment", "files": ["data/**/*.jsonl"], "labels": ["positive"], "colour": 1 }\n  ]\n}\n',
      'data/good.jsonl': GOOD,
    });
    const out = stats('data/good.jsonl');
    assertNoStack(out);
    assert.match(out.stderr, /loopmark\.json:3: loopmark\.json: unknown field "colour"/);
  });

  it('a label file with merge markers and "__proto__" labels: counts the good lines, no crash', () => {
    writeFiles(root, {
      'data/good.jsonl': `${GOOD}{"id": "g2", "text": "two"}\n`,
      'data/good.labels.jsonl': [
        '{"id":"g1","label":"positive","answer":"accept","source":"manual","annotator":"a","time":"2026-01-01T00:00:00Z"}',
        '<<<<<<< HEAD',
        '{"id":"g2","label":"__proto__","answer":"accept","source":"manual","annotator":"a","time":"2026-01-01T00:00:00Z"}',
        '>>>>>>> theirs',
      ].join('\n'),
    });
    const out = stats('data/good.jsonl', '--json');
    assertNoStack(out);
    assert.equal(out.status, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    assert.equal(json.labeled, 2);
    assert.equal(json.labels.positive.accept, 1);
    assert.equal(json.answers.accept, 2);
  });

  it('labels and annotators named "__proto__" and "constructor" are counted like any other', () => {
    writeFiles(root, {
      'data/good.jsonl': '{"id": "g1", "text": "one"}\n{"id": "g2", "text": "two"}\n',
      'data/good.labels.jsonl': [
        '{"id":"g1","label":"__proto__","answer":"accept","source":"manual","annotator":"__proto__","time":"2026-01-01T00:00:00Z"}',
        '{"id":"g2","label":"constructor","answer":"reject","source":"manual","annotator":"constructor","time":"2026-01-01T00:00:00Z"}',
      ].join('\n'),
    });
    const out = stats('data/good.jsonl', '--json');
    assertNoStack(out);
    assert.equal(out.status, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    const counted = Object.prototype.hasOwnProperty.call(json.labels, '__proto__') && Object.prototype.hasOwnProperty.call(json.labels, 'constructor');
    assert.ok(counted, 'counted as own keys');
    assert.equal(({} as Record<string, unknown>)['accept'], undefined, 'no prototype pollution');
    assert.deepEqual(json.labels['__proto__'], { accept: 1, reject: 0, ignore: 0 });
    assert.deepEqual(json.labels['constructor'], { accept: 0, reject: 1, ignore: 0 });
    assert.equal(json.annotators['__proto__'], 1);
  });
});
