// `loopmark export --format openai-chat|...` of an llm dataset through the package bin: accepted
// samples only by default (rejected and the later copy of a duplicate left out), a pair swap applied,
// --include unreviewed, the output inside the workspace and passing the format checks.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './client';
import { assessRecord } from '../../server/src/core/kinds/llm/assess';
import { parseLlmFile } from '../../server/src/core/kinds/llm/records';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';

const CONFIG = { tasks: [{ name: 'chat', kind: 'llm', files: ['data/*.jsonl'], labels: ['accept', 'reject'] }] };
const chat = (id: string, user: string, assistant: string): object => ({ id, messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });
const label = (id: string, l: string, i: number): string => JSON.stringify({ id, label: l, answer: 'accept', source: 'manual', annotator: 'rev@example.com', time: `2026-01-01T00:00:0${i}.000Z` });

function cli(root: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8' });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

describe('loopmark export of an llm dataset', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = tempWorkspace();
    const records = [
      chat('a', 'Hi?', 'Hello there.'),
      chat('b', 'Joke?', 'As an AI language model, I cannot.'),
      chat('c', 'Sum 2+2?', 'It is 4.'),
      { id: 'd', ...chat('d', 'Hi?', 'Hello there.') },
      { id: 'p', prompt: 'Greet.', chosen: 'bad greeting', rejected: 'Good morning, welcome.' },
    ];
    writeFiles(root, {
      'loopmark.json': JSON.stringify(CONFIG),
      'data/chat.jsonl': records.map((r) => JSON.stringify(r)).join('\n') + '\n',
      'data/chat.labels.jsonl': [label('a', 'accept', 1), label('b', 'reject:unsafe', 2), label('d', 'accept', 3), label('p', 'pair:swap', 4)].join('\n') + '\n',
    });
  });
  afterEach(() => removeWorkspace(root));

  it('writes the accepted samples, not the rejected, unreviewed or duplicate ones, and the output passes the format checks', () => {
    const out = cli(root, 'export', '--format', 'openai-chat', 'data/chat.jsonl', '--out', 'out/chat.jsonl');
    assert.equal(out.status, 0, out.stderr);
    const text = fs.readFileSync(path.join(root, 'out', 'chat.jsonl'), 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    // a, and the swapped pair as a chat (its chosen answer); b rejected, c unreviewed, d a duplicate of a.
    assert.deepEqual(lines.map((l) => l.messages.at(-1)!.content), ['Hello there.', 'Good morning, welcome.'], text);
    for (const r of parseLlmFile(text).records) assert.deepEqual(assessRecord(r).filter((f) => f.severity === 'error'), []);
  });

  it('applies a pair swap, and --include unreviewed adds the unreviewed sample', () => {
    const pairs = cli(root, 'export', '--format', 'trl-preference', 'data/chat.jsonl');
    assert.equal(pairs.status, 0, pairs.stderr);
    const pair = pairs.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => JSON.stringify(r).includes('Greet'));
    assert.ok(pair, pairs.stdout);
    assert.match(JSON.stringify(pair['chosen']), /Good morning/);
    const all = cli(root, 'export', '--format', 'openai-chat', 'data/chat.jsonl', '--include', 'unreviewed');
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /It is 4\./);
    assert.doesNotMatch(all.stdout, /As an AI language model/);
  });

  it('refuses an --out outside the workspace', () => {
    const out = cli(root, 'export', '--format', 'openai-chat', 'data/chat.jsonl', '--out', '../escape.jsonl');
    assert.notEqual(out.status, 0);
    assert.equal(fs.existsSync(path.join(root, '..', 'escape.jsonl')), false);
  });
});
