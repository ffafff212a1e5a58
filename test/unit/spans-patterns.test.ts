// Pattern rules (server/src/core/kinds/spans/patterns.ts): loopmark.json regex and term rules,
// Prodigy's patterns file (the real one from explosion/prodigy-recipes), validation and the
// guards against catastrophic regexes.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePatterns, compileRegex, enableLinearRegexEngine, matchPatterns, nestedQuantifier, parsePatternsFile } from '../../server/src/core/kinds/spans/patterns';
import { FIXTURES } from '../helpers/workspace';

const texts = (text: string, spans: ReadonlyArray<{ start: number; end: number }>): string[] => spans.map((s) => text.slice(s.start, s.end));

describe('spans: pattern rules from loopmark.json', () => {
  it('suggests a regex match with score 1 and the rule that matched', () => {
    const set = compilePatterns([{ label: 'secret', regex: 'AKIA[0-9A-Z]{16}' }]);
    assert.deepEqual(set.problems, []);
    const text = 'aws = "AKIAIOSFODNN7EXAMPLE"\nnot = "AKIA123"';
    const { spans } = matchPatterns(set, text);
    assert.deepEqual(texts(text, spans), ['AKIAIOSFODNN7EXAMPLE']);
    assert.equal(spans[0].score, 1);
    assert.equal(spans[0].label, 'secret');
    assert.equal(spans[0].rule, 'regex /AKIA[0-9A-Z]{16}/');
  });

  it('matches terms on word boundaries only, case-insensitively when asked', () => {
    const set = compilePatterns([{ label: 'todo', terms: ['FIXME', 'XXX'], caseSensitive: false }]);
    const text = '# fixme later; XXXL is a size; prefixFIXME no; (xxx) yes; FIXME.';
    assert.deepEqual(texts(text, matchPatterns(set, text).spans), ['fixme', 'xxx', 'FIXME']);
    const strict = compilePatterns([{ label: 'todo', terms: ['FIXME'] }]);
    assert.deepEqual(texts(text, matchPatterns(strict, text).spans), ['FIXME']);
  });

  it('prefers the longer term at the same place and handles terms that end in punctuation', () => {
    const set = compilePatterns([{ label: 'place', terms: ['New York', 'New York City', 'C++'] }]);
    const text = 'New York City and New York, not C+++ but C++ yes';
    assert.deepEqual(texts(text, matchPatterns(set, text).spans), ['New York City', 'New York', 'C++', 'C++']);
  });

  it('offsets stay right after emoji (UTF-16 in, UTF-16 out)', () => {
    const set = compilePatterns([{ label: 'todo', terms: ['TODO'] }]);
    const text = '😀👨‍👩‍👧 TODO';
    const { spans } = matchPatterns(set, text);
    assert.equal(text.slice(spans[0].start, spans[0].end), 'TODO');
  });

  it('returns only matches that reach into the visible range', () => {
    const set = compilePatterns([{ label: 'n', regex: '\\d+' }]);
    const text = '1 22 333 4444';
    assert.deepEqual(texts(text, matchPatterns(set, text, { from: 3, to: 7 }).spans), ['22', '333']);
  });

  it('reports bad rules clearly and still runs the good ones', () => {
    const set = compilePatterns([
      { label: 'a', regex: '([a-z]+' },
      { regex: 'x' },
      { label: 'b', regex: 'x', terms: ['y'] },
      { label: 'c', terms: [] },
      { label: 'd', regex: 'a*' },
      'not a rule',
      { label: 'ok', terms: ['yes'] },
    ]);
    assert.equal(set.rules.length, 1);
    assert.deepEqual(set.problems.map((p) => p.rule), [0, 1, 2, 3, 4, 5]);
    assert.match(set.problems[0].message, /invalid regular expression/);
    assert.match(set.problems[1].message, /no "label"/);
    assert.match(set.problems[2].message, /exactly one of/);
    assert.match(set.problems[4].message, /empty string/);
    assert.deepEqual(texts('yes no', matchPatterns(set, 'yes no').spans), ['yes']);
  });

  it('accepts Python regex syntax users paste: (?P<name>...) and a leading (?i)', () => {
    const re = compileRegex('(?i)(?P<k>akia)[0-9]');
    assert.ok(re instanceof RegExp);
    assert.equal((re as RegExp).test('xAKIA1'), true);
  });
});

describe('spans: catastrophic regexes', () => {
  it('finds the nested-quantifier shape of the classic ReDoS patterns and passes safe ones', () => {
    for (const bad of ['(a+)+$', '(\\w*\\s?)*x', '(?:x+y?)+', '((ab)*)+', '(a{2,})*']) assert.ok(nestedQuantifier(bad), bad);
    for (const ok of ['AKIA[0-9A-Z]{16}', '(ab)+', '(a|b)*c', '[(+]+', '\\(a+\\)+', '(a{2,3})+']) assert.equal(nestedQuantifier(ok), undefined, ok);
  });

  it('refuses (a+)+$ with a message instead of hanging, without the linear engine', () => {
    const re = compileRegex('(a+)+$');
    // With the linear engine on (a test run after enableLinearRegexEngine), the regex is accepted and safe.
    if (typeof re === 'string') assert.match(re, /exponential time/);
    else assert.ok(re.flags.includes('l'));
  });

  it('with the linear engine, (a+)+$ runs on a hostile input in milliseconds', function () {
    if (!enableLinearRegexEngine()) this.skip();
    const set = compilePatterns([{ label: 'x', regex: '(a+)+$' }]);
    assert.deepEqual(set.problems, []);
    const t0 = performance.now();
    const { spans } = matchPatterns(set, 'a'.repeat(5000) + 'b');
    assert.deepEqual(spans, []);
    assert.ok(performance.now() - t0 < 500);
  });

  it('stops rules past the time budget of a document and says so', () => {
    const rules = Array.from({ length: 50 }, (_, i) => ({ label: 'w', regex: `[a-z]+${i}?` }));
    const set = compilePatterns(rules);
    const { problems } = matchPatterns(set, 'word '.repeat(200_000), { budgetMs: 1 });
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /stopped after 1 ms/);
  });
});

describe("spans: Prodigy's patterns file", () => {
  const file = join(FIXTURES, 'peers/prodigy/patterns_drugs-DRUG.jsonl');

  it('reads every line of the real file and matches token patterns by lowercase', () => {
    const set = parsePatternsFile(readFileSync(file, 'utf8'), file);
    assert.deepEqual(set.problems, []);
    assert.equal(set.rules.length, 118);
    const text = 'Switched from Methadone to suboxone, then COCAINE; methadone-free now.';
    const { spans } = matchPatterns(set, text);
    assert.deepEqual(texts(text, spans), ['Methadone', 'suboxone', 'COCAINE']);
    assert.ok(spans.every((s) => s.label === 'DRUG' && s.score === 1));
  });

  it('supports multi-token patterns with OP and attribute tests, and string phrase patterns', () => {
    const set = compilePatterns([
      { label: 'ORG', pattern: [{ lower: 'bank' }, { lower: 'of', OP: '?' }, { IS_TITLE: true, OP: '+' }] },
      { label: 'ORG', pattern: 'Apple Inc' },
      { label: 'NUM', pattern: [{ LIKE_NUM: true }, { LOWER: { IN: ['kg', 'g'] } }] },
    ]);
    assert.deepEqual(set.problems, []);
    const text = 'bank of America Merrill and Bank Lloyds; Apple Inc; apple inc; 12 kg';
    assert.deepEqual(texts(text, matchPatterns(set, text).spans), ['bank of America Merrill', 'Bank Lloyds', 'Apple Inc', '12 kg']);
  });

  it('names the file line of a bad rule and an unsupported attribute', () => {
    const set = parsePatternsFile('{"label":"A","pattern":[{"lower":"x"}]}\n\nnot json\n{"label":"B","pattern":[{"shape":"dd"}]}\n', 'p.jsonl');
    assert.equal(set.rules.length, 1);
    assert.deepEqual(set.problems.map((p) => [p.file, p.line]), [['p.jsonl', 3], ['p.jsonl', 4]]);
    assert.match(set.problems[1].message, /unsupported token attribute "shape"/);
  });
});
