// server/src/core/kinds/llm/export.ts: decisions applied, conversions, determinism, and openai-chat output that passes the format checks.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/workspace';
import { assessFile } from '../../server/src/core/kinds/llm/assess';
import { exportLlm, type SampleDecision } from '../../server/src/core/kinds/llm/export';
import { parseLlmFile } from '../../server/src/core/kinds/llm/records';

const accepted = (): SampleDecision => ({ status: 'accepted' });
const lines = (text: string): Array<Record<string, unknown>> => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const errorsOf = (jsonl: string): string[] => assessFile(jsonl, { ...assessFile('').config, format: 'openai-chat' }).findings.flat().filter((f) => f.severity === 'error').map((f) => f.code);

describe('llm/export', () => {
  it('Alpaca → chat: instruction and input in one user message, output as the assistant', () => {
    const out = exportLlm([{ instruction: 'Translate.', input: 'Bonjour', output: 'Hello.' }, { instruction: 'Say hi.', input: '', output: 'Hi.' }], accepted, { format: 'openai-chat' });
    assert.deepEqual(lines(out.text), [
      { messages: [{ role: 'user', content: 'Translate.\n\nBonjour' }, { role: 'assistant', content: 'Hello.' }] },
      { messages: [{ role: 'user', content: 'Say hi.' }, { role: 'assistant', content: 'Hi.' }] },
    ]);
  });

  it('ShareGPT → chat and chat → ShareGPT', () => {
    const sg = { conversations: [{ from: 'system', value: 'S' }, { from: 'human', value: 'Q' }, { from: 'gpt', value: 'A.' }] };
    const chat = lines(exportLlm([sg], accepted, { format: 'openai-chat' }).text)[0];
    assert.deepEqual(chat, { messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q' }, { role: 'assistant', content: 'A.' }] });
    assert.deepEqual(lines(exportLlm([chat], accepted, { format: 'sharegpt' }).text)[0], sg);
  });

  it('chat → Alpaca for single-turn samples; a multi-turn sample is skipped with its reason', () => {
    const one = { messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A.' }] };
    const two = { messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A.' }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'B.' }] };
    const out = exportLlm([one, two], accepted, { format: 'alpaca' });
    assert.deepEqual(lines(out.text), [{ instruction: 'Q', input: '', output: 'A.' }]);
    assert.equal(out.skipped[0].index, 1);
    assert.match(out.skipped[0].reason, /4 turns/);
  });

  it('preference pairs: TRL ↔ OpenAI DPO, swaps applied; a pair to chat keeps the chosen side', () => {
    const trl = { prompt: [{ role: 'user', content: 'Q' }], chosen: [{ role: 'assistant', content: 'Good.' }], rejected: [{ role: 'assistant', content: 'Bad.' }] };
    const dpo = lines(exportLlm([trl], accepted, { format: 'openai-dpo' }).text)[0];
    assert.deepEqual(dpo, { input: { messages: [{ role: 'user', content: 'Q' }] }, preferred_output: [{ role: 'assistant', content: 'Good.' }], non_preferred_output: [{ role: 'assistant', content: 'Bad.' }] });
    assert.deepEqual(lines(exportLlm([dpo], accepted, { format: 'trl-preference' }).text)[0], trl);
    const swapped = lines(exportLlm([trl], () => ({ status: 'accepted', swap: true }), { format: 'trl-preference' }).text)[0];
    assert.deepEqual(swapped.chosen, trl.rejected);
    assert.deepEqual(lines(exportLlm([trl], accepted, { format: 'openai-chat' }).text)[0], { messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'Good.' }] });
    assert.match(exportLlm([{ instruction: 'a', output: 'b' }], accepted, { format: 'openai-dpo' }).skipped[0].reason, /not a preference pair/);
  });

  it('accepted only by default; unreviewed on request; rejected and dropped never; corrections applied', () => {
    const values = [0, 1, 2, 3].map((i) => ({ instruction: `q${i}`, input: '', output: `a${i}.` }));
    const decisions: Array<SampleDecision | undefined> = [{ status: 'accepted', corrections: [{ path: 'output', content: 'fixed.' }] }, { status: 'rejected' }, undefined, { status: 'accepted' }];
    const by = (i: number): SampleDecision | undefined => decisions[i];
    assert.deepEqual(lines(exportLlm(values, by, { format: 'alpaca' }).text).map((r) => r.output), ['fixed.', 'a3.']);
    assert.deepEqual(lines(exportLlm(values, by, { format: 'alpaca', include: ['accepted', 'unreviewed'] }).text).map((r) => r.output), ['fixed.', 'a2.', 'a3.']);
    assert.deepEqual(lines(exportLlm(values, by, { format: 'alpaca', drop: new Set([3]) }).text).map((r) => r.output), ['fixed.']);
    assert.equal(values[0].output, 'a0.', 'the input records are not changed');
  });

  it('openai-chat output of the whole GSM8K fixture passes the format checks with no error, and is the same bytes twice', () => {
    const text = readFileSync(path.join(FIXTURES, 'llm', 'gsm8k', 'gsm_8k_train.json'), 'utf8');
    const values = parseLlmFile(text).records.map((r) => r.value);
    const a = exportLlm(values, accepted, { format: 'openai-chat' });
    assert.equal(a.exported, 7473);
    assert.deepEqual(errorsOf(a.text), []);
    assert.equal(exportLlm(values, accepted, { format: 'openai-chat' }).text, a.text);
  });

  it('a sample that would fail the format checks is skipped with the reason, not written', () => {
    const out = exportLlm([{ instruction: 'q', input: '', output: '' }, { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a', mood: 1 }] }], accepted, { format: 'openai-chat' });
    assert.equal(out.exported, 1, 'the unknown key is not copied: the chat sample goes out clean');
    assert.deepEqual(errorsOf(out.text), []);
    assert.deepEqual(out.skipped.map((s) => s.index), [0]);
    assert.match(out.skipped[0].reason, /empty/);
  });
});
