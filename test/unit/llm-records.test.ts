// server/src/core/kinds/llm/records.ts and jsonPath.ts: where each record and each value sits in the file.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as jsonc from 'jsonc-parser';
import { FIXTURES } from '../helpers/workspace';
import { parseLlmFile, positionAt } from '../../server/src/core/kinds/llm/records';
import { decodedOffset, escapeJsonString, formatPath, locate, parsePath, rawRange } from '../../server/src/core/kinds/llm/jsonPath';

const GSM8K = path.join(FIXTURES, 'llm', 'gsm8k', 'gsm_8k_train.json');
const TOOLFORMER = path.join(FIXTURES, 'llm', 'gpteacher-toolformer', 'toolformer-similarity-0.6-dataset.json');

describe('llm/records: JSONL and JSON array files', () => {
  it('JSONL: one record per non-blank line, with line, column and offsets; CRLF and a BOM', () => {
    const text = '\uFEFF{"a":1}\r\n\r\n  {"b":2}\n{bad}\n';
    const f = parseLlmFile(text, 'x.jsonl');
    assert.equal(f.layout, 'jsonl');
    assert.deepEqual(f.records.map((r) => [r.line, r.column, r.text]), [[0, 1, '{"a":1}'], [2, 0, '  {"b":2}'], [3, 0, '{bad}']]);
    assert.deepEqual(f.records[0].value, { a: 1 });
    assert.equal(text.slice(f.records[1].start, f.records[1].end), '  {"b":2}');
    assert.match(f.records[2].error!, /^x\.jsonl:4: record 3 is not valid JSON/);
  });

  it('a JSON array: each element with its exact offsets, line and column', () => {
    const text = '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": "c",\n   "output": "d"}\n]\n';
    const f = parseLlmFile(text);
    assert.equal(f.layout, 'json-array');
    assert.equal(f.records.length, 2);
    assert.deepEqual([f.records[1].line, f.records[1].column], [2, 2]);
    assert.equal(f.records[1].text, '{"instruction": "c",\n   "output": "d"}');
    assert.deepEqual(f.records[1].value, { instruction: 'c', output: 'd' });
  });

  it('a JSONL file whose first record is an array is still JSONL', () => {
    const f = parseLlmFile('[1,2]\n{"a":1}\n');
    assert.equal(f.layout, 'jsonl');
    assert.equal(f.records.length, 2);
  });

  it('a broken array names the file and line: an unclosed array, a missing comma, an invalid element', () => {
    assert.match(parseLlmFile('[\n{"a":1},\n{"b":2}\n', 'd.json').errors[0].message, /^d\.json:\d: the JSON array is not closed/);
    const missing = parseLlmFile('[\n{"a":1}\n{"b":2}]', 'd.json');
    assert.match(missing.errors[0].message, /^d\.json:3: expected "," or "]" after record 1/);
    const bad = parseLlmFile('[\n{"a":1},\n{"b":}\n]', 'd.json');
    assert.equal(bad.errors.length, 0);
    assert.match(bad.records[1].error!, /^d\.json:3: record 2 is not valid JSON/);
    assert.deepEqual(parseLlmFile('[]').records, []);
  });

  for (const [name, file, count] of [['GSM8K', GSM8K, 7473], ['GPTeacher Toolformer', TOOLFORMER, 2396]] as const) {
    it(`the ${name} fixture: ${count} records at the offsets jsonc-parser gives, each parsing to the array's element`, () => {
      const text = readFileSync(file, 'utf8');
      const f = parseLlmFile(text);
      assert.equal(f.layout, 'json-array');
      assert.equal(f.errors.length, 0);
      assert.equal(f.records.length, count);
      const tree = jsonc.parseTree(text)!;
      const whole = JSON.parse(text) as unknown[];
      f.records.forEach((r, i) => {
        const node = tree.children![i];
        assert.equal(r.start, node.offset);
        assert.equal(r.end, node.offset + node.length);
        assert.deepEqual(r.value, whole[i]);
        const pos = positionAt(f.lineStarts, r.start);
        assert.deepEqual([r.line, r.column], [pos.line, pos.character]);
      });
      // The first record opens on line 2 (1-based), indented as the file is.
      assert.equal(f.records[0].line, 1);
      assert.equal(text.split('\n')[1].slice(0, f.records[0].column + 1).trim(), '{');
    });
  }
});

describe('llm/jsonPath: paths and ranges inside escaped strings', () => {
  it('formats and parses paths, quoting odd keys', () => {
    assert.equal(formatPath(['messages', 2, 'content']), 'messages[2].content');
    assert.equal(formatPath(['a b', 0]), '["a b"][0]');
    assert.deepEqual(parsePath('messages[2].content'), ['messages', 2, 'content']);
    assert.deepEqual(parsePath('["a b"][0].c'), ['a b', 0, 'c']);
    assert.throws(() => parsePath('messages[x]'), /not a JSON path/);
  });

  it('locates messages[2].content in a record and a character range inside it', () => {
    const msgs = [{ role: 'system', content: 's' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'Mail bob@corp.io now' }];
    const record = { text: JSON.stringify({ messages: msgs }) };
    const whole = locate(record, ['messages', 2, 'content'])!;
    assert.equal(record.text.slice(whole.start, whole.end), '"Mail bob@corp.io now"');
    const inner = locate(record, ['messages', 2, 'content'], { start: 5, end: 16 })!;
    assert.equal(record.text.slice(inner.start, inner.end), 'bob@corp.io');
    assert.equal(locate(record, ['messages', 9, 'content']), undefined);
  });

  it('maps decoded ranges across \\n, \\", \\u escapes and emoji (raw and as an escaped surrogate pair)', () => {
    const value = 'a\nb "q" é 😀 x\\y';
    // JSON.stringify writes é and 😀 raw; the second form escapes them as \u00e9 and \ud83d\ude00.
    const forms = [JSON.stringify(value), JSON.stringify(value).replace('é', '\\u00e9').replace('😀', '\\ud83d\\ude00')];
    for (const raw of forms) {
      assert.equal(JSON.parse(raw), value);
      for (const needle of ['b', '"q"', 'é', '😀', 'x\\y', '\nb']) {
        const from = value.indexOf(needle);
        const r = rawRange(raw, 0, from, from + needle.length);
        assert.equal(JSON.parse(`"${raw.slice(r.start, r.end)}"`), needle, `${needle} in ${raw}`);
        assert.equal(decodedOffset(raw, 0, r.start), from);
      }
      const all = rawRange(raw, 0, 0, value.length);
      assert.deepEqual(all, { start: 1, end: raw.length - 1 });
    }
  });

  it('escapeJsonString writes what JSON.parse reads back', () => {
    const s = 'x"\n\\\u0001';
    assert.equal(JSON.parse(`"${escapeJsonString(s)}"`), s);
  });
});
