// A multi-label task over stdio, as an editor drives it: the embedded model trained from set records
// predicts sets; the quick fixes accept the set or add/remove one label, each writing a complete set
// durably; the model learns at once; bad set records are diagnostics on the label file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, uriOf } from './client';
import { TICKETS, ticketsConfig, ticketsJsonl } from '../helpers/tickets';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';
import type { DatasetStatus } from '../../server/src/core/workspace/project';
import type { LabelRecord } from '../../server/src/core/types';

const ANNOTATOR = 'tester@example.com';
/** Labeled before the server starts: the model trains on these sets. */
const TRAIN = TICKETS.slice(0, 20);

interface SetData {
  sampleId: string;
  predictedLabels?: string[];
  labels?: string[];
  score?: number;
  origin?: string;
}

const dataOf = (d: Diagnostic): SetData => d.data as SetData;

/** The label file as a hand edit may leave it: in no particular order (reversed), so not canonical. */
function labelLines(): string {
  return TRAIN.map((t, i) => JSON.stringify({
    id: t.id, labels: t.gold, answer: 'accept', source: 'manual', annotator: ANNOTATOR, time: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
  })).reverse().join('\n') + '\n';
}

/** The probability the hover gives a label of a sample (`Per label: **billing** 0.93 · bug 0.12`). */
function hoverScore(markdown: string, label: string): number {
  const match = new RegExp(`(?:\\*\\*)?${label}(?:\\*\\*)? (\\d\\.\\d\\d)`).exec(markdown.split('\n').find((l) => l.startsWith('Per label:')) ?? '');
  assert.ok(match, `no score of '${label}' in the hover:\n${markdown}`);
  return Number(match[1]);
}

describe('language server over stdio: a multi-label task', function () {
  this.timeout(30_000);
  let root: string;
  let client: LspClient;
  let file: string;
  let labelFile: string;
  let uri: string;

  const modelDiagnostics = async (): Promise<Diagnostic[]> => (await client.diagnostics(uri)).filter((d) => dataOf(d)?.origin === 'model');
  const onSample = (diagnostics: Diagnostic[], id: string): Diagnostic | undefined => diagnostics.find((d) => dataOf(d).sampleId === id);
  const onDisk = (): LabelRecord[] => fs.readFileSync(labelFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LabelRecord);
  const lineOf = (id: string): number => TICKETS.findIndex((t) => t.id === id);
  const hover = async (id: string): Promise<string> => ((await client.hover(uri, lineOf(id)))!.contents as { value: string }).value;

  beforeEach(async () => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': ticketsConfig(), 'data/tickets.jsonl': ticketsJsonl(), 'data/tickets.labels.jsonl': labelLines() });
    file = path.join(root, 'data', 'tickets.jsonl');
    labelFile = path.join(root, 'data', 'tickets.labels.jsonl');
    client = await LspClient.start(root, { annotator: ANNOTATOR });
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    // The model trains from the label files in the background after start.
    await until('the model\'s diagnostics', async () => ((await modelDiagnostics()).length > 0 ? true : undefined));
  });

  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('trains from the set records and shows each unlabeled sample\'s predicted set', async () => {
    const status = await client.request<DatasetStatus>('loopmark/status', { uri });
    assert.equal(status.labeled, 20);
    assert.equal(status.model?.state, 'ready');
    const positives = Object.fromEntries(['account', 'billing', 'bug', 'feature'].map((l) => [l, TRAIN.filter((t) => t.gold.includes(l)).length]));
    assert.deepEqual(status.model?.counts, positives, 'a set counts for each of its labels');
    const diagnostics = await modelDiagnostics();
    assert.deepEqual(diagnostics.map((d) => dataOf(d).sampleId).sort(), TICKETS.slice(20).map((t) => t.id), 'every unlabeled sample');
    for (const d of diagnostics) {
      assert.match(d.message, /^(Review|Suggestion): model predicted \{[a-z, ]*\} \(least sure: '(account|billing|bug|feature)' \d\.\d\d\)$/);
      const data = dataOf(d);
      assert.ok(Array.isArray(data.predictedLabels), 'the set travels in the data');
      assert.equal(d.code, data.score! < 0.8 ? 'review' : 'suggestion');
    }
    const md = await hover('t21');
    for (const label of ['account', 'billing', 'bug', 'feature']) hoverScore(md, label);
  });

  it('Accept writes the predicted set as one durable labels record; the diagnostic goes', async () => {
    const diagnostic = onSample(await modelDiagnostics(), 't21')!;
    const predicted = dataOf(diagnostic).predictedLabels!;
    const actions = await client.codeActions(uri, diagnostic);
    const accept = actions.find((a) => a.isPreferred)!;
    assert.equal(accept.title, `Accept {${[...predicted].sort().join(', ')}}`);
    assert.deepEqual(actions.map((a) => a.title).slice(1), [
      ...['account', 'billing', 'bug', 'feature'].map((l) => (predicted.includes(l) ? `Remove '${l}'` : `Add '${l}'`)),
      'Skip',
    ]);
    const record = (await client.run(accept)) as LabelRecord;
    assert.deepEqual(record.labels, [...predicted].sort());
    assert.equal(record.label, undefined);
    // Durable when acknowledged: on disk now, in the canonical shape.
    const line = fs.readFileSync(labelFile, 'utf8').trim().split('\n').find((l) => l.includes('"id":"t21"'))!;
    assert.match(line, new RegExp(`^\\{"id":"t21","labels":${JSON.stringify([...predicted].sort()).replace(/[[\]]/g, '\\$&')},"answer":"accept","source":"prediction","score":[0-9.]+,"annotator":"tester@example\\.com","time":"[^"]+"\\}$`));
    assert.equal(onSample(await client.diagnostics(uri), 't21'), undefined, 'labeled with the predicted set: nothing to say');
    assert.equal((await client.request<DatasetStatus>('loopmark/status', { uri })).labeled, 21);
  });

  it('Add/Remove writes the toggled set, and the model learns it at once', async () => {
    const id = 't26'; // "Please add keyboard shortcuts, that feature would save me a lot of time."
    const diagnostic = onSample(await modelDiagnostics(), id)!;
    const predicted = dataOf(diagnostic).predictedLabels!;
    const target = predicted.includes('account') ? 'billing' : 'account';
    assert.ok(!predicted.includes(target));
    const before = hoverScore(await hover(id), target);
    const add = (await client.codeActions(uri, diagnostic)).find((a: CodeAction) => a.title === `Add '${target}'`)!;
    const record = (await client.run(add)) as LabelRecord;
    const expected = [...predicted, target].sort();
    assert.deepEqual(record.labels, expected);
    assert.equal(record.source, 'correction');
    assert.deepEqual(onDisk().find((r) => r.id === id)!.labels, expected, 'on disk when acknowledged');
    const after = hoverScore(await hover(id), target);
    assert.ok(after > before, `the model learned '${target}' for this text at once (${before} -> ${after})`);
    assert.equal(onSample(await client.diagnostics(uri), id), undefined, 'a correction is not questioned again');
    // Remove one label of another sample's predicted set.
    const other = (await modelDiagnostics()).find((d) => dataOf(d).predictedLabels!.length > 0)!;
    const [dropped, ...kept] = dataOf(other).predictedLabels!;
    const remove = (await client.codeActions(uri, other)).find((a) => a.title === `Remove '${dropped}'`)!;
    assert.deepEqual(((await client.run(remove)) as LabelRecord).labels, kept);
    assert.deepEqual(onDisk().find((r) => r.id === dataOf(other).sampleId)!.labels, kept);
  });

  it('the label file is compacted canonically, and a bad set record is a diagnostic on its line', async () => {
    const add = (await client.codeActions(uri, onSample(await modelDiagnostics(), 't30')!)).find((a) => a.title.startsWith('Add'))!;
    await client.run(add);
    await until('the canonical rewrite', () => {
      const ids = onDisk().map((r) => r.id);
      return ids.length === 21 && ids.every((v, i) => i === 0 || ids[i - 1]! < v) ? true : undefined;
    });
    const text = fs.readFileSync(labelFile, 'utf8');
    fs.writeFileSync(labelFile, `${text}{"id":"t22","labels":["bug",7],"answer":"accept","source":"manual","annotator":"x","time":"t"}\n{"id":"t23","label":"bug","labels":["bug"],"answer":"accept","source":"manual","annotator":"x","time":"t"}\n`);
    await client.fileChanged(labelFile);
    const problems = await until('the label file diagnostics', async () => {
      const d = await client.diagnostics(uriOf(labelFile));
      return d.length === 2 ? d : undefined;
    });
    assert.deepEqual(problems.map((d) => d.range.start.line), [21, 22]);
    assert.match(problems[0]!.message, /"labels" must be a list of strings/);
    assert.match(problems[1]!.message, /has both "label" and "labels"/);
    assert.ok(problems.every((d) => d.code === 'label-file'));
  });

  it('bulk accept writes every confident predicted set', async () => {
    const preview = await client.request<{ count: number; byLabel: Record<string, number> }>('loopmark/bulkPreview', { uri, minScore: 0 });
    assert.equal(preview.count, 10);
    assert.ok(Object.keys(preview.byLabel).every((k) => /^\{[a-z, ]*\}$/.test(k)), JSON.stringify(preview.byLabel));
    const { written } = await client.request<{ written: number }>('loopmark/bulkAccept', { uri, minScore: 0 });
    assert.equal(written, 10);
    const records = onDisk().filter((r) => r.source === 'prediction');
    assert.equal(records.length, 10);
    assert.ok(records.every((r) => Array.isArray(r.labels) && r.label === undefined));
  });
});
