// server/src/core/kinds/llm/fixes.ts: each fix is a text edit that leaves valid JSON whose decoded value is what the fix says.
import * as assert from 'node:assert/strict';
import { assessFile } from '../../server/src/core/kinds/llm/assess';
import { applyEdits, dropRecordEdit, redactAllEdit, redactEdit, stripRefusalEdit, swapEdits } from '../../server/src/core/kinds/llm/fixes';

describe('llm/fixes', () => {
  it('redacts an e-mail inside an escaped string (\\n, \\", \\u00e9 and an emoji before it) with <EMAIL>', () => {
    const content = 'Line one\n"quoted" caf\u00e9 😀 mail: jo@corp.io, thanks';
    const text = `[\n  {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ${JSON.stringify(content).replace('é', '\\u00e9')}}]}\n]`;
    const a = assessFile(text);
    const f = a.findings[0].find((x) => x.code === 'llm/pii-email')!;
    const edit = redactEdit(a.file.records[0], f)!;
    assert.equal(text.slice(edit.start, edit.end), 'jo@corp.io');
    const after = JSON.parse(applyEdits(text, [edit])) as Array<{ messages: Array<{ content: string }> }>;
    assert.equal(after[0].messages[1].content, content.replace('jo@corp.io', '<EMAIL>'));
  });

  it('redacts every PII finding of a string in one edit', () => {
    const content = 'Mail a@corp.io or call (555) 123-4567.';
    const text = JSON.stringify({ messages: [{ role: 'user', content }, { role: 'assistant', content: 'Ok.' }] });
    const a = assessFile(text);
    const edit = redactAllEdit(a.file.records[0], a.findings[0], ['messages', 0, 'content'])!;
    const after = JSON.parse(applyEdits(text, [edit])) as { messages: Array<{ content: string }> };
    assert.equal(after.messages[0].content, 'Mail <EMAIL> or call <PHONE>.');
  });

  it('strips the refusal sentence and keeps the rest', () => {
    const content = 'Sure.\nAs an AI language model, I have no opinions. But here is a fact: water boils at 100 °C.';
    const text = JSON.stringify({ messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content }] });
    const a = assessFile(text);
    const f = a.findings[0].find((x) => x.code === 'llm/refusal')!;
    const after = JSON.parse(applyEdits(text, [stripRefusalEdit(a.file.records[0], f)!])) as { messages: Array<{ content: string }> };
    assert.equal(after.messages[1].content, 'Sure.\nBut here is a fact: water boils at 100 °C.');
  });

  it('swaps chosen and rejected (strings and message lists)', () => {
    for (const v of [
      { prompt: 'q', chosen: 'Good "one".', rejected: 'Bad\none.' },
      { input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'assistant', content: 'A' }], non_preferred_output: [{ role: 'assistant', content: 'B' }] },
    ]) {
      const text = JSON.stringify(v);
      const a = assessFile(text);
      const after = JSON.parse(applyEdits(text, swapEdits(a.file.records[0], a.samples[0]!))) as Record<string, unknown>;
      const [c, r] = 'chosen' in v ? ['chosen', 'rejected'] : ['preferred_output', 'non_preferred_output'];
      assert.deepEqual(after[c], (v as Record<string, unknown>)[r]);
      assert.deepEqual(after[r], (v as Record<string, unknown>)[c]);
    }
  });

  it('drops a record from a JSONL file and from a JSON array, leaving valid JSON', () => {
    const recs = [{ instruction: 'a', output: 'x' }, { instruction: 'b', output: 'y' }, { instruction: 'c', output: 'z' }];
    const jsonl = recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const array = JSON.stringify(recs, null, 2);
    for (const text of [jsonl, array]) {
      for (const i of [0, 1, 2]) {
        const a = assessFile(text);
        const out = applyEdits(text, [dropRecordEdit(text, a.file, a.file.records[i])]);
        const left = text === jsonl ? out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : (JSON.parse(out) as unknown[]);
        assert.deepEqual(left, recs.filter((_, j) => j !== i), `drop ${i} of ${text === jsonl ? 'JSONL' : 'array'}`);
      }
    }
  });
});
