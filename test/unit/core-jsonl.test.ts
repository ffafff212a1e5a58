// server/src/core/jsonl.ts: line splitting as LSP counts lines, reading JSON Lines, dotted paths, value location.
import * as assert from 'node:assert/strict';
import { excerpt, getPath, isBlank, jsonErrorPosition, locateValue, readJsonLines, splitLines } from '../../server/src/core/jsonl';
import type { LineProblem } from '../../server/src/core/types';

/** The text a located span covers. */
function at(line: string, path: string): string | undefined {
  const span = locateValue(line, path);
  return span && line.slice(span.start, span.end);
}

describe('core/jsonl: splitLines', () => {
  it('splits on LF, CRLF and lone CR, like LSP', () => {
    assert.deepEqual(splitLines('a\nb\nc'), ['a', 'b', 'c']);
    assert.deepEqual(splitLines('a\r\nb\r\nc'), ['a', 'b', 'c']);
    assert.deepEqual(splitLines('a\rb\rc'), ['a', 'b', 'c']);
    assert.deepEqual(splitLines('a\r\nb\nc\rd'), ['a', 'b', 'c', 'd'], 'mixed endings');
  });

  it('a final line break gives a final empty line; CR CR LF is two breaks', () => {
    assert.deepEqual(splitLines('a\n'), ['a', '']);
    assert.deepEqual(splitLines('a\r\n'), ['a', '']);
    assert.deepEqual(splitLines('a\r\r\nb'), ['a', '', 'b']);
    assert.deepEqual(splitLines('a\n\r\nb'), ['a', '', 'b']);
    assert.deepEqual(splitLines(''), ['']);
  });

  it('drops a leading BOM and only a leading one', () => {
    assert.deepEqual(splitLines('\uFEFF{"a":1}\n{"b":2}'), ['{"a":1}', '{"b":2}']);
    assert.deepEqual(splitLines('x\n\uFEFFy'), ['x', '\uFEFFy']);
    assert.deepEqual(splitLines('\uFEFF'), ['']);
  });

  it('isBlank accepts spaces, tabs and stray CR/LF only', () => {
    assert.equal(isBlank(''), true);
    assert.equal(isBlank(' \t \r'), true);
    assert.equal(isBlank(' x '), false);
    assert.equal(isBlank('\u00a0'), false, 'a no-break space is content');
  });
});

describe('core/jsonl: getPath', () => {
  const record = JSON.parse('{"text": "t", "data": {"text": "nested", "deep": {"x": 1}}, "list": [1], "__proto__": {"p": 1}}');

  it('reads top-level and dotted paths', () => {
    assert.equal(getPath(record, 'text'), 't');
    assert.equal(getPath(record, 'data.text'), 'nested');
    assert.equal(getPath(record, 'data.deep.x'), 1);
  });

  it('gives undefined for missing keys, through lists and scalars', () => {
    assert.equal(getPath(record, 'nope'), undefined);
    assert.equal(getPath(record, 'data.nope.x'), undefined);
    assert.equal(getPath(record, 'list.0'), undefined);
    assert.equal(getPath(record, 'text.length'), undefined);
    assert.equal(getPath(null, 'text'), undefined);
  });

  it('reads own properties only: never the prototype chain', () => {
    assert.equal(getPath({}, 'constructor'), undefined);
    assert.equal(getPath({}, 'toString'), undefined);
    assert.equal(getPath({}, '__proto__'), undefined);
    assert.deepEqual(getPath(record, '__proto__'), { p: 1 }, 'a JSON key named __proto__ is an own property');
    assert.equal(getPath(record, '__proto__.p'), 1);
  });
});

describe('core/jsonl: locateValue', () => {
  it('finds a string value, quotes included', () => {
    const line = '{"id": "a", "text": "hello world"}';
    assert.equal(at(line, 'text'), '"hello world"');
    assert.equal(at(line, 'id'), '"a"');
  });

  it('finds numbers, literals, objects and lists', () => {
    const line = '{"n": -1.5e3, "b": true, "z": null, "o": {"a": [1, {"b": "}"}]}, "l": [1, "]", [2]], "end": 0}';
    assert.equal(at(line, 'n'), '-1.5e3');
    assert.equal(at(line, 'b'), 'true');
    assert.equal(at(line, 'z'), 'null');
    assert.equal(at(line, 'o'), '{"a": [1, {"b": "}"}]}');
    assert.equal(at(line, 'l'), '[1, "]", [2]]');
    assert.equal(at(line, 'end'), '0');
  });

  it('follows nested dotted paths', () => {
    const line = '{"text": "top", "data": {"meta": {"text": "no"}, "text": "nested"}}';
    assert.equal(at(line, 'data.text'), '"nested"');
    assert.equal(at(line, 'data.meta.text'), '"no"');
    assert.equal(at(line, 'text'), '"top"');
    assert.equal(at(line, 'data.missing'), undefined);
    assert.equal(at(line, 'text.deeper'), undefined, 'a string has no keys');
  });

  it('skips values that contain braces, brackets, quotes and escaped backslashes', () => {
    const line = '{"a": "x}\\"{ ] [", "b": "ends with backslash \\\\", "c": {"k": "}}}"}, "text": "found \\"it\\""}';
    assert.equal(JSON.parse(line).text, 'found "it"');
    assert.equal(at(line, 'text'), '"found \\"it\\""');
    assert.equal(at(line, 'b'), '"ends with backslash \\\\"');
  });

  it('matches escaped keys by their decoded name', () => {
    const line = '{"te\\u0078t": "by escape", "other": 1}';
    assert.equal(at(line, 'text'), '"by escape"');
    const quoted = '{"a\\"b": 1, "text": "t"}';
    assert.equal(at(quoted, 'a"b'), '1');
    assert.equal(at(quoted, 'text'), '"t"');
  });

  it('tolerates whitespace anywhere JSON allows it', () => {
    const line = ' \t{ "id" :\t"x" ,  "text"  :  "spaced"  } ';
    assert.equal(at(line, 'text'), '"spaced"');
  });

  it('points at the value JSON.parse keeps when a key is repeated (the last one)', () => {
    const line = '{"text": "first", "text": "second"}';
    assert.equal(JSON.parse(line).text, 'second');
    assert.equal(at(line, 'text'), '"second"');
  });

  it('finds keys named __proto__ and constructor', () => {
    const line = '{"__proto__": {"constructor": "c"}, "constructor": "k"}';
    assert.equal(at(line, '__proto__'), '{"constructor": "c"}');
    assert.equal(at(line, '__proto__.constructor'), '"c"');
    assert.equal(at(line, 'constructor'), '"k"');
  });

  it('gives undefined for a non-object line', () => {
    assert.equal(locateValue('[1, 2]', 'text'), undefined);
    assert.equal(locateValue('"text"', 'text'), undefined);
    assert.equal(locateValue('', 'text'), undefined);
  });
});

describe('core/jsonl: messages', () => {
  it('reads the error position of V8 JSON errors when there is one', () => {
    const positionOf = (text: string): number | undefined => {
      try {
        JSON.parse(text);
      } catch (error) {
        return jsonErrorPosition(error);
      }
      assert.fail('expected a parse error');
    };
    assert.equal(positionOf('{"a": 1,}'), 8);
    assert.equal(positionOf('{"text": "unterminated'), 22);
    assert.equal(positionOf('{"a": 1} x'), 9);
    assert.equal(jsonErrorPosition(new Error('no position here')), undefined);
    assert.equal(jsonErrorPosition(undefined), undefined);
  });

  it('excerpt flattens whitespace and truncates with an ellipsis', () => {
    assert.equal(excerpt('a\n\tb  c'), 'a b c');
    const long = excerpt('x'.repeat(100), 10);
    assert.equal(long.length, 10);
    assert.ok(long.endsWith('…'));
    assert.equal(excerpt('short', 10), 'short');
    assert.equal(excerpt('x'.repeat(10), 10), 'x'.repeat(10), 'exactly max: no ellipsis');
  });

  it('excerpt of a 10 MB text is quick and short, also when it starts with whitespace', () => {
    const big = `${' \n'.repeat(100)}${'word '.repeat(2_000_000)}`;
    const started = performance.now();
    for (let i = 0; i < 100; i++) excerpt(big, 80);
    const ms = (performance.now() - started) / 100;
    const out = excerpt(big, 80);
    assert.ok(out.length <= 80 && out.endsWith('…'), out);
    assert.ok(ms < 2, `${ms.toFixed(3)} ms per excerpt`);
  });
});

describe('core/jsonl: readJsonLines', () => {
  function read(text: string, refuse?: (line: string) => string | undefined): { values: Array<[number, unknown]>; problems: LineProblem[] } {
    const values: Array<[number, unknown]> = [];
    const problems: LineProblem[] = [];
    readJsonLines(text, { value: (value, line) => values.push([line, value]), problem: (p) => problems.push(p), ...(refuse ? { refuse } : {}) });
    return { values, problems };
  }

  it('parses each non-blank line on its own, numbered as LSP counts lines, a BOM dropped', () => {
    const { values, problems } = read('\uFEFF{"a":1}\r\n\r\n  \n[2]\r"x"\n');
    assert.deepEqual(values, [[0, { a: 1 }], [3, [2]], [4, 'x']]);
    assert.deepEqual(problems, []);
  });

  it('a line that is not JSON is a problem on that line, with where the parse stopped; the next lines still load', () => {
    const { values, problems } = read('{"a":1}\n{"a":2,}\n{"a":3}');
    assert.deepEqual(values, [[0, { a: 1 }], [2, { a: 3 }]]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.line, 1);
    assert.equal(problems[0]!.start, 7);
    assert.match(problems[0]!.message, /^Not valid JSON: /);
  });

  it('a refused line is a problem with the reason, and is not parsed', () => {
    const { values, problems } = read('{"a":1}\n<<<<<<< HEAD\n{"a":2}', (line) => (line.startsWith('<<<<<<<') ? 'conflict marker' : undefined));
    assert.deepEqual(values, [[0, { a: 1 }], [2, { a: 2 }]]);
    assert.deepEqual(problems, [{ line: 1, message: 'conflict marker' }]);
  });
});
