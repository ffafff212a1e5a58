// The llm kind over stdio, through the package bin: a chat JSONL with planted problems shows each at
// its exact range; accept, reject, rate and the pair decisions are quick fixes through the one
// decision path; redaction is a versioned text edit; the GSM8K fixture opens without a flood.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, Diagnostic, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { APPLY_LABEL_COMMAND } from '../../server/src/protocol';
import { LspClient } from './client';
import { FIXTURES, removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

const CONFIG = { tasks: [{ name: 'chat', kind: 'llm', files: ['data/*.jsonl'], labels: ['accept', 'reject'], rejectReasons: ['wrong', 'unsafe'], ratingScale: 5 }] };
const chat = (user: string, assistant: string): object => ({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });
const RECORDS = [
  chat('How do I reach support?', 'Write to jane.doe@acme-mail.de and they will answer within a day.'),
  chat('Tell me a joke about cats.', 'As an AI language model, I cannot tell jokes. Cats are nice.'),
  chat('Print one in Python.', 'Here you go:\n```python\nprint(1)'),
  chat('How do I reach support?', 'Write to jane.doe@acme-mail.de and they will answer within a day.'),
  { messages: [{ role: 'user', content: 'Weather in Paris?' }, { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{city: Paris' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'sunny' }, { role: 'assistant', content: 'It is sunny in Paris.' }] },
  { prompt: 'Say hello politely.', chosen: 'Hello, nice to meet you.', rejected: 'Hello, nice to meet you.' },
  chat('What is 2 + 2?', '2 + 2 is 4.'),
];

describe('the llm kind over stdio', function () {
  this.timeout(60_000);
  let root: string;
  let client: LspClient;
  let file: string;
  let uri: string;
  let lines: string[];

  beforeEach(async () => {
    root = tempWorkspace();
    const text = RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n';
    lines = text.split('\n');
    writeFiles(root, { 'loopmark.json': JSON.stringify(CONFIG), 'data/chat.jsonl': text });
    client = await LspClient.start(root, { annotator: 'rev@example.com' });
    file = path.join(root, 'data', 'chat.jsonl');
    uri = await client.open(file, text);
  });
  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  const at = (d: Diagnostic): string => lines[d.range.start.line]!.slice(d.range.start.character, d.range.end.character);
  const find = (all: Diagnostic[], code: string, line: number): Diagnostic => {
    const d = all.find((x) => x.code === code && x.range.start.line === line);
    assert.ok(d, `${code} on line ${line}; got ${JSON.stringify(all.map((x) => [x.code, x.range.start.line]))}`);
    return d;
  };

  it('shows each planted problem at its exact range, and the clean sample has none', async () => {
    const all = await client.diagnostics(uri);
    assert.equal(at(find(all, 'llm/pii-email', 0)), 'jane.doe@acme-mail.de');
    assert.match(at(find(all, 'llm/refusal', 1)), /^As an AI language model/);
    const truncated = find(all, 'llm/truncated', 2);
    assert.ok(lines[2]!.indexOf('Here you go') <= truncated.range.start.character, 'inside the response');
    const dup = find(all, 'llm/duplicate', 3);
    assert.equal(dup.relatedInformation?.[0]?.location.range.start.line, 0, 'the other sample is named');
    assert.match(dup.message, /sample 1/);
    // Inside the arguments string, from where the JSON goes wrong.
    const args = find(all, 'llm/tool-arguments-json', 4);
    const open = lines[4]!.indexOf('"{city: Paris"');
    assert.ok(args.range.start.character > open && args.range.end.character <= open + '"{city: Paris"'.length, at(args));
    assert.equal(at(args), 'city: Paris');
    find(all, 'llm/pair-identical', 5);
    assert.deepEqual(all.filter((d) => d.range.start.line === 6), []);
    assert.equal(all.filter((d) => d.range.start.line === 0 && d.code === 'llm/duplicate').length, 0, 'the first copy is not the duplicate');
  });

  it('accepts, rejects with a reason, rates and swaps through quick fixes; the decisions are label records', async () => {
    const all = await client.diagnostics(uri);
    const run = async (d: Diagnostic, title: string): Promise<void> => {
      const action = (await client.codeActions(uri, d)).find((a) => a.title === title);
      assert.ok(action, `action '${title}'`);
      await client.run(action);
    };
    await run(find(all, 'llm/refusal', 1), 'Reject: unsafe');
    await run(find(all, 'llm/truncated', 2), 'Rate 2 of 5');
    await run(find(all, 'llm/pair-identical', 5), 'Pair: swap');
    await run(find(all, 'llm/pii-email', 0), 'Accept the sample');
    const written = fs.readFileSync(path.join(root, 'data', 'chat.labels.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { label: string; answer: string });
    assert.deepEqual(written.map((r) => [r.label, r.answer]), [['reject:unsafe', 'accept'], ['rating:2', 'accept'], ['pair:swap', 'accept'], ['accept', 'accept']]);
  });

  it('redacts an e-mail address as a versioned text edit that keeps the record valid JSON', async () => {
    const email = find(await client.diagnostics(uri), 'llm/pii-email', 0);
    const actions: CodeAction[] = await client.codeActions(uri, email);
    const redact = actions.find((a) => a.title.startsWith('Redact'));
    assert.ok(redact?.edit?.documentChanges, 'a workspace edit');
    const change = redact.edit.documentChanges[0] as TextDocumentEdit;
    assert.equal(change.textDocument.version, 1);
    const edit = change.edits[0]!;
    const line = lines[0]!;
    const fixed = line.slice(0, edit.range.start.character) + edit.newText + line.slice(edit.range.end.character);
    assert.equal((JSON.parse(fixed) as { messages: Array<{ content: string }> }).messages[1]!.content, 'Write to <EMAIL> and they will answer within a day.');
  });

  it('learns rejects: after three rejected and three accepted samples, an unreviewed one like the rejected is flagged with its score', async () => {
    const spam = (i: number): object => ({ id: `s${i}`, ...chat(`Question ${i}`, `BUY CHEAP PILLS NOW at our online pharmacy, best prices, click here, offer ${i}!`) });
    const good = (i: number): object => ({ id: `g${i}`, ...chat(`What is ${i} + ${i}?`, `${i} + ${i} equals ${2 * i}, since adding a number to itself doubles it.`) });
    const records = [spam(1), good(1), spam(2), good(2), spam(3), good(3), spam(4), good(4)];
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const learnFile = path.join(root, 'data', 'learn.jsonl');
    fs.writeFileSync(learnFile, text);
    const learnUri = await client.open(learnFile, text);
    const before = await client.diagnostics(learnUri);
    assert.equal(before.filter((d) => d.code === 'llm/looks-rejected').length, 0, 'nothing to learn from yet');
    // Clean samples have no finding to hang a quick fix on: the decisions go through the label command, as the picker sends them.
    for (const r of records.slice(0, 6) as Array<{ id: string }>) {
      const decision = { sampleId: r.id, label: r.id.startsWith('s') ? 'reject:wrong' : 'accept', answer: 'accept' };
      await client.run({ title: 'decide', command: { title: 'decide', command: APPLY_LABEL_COMMAND, arguments: [{ uri: learnUri, decision }] } });
    }
    const after = await client.diagnostics(learnUri);
    const flagged = after.filter((d) => d.code === 'llm/looks-rejected');
    assert.deepEqual(flagged.map((d) => d.range.start.line), [6], 'the unreviewed spam sample, not the unreviewed good one');
    assert.match(flagged[0]!.message, /score 0\.\d\d/);
  });

  it('opens the GSM8K fixture (a JSONL copy of its array) without a flood of diagnostics', async () => {
    const dir = path.join(FIXTURES, 'llm', 'gsm8k');
    const source = fs.readdirSync(dir).find((f) => f.endsWith('.json') || f.endsWith('.jsonl'));
    assert.ok(source, `a data file in ${dir}`);
    const raw = fs.readFileSync(path.join(dir, source), 'utf8');
    const records = source.endsWith('.json') ? (JSON.parse(raw) as unknown[]) : raw.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const gsm = path.join(root, 'data', 'gsm8k.jsonl');
    fs.writeFileSync(gsm, text);
    const gsmUri = await client.open(gsm, text);
    const all = (await client.diagnostics(gsmUri)).filter((d) => d.code !== 'more-to-review');
    const byCode: Record<string, number> = {};
    for (const d of all) byCode[String(d.code)] = (byCode[String(d.code)] ?? 0) + 1;
    console.log(`      GSM8K: ${records.length} samples, ${all.length} diagnostics ${JSON.stringify(byCode)}`);
    assert.ok(all.length <= records.length / 100, `at most 1% of the samples flagged, got ${all.length}`);
  });
});
