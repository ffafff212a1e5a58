// Offsets between code points (the model's unit) and UTF-16 (JavaScript's), on the texts that broke
// span offsets in every peer tool: emoji (astral, and ZWJ sequences), combining marks, CJK (BMP and
// astral extension B), CRLF and mixed line endings.
import * as assert from 'node:assert/strict';
import { codePointLength, codePointToUtf16, OffsetMap, utf16ToCodePoint } from '../../server/src/core/formats/offsets';

/** The reference: code points by spreading the string (slow, obviously right). */
function reference(text: string) {
  const cps = [...text];
  const toUtf16 = (cp: number) => cps.slice(0, cp).join('').length;
  return { cps, toUtf16 };
}

const CASES: Record<string, string> = {
  emoji: 'I 😀 love 🇫🇷 and 👨‍👩‍👧 tea',
  combining: 'cafe\u0301 nai\u0308ve Zoe\u0308 e\u0301\u0301',
  cjk: '東京で𠀀𠀁を見た、北京',
  crlf: 'line one\r\nline 😀 two\r\nthree\nfour\rfive',
  astralOnly: '😀😀😀',
  empty: '',
};

describe('formats: offsets between code points and UTF-16', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}: every code point offset maps to the UTF-16 index the reference gives, and back`, () => {
      const map = new OffsetMap(text);
      const { cps, toUtf16 } = reference(text);
      assert.equal(map.codePointLength, cps.length);
      for (let cp = 0; cp <= cps.length; cp++) {
        const unit = map.toUtf16(cp);
        assert.equal(unit, toUtf16(cp), `toUtf16(${cp})`);
        assert.equal(map.toCodePoint(unit), cp, `toCodePoint(${unit})`);
      }
    });
  }

  it('a span of a Python tool (code points) slices the right word after an emoji; UTF-16 offsets would not', () => {
    const text = '💩This is an annotation.';
    // Label Studio issue #1347: "annotation" is 12..22 in code points, 13..23 in UTF-16 units.
    const map = new OffsetMap(text);
    assert.equal(map.slice(12, 22), 'annotation');
    assert.notEqual(text.slice(12, 22), 'annotation');
    assert.equal(map.toUtf16(12), 13);
  });

  it('an index inside a surrogate pair maps to the start of its character', () => {
    const text = 'a😀b';
    assert.equal(utf16ToCodePoint(text, 2), 1);
    assert.equal(utf16ToCodePoint(text, 3), 2);
  });

  it('clamps offsets outside the text', () => {
    assert.equal(codePointToUtf16('a😀', 99), 3);
    assert.equal(codePointToUtf16('a😀', -4), 0);
    assert.equal(utf16ToCodePoint('a😀', 99), 2);
  });

  it('agrees with the reference on 500 random strings of astral, BMP, combining and line-break characters', () => {
    const pool = ['a', ' ', '\r\n', '\n', '\u0301', '東', '😀', '𠀀', '\u200d', 'é'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let n = 0; n < 500; n++) {
      let text = '';
      const length = Math.floor(random() * 30);
      for (let i = 0; i < length; i++) text += pool[Math.floor(random() * pool.length)];
      const { cps, toUtf16 } = reference(text);
      assert.equal(codePointLength(text), cps.length);
      for (let cp = 0; cp <= cps.length; cp++) assert.equal(codePointToUtf16(text, cp), toUtf16(cp), JSON.stringify(text));
    }
  });

  it('is fast on a long text with many emoji (prints the figure)', () => {
    const text = 'word 😀 '.repeat(200_000); // 1.6 M UTF-16 units, 200,000 astral characters
    const started = process.hrtime.bigint();
    const map = new OffsetMap(text);
    let sum = 0;
    for (let cp = 0; cp < map.codePointLength; cp += 7) sum += map.toCodePoint(map.toUtf16(cp));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`      offsets: ${map.codePointLength} code points, ${Math.ceil(map.codePointLength / 7)} round trips in ${ms.toFixed(1)} ms`);
    assert.ok(sum > 0);
    assert.equal(map.toUtf16(map.codePointLength), text.length);
  });
});
