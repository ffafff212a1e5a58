// The built server, driven over stdio as an editor drives it: open a dataset, pull diagnostics,
// request quick fixes, execute one, find the label on disk, see the diagnostic go.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, uriOf } from './client';
import { removeWorkspace, REPO, tempWorkspace, until, writeFiles } from '../helpers/workspace';

const ANNOTATOR = 'tester@example.com';

function byCode(diagnostics: Diagnostic[], code: string): Diagnostic[] {
  return diagnostics.filter((d) => d.code === code);
}

function diagnosticOn(diagnostics: Diagnostic[], line: number): Diagnostic | undefined {
  return diagnostics.find((d) => d.range.start.line === line);
}

describe('language server over stdio: the review loop', function () {
  this.timeout(20_000);
  let root: string;
  let client: LspClient;
  let datasetFile: string;
  let text: string;

  beforeEach(async () => {
    root = tempWorkspace(path.join(REPO, 'demo'));
    datasetFile = path.join(root, 'data', 'reviews.jsonl');
    text = fs.readFileSync(datasetFile, 'utf8');
    client = await LspClient.start(root, { annotator: ANNOTATOR });
  });

  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('shows low-confidence predictions as warnings and confident ones as information, on the text', async () => {
    const uri = await client.open(datasetFile, text);
    const diagnostics = await client.diagnostics(uri);
    assert.equal(diagnostics.length, 30, 'one diagnostic per unlabeled sample with a prediction');
    const r003 = diagnosticOn(diagnostics, 2)!; // "Does this model work..." neutral 0.62
    assert.equal(r003.severity, DiagnosticSeverity.Warning);
    assert.equal(r003.source, 'loopmark');
    assert.equal(r003.code, 'review');
    assert.equal(r003.message, "Review: predicted 'neutral' (0.62)");
    assert.deepEqual(r003.data, { sampleId: 'r003', predictedLabel: 'neutral', score: 0.62, origin: 'file' });
    const line = text.split('\n')[2]!;
    const quoted = JSON.stringify('Does this model work with the older charging dock?');
    assert.equal(line.slice(r003.range.start.character, r003.range.end.character), quoted, 'the range covers the text, not the line');
    const r001 = diagnosticOn(diagnostics, 0)!;
    assert.equal(r001.severity, DiagnosticSeverity.Information);
    assert.equal(r001.code, 'suggestion');
    // Label Studio shaped prediction (line 4)
    assert.equal(diagnosticOn(diagnostics, 3)!.message, "Review: predicted 'positive' (0.58)");
  });

  it('offers accept (preferred), label as each other label, and skip; accepting writes the label file at once', async () => {
    const uri = await client.open(datasetFile, text);
    const r003 = diagnosticOn(await client.diagnostics(uri), 2)!;
    const actions = await client.codeActions(uri, r003);
    assert.deepEqual(actions.map((a) => a.title), ["Accept 'neutral'", "Label as 'positive'", "Label as 'negative'", 'Skip']);
    assert.equal(actions[0]!.isPreferred, true);
    assert.equal(actions[0]!.kind, 'quickfix');
    const refreshesBefore = client.refreshes;
    const started = Date.now();
    await client.run(actions[0]!);
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    const onDisk = fs.readFileSync(labelFile, 'utf8');
    assert.ok(Date.now() - started < 1000, 'durable within one second');
    assert.equal(onDisk.trim().split("\n").length, 1, onDisk);
    const record = JSON.parse(onDisk.trim());
    assert.equal(record.id, 'r003');
    assert.equal(record.label, 'neutral');
    assert.equal(record.answer, 'accept');
    assert.equal(record.source, 'prediction');
    assert.equal(record.annotator, ANNOTATOR);
    assert.equal(record.score, 0.62);
    assert.ok(!Number.isNaN(Date.parse(record.time)));
    assert.deepEqual(Object.keys(record), ['id', 'label', 'answer', 'source', 'score', 'annotator', 'time']);
    await until('a diagnostics refresh', () => (client.refreshes > refreshesBefore ? true : undefined));
    const after = await client.diagnostics(uri);
    assert.equal(diagnosticOn(after, 2), undefined, 'labeled and agreeing: nothing to say');
    assert.equal(after.length, 29);
  });

  it('a correction is written as such; a skip is an ignore answer', async () => {
    const uri = await client.open(datasetFile, text);
    const diagnostics = await client.diagnostics(uri);
    const correct = (await client.codeActions(uri, diagnosticOn(diagnostics, 3)!)).find((a) => a.title === "Label as 'neutral'")!;
    await client.run(correct);
    const skip = (await client.codeActions(uri, diagnosticOn(diagnostics, 5)!)).find((a) => a.title === 'Skip')!;
    await client.run(skip);
    const lines = fs.readFileSync(path.join(root, 'data', 'reviews.labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const byId = new Map(lines.map((r) => [r.id, r]));
    assert.equal(byId.get('r004').label, 'neutral');
    assert.equal(byId.get('r004').source, 'correction');
    assert.equal(byId.get('r006').answer, 'ignore');
  });

  it('hover shows the prediction, the label, who labeled it and the guideline', async () => {
    const uri = await client.open(datasetFile, text);
    const r003 = diagnosticOn(await client.diagnostics(uri), 2)!;
    await client.run((await client.codeActions(uri, r003))[0]!);
    const hover = await client.hover(uri, 2, 10);
    const value = (hover!.contents as { value: string }).value;
    assert.match(value, /Prediction: \*\*neutral\*\* 0\.62/);
    assert.match(value, /Label: \*\*neutral\*\* \(prediction\) by tester@example\\\.com/);
    assert.match(value, /Guideline for neutral: No clear sentiment/);
  });

  it('keeps labels attached to their samples when lines are reordered, inserted or deleted', async () => {
    const uri = await client.open(datasetFile, text);
    const r003 = diagnosticOn(await client.diagnostics(uri), 2)!;
    await client.run((await client.codeActions(uri, r003))[0]!);
    // Delete the first two lines: r003 moves to line 0.
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, text: '' }]);
    let diagnostics = await client.diagnostics(uri);
    assert.equal(diagnosticOn(diagnostics, 0), undefined, 'r003 is still labeled at its new line');
    // Insert a new unlabeled sample at the top: r003 moves to line 1.
    await client.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '{"id": "new1", "text": "Brand new sample", "prediction": {"label": "positive", "score": 0.3}}\n' }]);
    diagnostics = await client.diagnostics(uri);
    assert.equal(diagnosticOn(diagnostics, 0)?.data?.sampleId, 'new1');
    assert.equal(diagnosticOn(diagnostics, 1), undefined);
    assert.equal(diagnostics.length, 28, '30 samples - r001, r002 deleted + new1 inserted - r003 labeled');
  });

  it('identifies records without an id by a hash of their text, and reads sidecar predictions', async () => {
    const file = path.join(root, 'data', 'reviews-batch2.jsonl');
    const uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    const diagnostics = await client.diagnostics(uri);
    assert.equal(diagnostics.length, 6);
    const first = diagnosticOn(diagnostics, 0)!;
    assert.match((first.data as { sampleId: string }).sampleId, /^text:[0-9a-f]{14}$/);
    assert.equal(first.message, "Suggestion: predicted 'positive' (0.82)");
    await client.run((await client.codeActions(uri, first))[0]!);
    // Reorder: the first line goes to the end; its label follows it.
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const reordered = [...lines.slice(1), lines[0]].join('\n') + '\n';
    await client.change(uri, [{ text: reordered }]);
    const after = await client.diagnostics(uri);
    assert.equal(after.length, 5);
    assert.equal(diagnosticOn(after, 5), undefined);
  });

  it('reports a malformed line, a missing text field and an unknown label clearly, and keeps working', async () => {
    const broken = [
      '{"id": "a", "text": "fine sample", "prediction": {"label": "positive", "score": 0.4}}',
      '{"id": "b", "text": "unterminated',
      '{"id": "c", "body": "no text field here"}',
      '{"id": "d", "text": "odd prediction", "prediction": {"label": "sarcastic", "score": 0.9}}',
      '{"id": "e", "text": "labeled outside the set"}',
      '{"id": "f", "text": null}',
    ].join('\n');
    writeFiles(root, { 'data/reviews-broken.jsonl': broken, 'data/reviews-broken.labels.jsonl': '{"id":"e","label":"angry","answer":"accept","source":"manual","annotator":"x","time":"2026-01-01T00:00:00.000Z"}\n' });
    const uri = await client.open(path.join(root, 'data', 'reviews-broken.jsonl'), broken);
    const diagnostics = await client.diagnostics(uri);
    const invalid = byCode(diagnostics, 'invalid-json');
    assert.equal(invalid.length, 1);
    assert.equal(invalid[0]!.range.start.line, 1);
    assert.equal(invalid[0]!.severity, DiagnosticSeverity.Error);
    assert.match(invalid[0]!.message, /^Not valid JSON: /);
    const missing = byCode(diagnostics, 'missing-text');
    assert.deepEqual(missing.map((d) => d.range.start.line), [2, 5]);
    assert.match(missing[0]!.message, /"text" must be a string, but it is missing/);
    assert.match(missing[1]!.message, /but it is null/);
    const unknown = byCode(diagnostics, 'unknown-label');
    assert.deepEqual(unknown.map((d) => d.range.start.line), [3, 4]);
    assert.match(unknown[1]!.message, /Label 'angry' is not in the label set of task 'review-sentiment'/);
    assert.equal(diagnosticOn(diagnostics, 0)!.code, 'review');
    // still answering
    const hover = await client.hover(uri, 0);
    assert.ok(hover);
  });

  it('reports the label file problems on the label file and never overwrites it', async () => {
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    const content = '{"id":"r001","label":"positive","answer":"accept","source":"prediction","annotator":"x","time":"2026-01-01T00:00:00.000Z"}\n<<<<<<< HEAD\n{"id":"r002","label":"neg\n';
    fs.writeFileSync(labelFile, content);
    const uri = await client.open(datasetFile, text);
    const diagnostics = await client.diagnostics(uri);
    assert.equal(diagnosticOn(diagnostics, 0), undefined, 'the valid record still loads: r001 is labeled');
    const labelDiagnostics = await client.diagnostics(await client.open(labelFile, content));
    assert.deepEqual(labelDiagnostics.map((d) => d.range.start.line), [1, 2]);
    assert.match(labelDiagnostics[0]!.message, /merge conflict/);
    // A new decision is appended; the bad lines stay as they were.
    await client.run((await client.codeActions(uri, diagnosticOn(diagnostics, 2)!))[0]!);
    const after = fs.readFileSync(labelFile, 'utf8');
    assert.ok(after.startsWith(content.trimEnd()), 'nothing of the old content is lost');
    assert.match(after.split('\n')[3]!, /"id":"r003"/);
    await new Promise((r) => setTimeout(r, 1500)); // past the compaction delay: still not rewritten
    assert.ok(fs.readFileSync(labelFile, 'utf8').startsWith(content.trimEnd()));
  });

  it('rewrites the label file in canonical order once idle, and re-saving unchanged labels changes no byte', async () => {
    const uri = await client.open(datasetFile, text);
    const diagnostics = await client.diagnostics(uri);
    for (const line of [5, 1, 3]) await client.run((await client.codeActions(uri, diagnosticOn(diagnostics, line)!))[0]!);
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    const canonical = await until('canonical order', () => {
      const ids = fs.readFileSync(labelFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
      return ids.join() === 'r002,r004,r006' ? fs.readFileSync(labelFile, 'utf8') : undefined;
    }, 5000);
    assert.ok(canonical.endsWith('\n') && !canonical.includes('\r'));
    await client.stop();
    client = await LspClient.start(root, { annotator: ANNOTATOR });
    await client.diagnostics(await client.open(datasetFile, text));
    await client.stop();
    assert.equal(fs.readFileSync(labelFile, 'utf8'), canonical, '0-byte diff');
    client = await LspClient.start(root, { annotator: ANNOTATOR });
  });

  it('shows loopmark.json errors with their line', async () => {
    const config = '{\n  "tasks": [\n    { "name": "t", "files": ["*.jsonl"], "labels": ["a"], "colour": "red" }\n  ]\n}\n';
    const uri = await client.open(path.join(root, 'loopmark.json'), config, 'json');
    const diagnostics = await client.diagnostics(uri);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.range.start.line, 2);
    assert.match(diagnostics[0]!.message, /unknown field "colour"/);
    assert.equal(uriOf(path.join(root, 'loopmark.json')), uri);
  });
});
