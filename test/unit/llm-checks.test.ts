// server/src/core/kinds/llm/checks/*: every check with a case it must flag and one it must not.
import * as assert from 'node:assert/strict';
import { assessRecord, findingRange } from '../../server/src/core/kinds/llm/assess';
import { resolveLlmConfig } from '../../server/src/core/kinds/llm/config';
import type { LlmCheckCode, LlmFinding } from '../../server/src/core/kinds/llm/findings';
import { parseLlmFile, type LlmRecord } from '../../server/src/core/kinds/llm/records';
import { truncation } from '../../server/src/core/kinds/llm/checks/responses';
import { sampleTokens } from '../../server/src/core/kinds/llm/checks/tokens';
import { toSample } from '../../server/src/core/kinds/llm/sample';

const rec = (value: unknown): LlmRecord => {
  const text = JSON.stringify(value);
  return { index: 0, start: 0, end: text.length, line: 0, column: 0, text, value };
};
const run = (value: unknown, raw?: unknown): LlmFinding[] => assessRecord(rec(value), raw === undefined ? undefined : resolveLlmConfig(raw).config);
const codes = (value: unknown, raw?: unknown): LlmCheckCode[] => run(value, raw).map((f) => f.code);
const chat = (...turns: Array<[string, string]>): unknown => ({ messages: turns.map(([role, content]) => ({ role, content })) });
/** The text of the file a finding's range covers, decoded when it is inside a string. */
const covered = (value: unknown, f: LlmFinding): string => {
  const text = JSON.stringify(value);
  const file = parseLlmFile(text);
  const r = findingRange(file, file.records[0], f);
  return f.range ? JSON.parse(`"${text.slice(r.start, r.end)}"`) : text.slice(r.start, r.end);
};
const GOOD = chat(['system', 'Be brief.'], ['user', 'What is 2+2?'], ['assistant', 'It is 4.']);

describe('llm/checks: format (OpenAI data-preparation errors)', () => {
  it('a clean chat sample raises nothing', () => assert.deepEqual(codes(GOOD), []));
  it('not an object', () => {
    assert.deepEqual(codes([1, 2]), ['llm/not-object']);
    assert.deepEqual(codes('text'), ['llm/not-object']);
  });
  it('no known format, unless a format is forced', () => {
    assert.deepEqual(codes({ text: 'x' }), ['llm/unknown-format']);
    assert.deepEqual(codes({ text: 'x' }, { format: 'openai-chat' }), ['llm/no-messages']);
    assert.deepEqual(codes({ messages: [] }), ['llm/no-messages']);
  });
  it('a message without role or content, with an empty user content', () => {
    assert.ok(codes({ messages: [{ content: 'hi' }, { role: 'assistant', content: 'x.' }] }).includes('llm/message-missing-key'));
    assert.ok(codes({ messages: [{ role: 'user' }, { role: 'assistant', content: 'x.' }] }).includes('llm/message-missing-key'));
    assert.ok(codes(chat(['user', ''], ['assistant', 'x.'])).includes('llm/message-missing-key'));
    // An assistant with tool calls may have a null content.
    const call = { messages: [{ role: 'user', content: 'w?' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c1', content: '1' }, { role: 'assistant', content: 'One.' }] };
    assert.deepEqual(codes(call), []);
  });
  it('unknown keys and unknown roles, placed on the key and on the role', () => {
    const v = { messages: [{ role: 'user', content: 'hi', mood: 'x' }, { role: 'bot', content: 'x.' }, { role: 'assistant', content: 'y.' }] };
    const fs = run(v);
    const key = fs.find((f) => f.code === 'llm/unknown-key')!;
    assert.equal(covered(v, key), '"mood"');
    const role = fs.find((f) => f.code === 'llm/unknown-role')!;
    assert.equal(covered(v, role), '"bot"');
    assert.deepEqual(codes(chat(['developer', 'x'], ['user', 'q'], ['assistant', 'a.'])), []);
  });
  it('no assistant message', () => {
    assert.ok(codes(chat(['user', 'hi'])).includes('llm/no-assistant'));
    assert.ok(codes({ conversations: [{ from: 'human', value: 'hi' }] }).includes('llm/no-assistant'));
  });
  it('ShareGPT: an unknown from, a missing value', () => {
    assert.deepEqual(codes({ conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a.' }] }), []);
    assert.ok(codes({ conversations: [{ from: 'alien', value: 'q' }, { from: 'gpt', value: 'a.' }] }).includes('llm/unknown-role'));
    assert.ok(codes({ conversations: [{ from: 'human' }, { from: 'gpt', value: 'a.' }] }).includes('llm/message-missing-key'));
  });
});

describe('llm/checks: conversation structure', () => {
  it('the same role twice in a row (but not parallel tool results)', () => {
    assert.deepEqual(codes(chat(['user', 'a'], ['user', 'b'], ['assistant', 'c.'])), ['llm/repeated-role']);
    assert.deepEqual(codes(chat(['user', 'a'], ['assistant', 'b.'], ['user', 'c'], ['assistant', 'd.'])), []);
  });
  it('a system message that is not first', () => {
    assert.deepEqual(codes(chat(['user', 'a'], ['system', 's'], ['assistant', 'c.'])), ['llm/system-not-first']);
  });
  it('no final assistant turn', () => {
    assert.deepEqual(codes(chat(['user', 'a'], ['assistant', 'b.'], ['user', 'c'])), ['llm/no-final-assistant']);
  });
});

describe('llm/checks: responses', () => {
  it('empty and whitespace-only responses, over the whole string', () => {
    const v = chat(['user', 'q'], ['assistant', '  \n ']);
    const f = run(v).find((x) => x.code === 'llm/empty-response')!;
    assert.equal(covered(v, f), '  \n ');
    assert.ok(codes({ instruction: 'q', input: '', output: '' }).includes('llm/empty-response'));
    assert.ok(!codes({ instruction: 'q', input: '', output: 'a' }).includes('llm/empty-response'));
  });
  it('truncated: an unclosed code fence, an unclosed bracket at the end, an open quotation, mid-sentence', () => {
    assert.equal(truncation('Here:\n```python\nprint(1)\n')?.kind, 'code-fence');
    assert.equal(truncation('Here:\n```python\nprint(1)\n```\nDone.'), undefined);
    assert.equal(truncation('The values are (1, 2, and')?.kind, 'bracket');
    assert.equal(truncation('1) first 2) second'), undefined, 'list numbering is not an open bracket');
    assert.equal(truncation('x (typo\nmore text.'), undefined, 'an unclosed bracket on an earlier line is a typo');
    assert.equal(truncation('He said "I will')?.kind, 'quote');
    assert.equal(truncation('He is 5\'10" tall.'), undefined, 'inches');
    assert.equal(truncation('Done.""'), undefined);
    assert.equal(truncation('Total = 72."'), undefined, 'a stray closing quote at the end is not a cut');
    assert.equal(truncation('First sentence. Then the model stopped in the mid')?.kind, 'mid-sentence');
    assert.equal(truncation('First sentence. Second one.'), undefined);
    assert.equal(truncation('Only one clause without a period'), undefined, 'no finished sentence to compare with');
    assert.equal(truncation('First. Then it stops', { punctuatedShare: 0.5 }), undefined, 'a dataset that rarely ends in punctuation');
  });
  it('truncated findings carry their range', () => {
    const v = chat(['user', 'q'], ['assistant', 'Sure. Code:\n```js\nlet x = 1;']);
    const f = run(v).find((x) => x.code === 'llm/truncated')!;
    assert.equal(covered(v, f), '```js\nlet x = 1;');
  });
  it('refusals, disclaimers and self-identification; a task adds phrases', () => {
    const v = chat(['user', 'q'], ['assistant', 'Well. As an AI language model, I can’t do that.']);
    const f = run(v).find((x) => x.code === 'llm/refusal')!;
    assert.equal(covered(v, f), 'As an AI language model');
    assert.ok(codes(chat(['user', 'q'], ['assistant', "I'm sorry, but I cannot help."])).includes('llm/refusal'));
    assert.ok(codes(chat(['user', 'q'], ['assistant', 'As of my last update, X.'])).includes('llm/refusal'));
    assert.deepEqual(codes(chat(['user', 'q'], ['assistant', 'Paris is the capital.'])), []);
    assert.deepEqual(codes(chat(['user', 'As an AI language model, answer'], ['assistant', 'Sure.'])), [], 'only responses');
    assert.deepEqual(codes(chat(['user', 'q'], ['assistant', 'Trust me, friend.']), { refusalPhrases: ['trust me'] }), ['llm/refusal']);
  });
});

describe('llm/checks: config', () => {
  it('switches a check off and changes a severity', () => {
    const v = chat(['user', 'a'], ['user', 'b'], ['assistant', 'As an AI language model, no.']);
    assert.deepEqual(codes(v, { checks: { 'llm/refusal': 'off' } }), ['llm/repeated-role']);
    const fs = run(v, { checks: { 'llm/repeated-role': 'error' } });
    assert.equal(fs.find((f) => f.code === 'llm/repeated-role')!.severity, 'error');
    assert.equal(fs.find((f) => f.code === 'llm/refusal')!.severity, 'warning');
  });
  it('reports what it cannot use', () => {
    const { config, problems } = resolveLlmConfig({ format: 'csv', checks: { 'llm/nope': 'off', 'llm/refusal': 'loud' }, tokenBudget: -1 });
    assert.equal(config.format, 'auto');
    assert.equal(problems.length, 4);
    assert.match(problems.join('\n'), /format "csv"/);
  });
});

describe('llm/checks: tools', () => {
  const withCall = (args: string, answered: boolean): unknown => ({
    messages: [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: args } }] },
      ...(answered ? [{ role: 'tool', tool_call_id: 'c1', content: 'sunny' }] : []),
      { role: 'assistant', content: 'Sunny.' },
    ],
  });
  it('invalid JSON arguments, placed in the arguments string', () => {
    const v = withCall('{"city": "Paris"', true);
    const f = run(v).find((x) => x.code === 'llm/tool-arguments-json')!;
    assert.ok(f);
    assert.deepEqual(f.path, ['messages', 1, 'tool_calls', 0, 'function', 'arguments']);
    assert.deepEqual(codes(withCall('{"city": "Paris"}', true)), []);
    assert.ok(codes(withCall('[1]', true)).includes('llm/tool-arguments-json'), 'not an object');
  });
  it('a tool call no tool message answers', () => {
    assert.ok(codes(withCall('{}', false)).includes('llm/tool-call-unanswered'));
    assert.ok(!codes(withCall('{}', true)).includes('llm/tool-call-unanswered'));
  });
});

describe('llm/checks: preference pairs', () => {
  it('identical, nearly identical, chosen empty; a real preference raises nothing', () => {
    assert.deepEqual(codes({ prompt: 'q', chosen: 'Same answer.', rejected: 'Same answer.' }), ['llm/pair-identical']);
    assert.deepEqual(codes({ prompt: 'q', chosen: 'Same answer.', rejected: 'same  answer!' }), ['llm/pair-near-identical']);
    assert.deepEqual(codes({ prompt: 'q', chosen: ' ', rejected: 'x.' }), ['llm/chosen-empty']);
    assert.deepEqual(codes({ prompt: 'q', chosen: 'Paris is the capital of France.', rejected: 'I think it is Lyon, maybe.' }), []);
  });
  it('OpenAI DPO pairs are checked the same way', () => {
    const dpo = (a: string, b: string): unknown => ({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'assistant', content: a }], non_preferred_output: [{ role: 'assistant', content: b }] });
    assert.deepEqual(codes(dpo('Yes.', 'Yes.')), ['llm/pair-identical']);
    assert.deepEqual(codes(dpo('Yes, it is.', 'No, never.')), []);
  });
});

describe('llm/checks: token budget', () => {
  it('counts with the bundled o200k_base encoding, OpenAI framing included', () => {
    // "hello world" is 2 tokens in o200k_base; 3 framing + 1 role per message, 3 for the reply.
    const s = toSample(chat(['user', 'hello world']))!;
    assert.equal(sampleTokens(s), 3 + 3 + 1 + 2);
    assert.equal(sampleTokens(s, 'cl100k_base'), 9);
  });
  it('flags a sample over the budget with its count in data, not one under it', () => {
    const long = chat(['user', 'word '.repeat(300)], ['assistant', 'Ok.']);
    const f = run(long, { tokenBudget: 100 }).find((x) => x.code === 'llm/token-budget')!;
    assert.ok(f && (f.data!.tokens as number) > 300 && f.data!.budget === 100);
    assert.deepEqual(codes(long, { tokenBudget: 1000 }), []);
    assert.deepEqual(codes(long, { tokenBudget: 0 }), [], '0 = no budget');
  });
});
