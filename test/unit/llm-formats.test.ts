// server/src/core/kinds/llm/sample.ts: six formats detected per record and normalised to turns with the paths of their contents.
import * as assert from 'node:assert/strict';
import { detectFormat, toSample, unitsOf } from '../../server/src/core/kinds/llm/sample';

const shape = (v: unknown): Array<[string, string, string]> | undefined => toSample(v)?.turns.map((t) => [t.role, t.content, JSON.stringify(t.path)]);

describe('llm/formats', () => {
  it('OpenAI chat, with tool calls and tools', () => {
    const v = { messages: [{ role: 'user', content: 'w?' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, { role: 'tool', tool_call_id: 'c', content: 'r' }], tools: [{ type: 'function' }] };
    const s = toSample(v)!;
    assert.equal(s.format, 'openai-chat');
    assert.deepEqual(s.turns[1].toolCalls, [{ id: 'c', name: 'f', arguments: '{"a":1}', path: ['messages', 1, 'tool_calls', 0, 'function', 'arguments'] }]);
    assert.equal(s.turns[2].toolCallId, 'c');
    assert.deepEqual(s.tools, [{ type: 'function' }]);
    assert.deepEqual(s.turns[1].path, ['messages', 1], 'no content string: the message');
  });
  it('ShareGPT from/value mapped to roles', () => {
    assert.deepEqual(shape({ conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] }), [['user', 'q', '["conversations",0,"value"]'], ['assistant', 'a', '["conversations",1,"value"]']]);
  });
  it('prompt/completion and Alpaca (an empty input is no turn)', () => {
    assert.deepEqual(shape({ prompt: 'p', completion: 'c' }), [['user', 'p', '["prompt"]'], ['assistant', 'c', '["completion"]']]);
    assert.deepEqual(shape({ instruction: 'i', input: '', output: 'o' }), [['user', 'i', '["instruction"]'], ['assistant', 'o', '["output"]']]);
    assert.equal(toSample({ instruction: 'i', input: 'x', output: 'o' })!.turns[1].field, 'input');
  });
  it('TRL preference as strings and as message lists; OpenAI DPO', () => {
    const s = toSample({ prompt: 'p', chosen: 'c', rejected: 'r' })!;
    assert.equal(s.format, 'trl-preference');
    assert.deepEqual([s.chosen![0].content, s.rejected![0].path], ['c', ['rejected']]);
    const m = toSample({ chosen: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'c' }], rejected: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'r' }] })!;
    assert.deepEqual(m.chosen![1].path, ['chosen', 1, 'content']);
    const d = toSample({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'assistant', content: 'c' }], non_preferred_output: [{ role: 'assistant', content: 'r' }] })!;
    assert.equal(d.format, 'openai-dpo');
    assert.deepEqual(d.turns[0].path, ['input', 'messages', 0, 'content']);
    assert.deepEqual(d.rejected![0].path, ['non_preferred_output', 0, 'content']);
  });
  it('detection: unknown shapes, and a forced format', () => {
    assert.equal(detectFormat({ text: 'x' }), undefined);
    assert.equal(detectFormat([1]), undefined);
    assert.equal(toSample({ text: 'x' }), undefined);
    assert.deepEqual(toSample({ text: 'x' }, 'openai-chat')!.turns, []);
  });
  it('units: the sample, each turn, and for a pair the pair', () => {
    assert.deepEqual(unitsOf(toSample({ instruction: 'i', output: 'o' })!).map((u) => u.kind), ['sample', 'turn', 'turn']);
    assert.deepEqual(unitsOf(toSample({ prompt: 'p', chosen: 'c', rejected: 'r' })!).map((u) => u.kind), ['sample', 'turn', 'turn', 'turn', 'pair']);
  });
});
