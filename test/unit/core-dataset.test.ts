// server/src/core/dataset.ts: one line's parse (every error code) and a dataset that re-parses only
// the lines an edit touched.
import * as assert from 'node:assert/strict';
import { Dataset, parseLine, type ParsedLine } from '../../server/src/core/dataset';
import { textId } from '../../server/src/core/identity';

const FIELDS = { textField: 'text', idField: 'id' };

function errorOf(parsed: ParsedLine): { code: string; message: string; start?: number; end?: number } {
  assert.equal(parsed.kind, 'error', JSON.stringify(parsed));
  return (parsed as Extract<ParsedLine, { kind: 'error' }>).error;
}

function sampleOf(parsed: ParsedLine): Extract<ParsedLine, { kind: 'sample' }> {
  assert.equal(parsed.kind, 'sample', JSON.stringify(parsed));
  return parsed as Extract<ParsedLine, { kind: 'sample' }>;
}

describe('core/dataset: parseLine', () => {
  it('a blank line is blank', () => {
    for (const line of ['', '   ', '\t', ' \r']) assert.equal(parseLine(line, FIELDS).kind, 'blank');
  });

  it('a record with id and text is a sample', () => {
    const { sample, warning } = sampleOf(parseLine('{"id": "r1", "text": "hello"}', FIELDS));
    assert.deepEqual(sample, { id: 'r1', fromText: false, text: 'hello' });
    assert.equal(warning, undefined);
  });

  it('a record without id is identified by its text', () => {
    const { sample } = sampleOf(parseLine('{"text": "hello"}', FIELDS));
    assert.deepEqual(sample, { id: textId('hello'), fromText: true, text: 'hello' });
  });

  it('reads text and id at dotted paths', () => {
    const { sample } = sampleOf(parseLine('{"meta": {"uid": 9}, "data": {"text": "deep"}}', { textField: 'data.text', idField: 'meta.uid' }));
    assert.deepEqual(sample, { id: '9', fromText: false, text: 'deep' });
  });

  it('an empty text is still a sample', () => {
    assert.equal(sampleOf(parseLine('{"id": "e", "text": ""}', FIELDS)).sample.text, '');
  });

  it('invalid-json: says so, with the error position when V8 gives one', () => {
    const error = errorOf(parseLine('{"id": "b", "text": "unterminated', FIELDS));
    assert.equal(error.code, 'invalid-json');
    assert.match(error.message, /^Not valid JSON: Unterminated string/);
    assert.equal(error.start, 33);
    assert.equal(error.end, 33, 'the end of the line: a zero-width range there');
    const comma = errorOf(parseLine('{"id": "b",, "text": "x"}', FIELDS));
    assert.deepEqual([comma.start, comma.end], [11, 12]);
    const token = errorOf(parseLine('{"id": x}', FIELDS));
    assert.equal(token.code, 'invalid-json');
    assert.equal(token.start, undefined, 'no position in the message: the whole line');
  });

  it('invalid-json: a position quoted from the data is not taken for the error position', () => {
    // V8 quotes the start of the input in this message; the input mentions "position 99".
    const error = errorOf(parseLine('{"a": at position 99}', FIELDS));
    assert.equal(error.code, 'invalid-json');
    assert.ok(error.start === undefined || error.start <= '{"a": at position 99}'.length, `start ${error.start}`);
  });

  it('invalid-json: binary data is called binary, without NUL bytes in the message', () => {
    const error = errorOf(parseLine('\u0000\u0001\u0002PK\u0003\u0004garbage', FIELDS));
    assert.equal(error.code, 'invalid-json');
    assert.match(error.message, /binary/i);
    assert.ok(!/[\u0000-\u0008]/.test(error.message), JSON.stringify(error.message));
  });

  it('not-an-object: names what was found', () => {
    const cases: Array<[string, string]> = [
      ['[1, 2]', 'a list'],
      ['"just a string"', 'a string'],
      ['42', 'a number'],
      ['null', 'null'],
      ['true', 'a boolean'],
    ];
    for (const [line, found] of cases) {
      const error = errorOf(parseLine(line, FIELDS));
      assert.equal(error.code, 'not-an-object');
      assert.equal(error.message, `Expected a JSON object per line, found ${found}`);
    }
  });

  it('missing-text: names the field and what it is instead', () => {
    const cases: Array<[string, string]> = [
      ['{"id": 1}', 'it is missing'],
      ['{"id": 1, "text": null}', 'it is null'],
      ['{"id": 1, "text": 12}', 'it is a number'],
      ['{"id": 1, "text": {"en": "x"}}', 'it is an object'],
      ['{"id": 1, "text": ["x"]}', 'it is a list'],
      ['{"id": 1, "text": false}', 'it is a boolean'],
    ];
    for (const [line, found] of cases) {
      const error = errorOf(parseLine(line, FIELDS));
      assert.equal(error.code, 'missing-text');
      assert.equal(error.message, `The record has no text: "text" must be a string, but ${found}`);
    }
    assert.match(errorOf(parseLine('{"data": {}}', { textField: 'data.text', idField: 'id' })).message, /"data\.text" must be a string/);
  });

  it('invalid-prediction: the sample still loads, with a warning', () => {
    const parsed = sampleOf(parseLine('{"id": "p", "text": "t", "prediction": {"label": "a", "score": 7}}', FIELDS));
    assert.equal(parsed.sample.id, 'p');
    assert.equal(parsed.sample.prediction, undefined);
    assert.equal(parsed.warning?.code, 'invalid-prediction');
    assert.match(parsed.warning!.message, /"prediction.score" must be a number between 0 and 1/);
  });

  it('invalid-encoding: a text with U+FFFD (undecodable bytes) still loads, with a warning', () => {
    const parsed = sampleOf(parseLine('{"id": "l", "text": "caf\ufffd"}', FIELDS));
    assert.equal(parsed.sample.text, 'caf\ufffd');
    assert.equal(parsed.warning?.code, 'invalid-encoding');
    assert.match(parsed.warning!.message, /not valid UTF-8/);
    assert.equal(sampleOf(parseLine('{"id": "l", "text": "café"}', FIELDS)).warning, undefined);
  });

  it('carries a valid prediction on the sample', () => {
    const { sample } = sampleOf(parseLine('{"id": "p", "text": "t", "prediction": {"label": "a", "score": 0.4}}', FIELDS));
    assert.deepEqual(sample.prediction, { label: 'a', score: 0.4, origin: 'file' });
  });

  it('keys named __proto__ and constructor are data, also as field names, and pollute nothing', () => {
    const line = '{"__proto__": {"polluted": true, "text": "inherited?"}, "constructor": "c1", "text": "own"}';
    const { sample } = sampleOf(parseLine(line, FIELDS));
    assert.equal(sample.text, 'own');
    const asFields = sampleOf(parseLine(line, { textField: '__proto__.text', idField: 'constructor' }));
    assert.deepEqual(asFields.sample, { id: 'c1', fromText: false, text: 'inherited?' });
    assert.equal(errorOf(parseLine('{"text": "x"}', { textField: 'constructor', idField: 'id' })).code, 'missing-text');
    assert.equal(sampleOf(parseLine('{"text": "x"}', { textField: 'text', idField: '__proto__' })).sample.fromText, true);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('a BOM before the record (the first line of a file) does not make it invalid', () => {
    const { sample } = sampleOf(parseLine('\uFEFF{"id": "b", "text": "with bom"}', FIELDS));
    assert.equal(sample.id, 'b');
    assert.equal(parseLine('\uFEFF', FIELDS).kind, 'blank');
    const error = errorOf(parseLine('\uFEFF{"id": "x",}', FIELDS));
    assert.equal(error.start, 12, 'error positions count the BOM, as the document does');
  });
});

describe('core/dataset: Dataset', () => {
  const lines = [
    '{"id": "a", "text": "alpha"}',
    '{"id": "b", "text": "beta"}',
    '{"id": "c", "text": "gamma"}',
    '{"id": "d", "text": "delta"}',
  ];

  function parsedAll(d: Dataset): ParsedLine[] {
    return Array.from({ length: d.lineCount }, (_, i) => d.parsedLine(i));
  }

  it('splits like LSP: CRLF, CR and LF; ranges are on the line text', () => {
    const d = new Dataset(`${lines[0]}\r\n${lines[1]}\r${lines[2]}\n${lines[3]}\r\n`, FIELDS);
    assert.equal(d.lineCount, 5);
    assert.deepEqual([0, 1, 2, 3].map((i) => d.sampleAt(i)?.id), ['a', 'b', 'c', 'd']);
    const r = d.textRange(2);
    assert.equal(d.lineText(2).slice(r.start, r.end), '"gamma"');
    assert.equal(d.parsedLine(4).kind, 'blank');
  });

  it('caches parses: the same object until an edit touches the line', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    assert.equal(d.parsedLine(1), d.parsedLine(1));
  });

  it('a multi-line insert keeps the parses of untouched lines (by identity) and shifts them', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    const before = parsedAll(d);
    const version = d.version;
    // Insert two records at the start of line 2.
    d.applyEdit({ startLine: 2, startCharacter: 0, endLine: 2, endCharacter: 0, text: '{"id": "x", "text": "ex"}\n{"id": "y", "text": "why"}\n' });
    assert.equal(d.lineCount, 6);
    assert.ok(d.version > version);
    const after = parsedAll(d);
    assert.equal(after[0], before[0]);
    assert.equal(after[1], before[1]);
    assert.equal(after[5], before[3], 'line 3 moved to 5, parse reused');
    assert.deepEqual([2, 3, 4].map((i) => d.sampleAt(i)?.id), ['x', 'y', 'c']);
    assert.notEqual(after[4], before[2], 'the edited line (old line 2, now 4) was re-parsed');
  });

  it('a multi-line delete keeps the parses of untouched lines (by identity)', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    const before = parsedAll(d);
    d.applyEdit({ startLine: 1, startCharacter: 0, endLine: 3, endCharacter: 0, text: '' });
    assert.equal(d.lineCount, 2);
    const after = parsedAll(d);
    assert.equal(after[0], before[0]);
    assert.deepEqual([d.sampleAt(0)?.id, d.sampleAt(1)?.id], ['a', 'd']);
    assert.equal(d.lineText(1), lines[3]);
  });

  it('an edit inside one line re-parses that line only', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    const before = parsedAll(d);
    const at = lines[1]!.indexOf('beta');
    d.applyEdit({ startLine: 1, startCharacter: at, endLine: 1, endCharacter: at + 4, text: 'BETA' });
    const after = parsedAll(d);
    assert.equal(d.sampleAt(1)?.text, 'BETA');
    assert.equal(after[0], before[0]);
    assert.equal(after[2], before[2]);
    assert.equal(after[3], before[3]);
  });

  it('an edit that joins two lines and one that breaks a line', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    d.applyEdit({ startLine: 0, startCharacter: lines[0]!.length, endLine: 1, endCharacter: 0, text: '' });
    assert.equal(d.lineCount, 3);
    assert.equal(d.parsedLine(0).kind, 'error', 'two records on one line');
    d.applyEdit({ startLine: 0, startCharacter: lines[0]!.length, endLine: 0, endCharacter: lines[0]!.length, text: '\r\n' });
    assert.equal(d.lineCount, 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => d.sampleAt(i)?.id), ['a', 'b', 'c', 'd']);
  });

  it('inserts and deletes of more than 10,000 lines', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    const many = Array.from({ length: 20_000 }, (_, i) => `{"id": "m${i}", "text": "t${i}"}`).join('\n');
    const keep = d.parsedLine(3);
    d.applyEdit({ startLine: 1, startCharacter: 0, endLine: 1, endCharacter: 0, text: `${many}\n` });
    assert.equal(d.lineCount, 20_004);
    assert.equal(d.sampleAt(20_000)?.id, 'm19999');
    assert.equal(d.parsedLine(20_003), keep);
    d.applyEdit({ startLine: 1, startCharacter: 0, endLine: 20_001, endCharacter: 0, text: '' });
    assert.deepEqual([0, 1, 2, 3].map((i) => d.sampleAt(i)?.id), ['a', 'b', 'c', 'd']);
  });

  it('the id index lists every line of an id, and follows edits', () => {
    const d = new Dataset([...lines, '{"id": "b", "text": "beta again"}', 'not json', '{"text": "no id"}'].join('\n'), FIELDS);
    assert.deepEqual(d.linesOf('b'), [1, 4]);
    assert.deepEqual(d.linesOf('nope'), []);
    assert.deepEqual(d.linesOf(textId('no id')), [6]);
    assert.deepEqual(['a', 'c', 'd'].map((id) => d.linesOf(id)), [[0], [2], [3]]);
    d.applyEdit({ startLine: 0, startCharacter: 0, endLine: 1, endCharacter: 0, text: '' });
    assert.deepEqual(d.linesOf('b'), [0, 3]);
    assert.deepEqual(d.linesOf('a'), []);
  });

  it('ids named like Object.prototype members are plain ids', () => {
    const d = new Dataset('{"id": "__proto__", "text": "p"}\n{"id": "constructor", "text": "c"}\n{"id": "toString", "text": "s"}', FIELDS);
    assert.deepEqual(d.linesOf('__proto__'), [0]);
    assert.deepEqual(d.linesOf('constructor'), [1]);
    assert.deepEqual(d.linesOf('hasOwnProperty'), []);
  });

  it('setFields re-parses with the new fields; the same fields change nothing', () => {
    const d = new Dataset('{"id": "a", "body": "b", "text": "t"}', FIELDS);
    const first = d.parsedLine(0);
    d.setFields({ textField: 'text', idField: 'id' });
    assert.equal(d.parsedLine(0), first);
    d.setFields({ textField: 'body', idField: 'id' });
    assert.equal(d.sampleAt(0)?.text, 'b');
  });

  it('replaceAll starts over', () => {
    const d = new Dataset(lines.join('\n'), FIELDS);
    d.replaceAll('{"id": "z", "text": "only"}');
    assert.equal(d.lineCount, 1);
    assert.deepEqual(d.linesOf('z'), [0]);
    assert.deepEqual(d.linesOf('a'), []);
  });

  it('textRange: the text value (also nested), else the whole line', () => {
    const d = new Dataset('{"id": "a", "text": "x \\"q\\" {y}"}\nnot json\n{"id": 1}', FIELDS);
    const r = d.textRange(0);
    assert.equal(d.lineText(0).slice(r.start, r.end), '"x \\"q\\" {y}"');
    assert.deepEqual(d.textRange(1), { start: 0, end: 8 });
    assert.deepEqual(d.textRange(2), { start: 0, end: 9 });
    const nested = new Dataset('{"data": {"text": "inner"}, "text": "outer"}', { textField: 'data.text', idField: 'id' });
    const n = nested.textRange(0);
    assert.equal(nested.lineText(0).slice(n.start, n.end), '"inner"');
  });

  it('a document that starts with a BOM keeps document positions on line 0', () => {
    // An editor that sends the BOM counts it as a character: ranges and edits must too.
    const text = '\uFEFF{"id": "a", "text": "alpha"}\n{"id": "b", "text": "beta"}';
    const d = new Dataset(text, FIELDS);
    assert.equal(d.sampleAt(0)?.id, 'a');
    const r = d.textRange(0);
    const line0 = text.split('\n')[0]!;
    assert.equal(line0.slice(r.start, r.end), '"alpha"');
    const at = line0.indexOf('alpha');
    d.applyEdit({ startLine: 0, startCharacter: at, endLine: 0, endCharacter: at + 5, text: 'ALPHA' });
    assert.equal(d.sampleAt(0)?.text, 'ALPHA');
  });
});
