// Offsets of spans (server/src/core/kinds/spans/offsets.ts): code points (what Python tools and
// Loopmark's label files count) against UTF-16 units (JavaScript, LSP), and (line, character)
// positions with CRLF, lone CR and mixed line endings.

import * as assert from 'node:assert/strict';
import { CodePointIndex, codePointLength, jsonStringOffsets, LineIndex } from '../../server/src/core/kinds/spans/offsets';

/** The reference conversion: Array.from splits by code point, exactly as Python indexes a str. */
function cpToUtf16Slow(text: string, cp: number): number {
  return Array.from(text).slice(0, cp).join('').length;
}

const MIXED = 'Zoë 😀 a\u0301 👨‍👩‍👧 👍🏽 東京 🇫🇷 x\uD83D y 𝔘𝔫𝔦 end';

describe('spans: code points and UTF-16', () => {
  it('converts every code point offset both ways like Python indexing (emoji, ZWJ, skin tone, flags, combining marks, CJK, a lone surrogate)', () => {
    const idx = new CodePointIndex(MIXED);
    const cps = Array.from(MIXED);
    assert.equal(idx.codePointLength, cps.length);
    assert.equal(codePointLength(MIXED), cps.length);
    for (let cp = 0; cp <= cps.length; cp++) {
      const u = cpToUtf16Slow(MIXED, cp);
      assert.equal(idx.toUtf16(cp), u, `code point ${cp}`);
      assert.equal(idx.toCodePoint(u), cp, `utf-16 ${u}`);
    }
  });

  it('places a Python span on the right text: "😀 Paris" with Paris at code points 2..7', () => {
    // Python: t = "😀 Paris"; t[2:7] == "Paris"; JavaScript's t.slice(2, 7) would be " Pari".
    const text = '😀 Paris';
    const idx = new CodePointIndex(text);
    assert.equal(text.slice(idx.toUtf16(2), idx.toUtf16(7)), 'Paris');
    assert.equal(text.slice(2, 7), ' Pari');
  });

  it('counts a ZWJ family as 5 code points and 8 units, a skin-toned thumb as 2 and 4', () => {
    const fam = '👨‍👩‍👧';
    assert.equal(new CodePointIndex(fam).codePointLength, 5);
    assert.equal(fam.length, 8);
    const thumb = new CodePointIndex('👍🏽');
    assert.equal(thumb.codePointLength, 2);
    assert.equal(thumb.toUtf16(1), 2);
  });

  it('rounds an offset inside a surrogate pair down for a start and up for an end', () => {
    const idx = new CodePointIndex('a😀b');
    assert.equal(idx.splitsPair(2), true);
    assert.equal(idx.splitsPair(1), false);
    assert.equal(idx.toCodePoint(2, 'down'), 1);
    assert.equal(idx.toCodePoint(2, 'up'), 2);
  });

  it('is the identity for text without astral characters (combining marks and CJK are one unit each)', () => {
    const idx = new CodePointIndex('e\u0301t\u00e9 東京 ascii');
    assert.equal(idx.isIdentity, true);
    assert.equal(idx.toUtf16(5), 5);
  });

  it('clamps out-of-range offsets', () => {
    const idx = new CodePointIndex('😀😀');
    assert.equal(idx.toUtf16(-3), 0);
    assert.equal(idx.toUtf16(99), 4);
    assert.equal(idx.toCodePoint(99), 2);
  });

  it('converts 50,000 offsets of a 1 MB emoji-rich text in well under a second', () => {
    const text = 'word 😀 '.repeat(120_000);
    const t0 = performance.now();
    const idx = new CodePointIndex(text);
    let sum = 0;
    for (let i = 0; i < 50_000; i++) sum += idx.toUtf16((i * 17) % idx.codePointLength);
    assert.ok(sum > 0);
    assert.ok(performance.now() - t0 < 1000);
  });
});

describe('spans: lines and positions', () => {
  const text = 'one\r\ntwo\rthree\nfour\r\n\r\nsix';

  it('counts CRLF, lone CR and LF as one line end each', () => {
    const lines = new LineIndex(text);
    assert.equal(lines.lineCount, 6);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((l) => text.slice(lines.lineStart(l), lines.lineEnd(l))), ['one', 'two', 'three', 'four', '', 'six']);
  });

  it('round-trips every offset through (line, character) except the one between \\r and \\n', () => {
    const lines = new LineIndex(text);
    for (let o = 0; o <= text.length; o++) {
      const p = lines.positionAt(o);
      const back = lines.offsetAt(p);
      if (text[o - 1] === '\r' && text[o] === '\n') assert.equal(back, o - 1);
      else assert.equal(back, o, `offset ${o} -> ${JSON.stringify(p)}`);
    }
    assert.deepEqual(lines.positionAt(text.indexOf('three')), { line: 2, character: 0 });
    assert.deepEqual(lines.positionAt(text.indexOf('six') + 1), { line: 5, character: 1 });
  });

  it('clamps a character past the end of its line to the line end, not into the next line', () => {
    const lines = new LineIndex(text);
    assert.equal(lines.offsetAt({ line: 0, character: 99 }), 3);
    assert.equal(lines.offsetAt({ line: 99, character: 0 }), text.length);
  });

  it('gives positions in UTF-16 characters on a line after an emoji', () => {
    const t = 'x\r\n😀 name';
    const lines = new LineIndex(t);
    assert.deepEqual(lines.positionAt(t.indexOf('name')), { line: 1, character: 3 });
  });
});

describe('spans: offsets inside a JSON string literal', () => {
  it('maps decoded offsets of a record text with escapes (\\n, \\", \\u) to its raw characters', () => {
    const record = { text: 'say "hi"\nto 😀 Ann' };
    const line = JSON.stringify(record).replace('😀', '\\ud83d\\ude00');
    const rawStart = line.indexOf('"say');
    const raw = line.slice(rawStart, line.length - 1);
    const toRaw = jsonStringOffsets(raw)!;
    const decoded = (JSON.parse(line) as { text: string }).text;
    const at = decoded.indexOf('Ann');
    assert.equal(raw.slice(toRaw(at), toRaw(at + 3)), 'Ann');
    const hi = decoded.indexOf('"hi"');
    assert.equal(raw.slice(toRaw(hi), toRaw(hi + 4)), '\\"hi\\"');
    assert.equal(raw.slice(toRaw(decoded.indexOf('😀')), toRaw(decoded.indexOf('😀') + 2)), '\\ud83d\\ude00');
  });

  it('is a plain shift by the quote without escapes, and undefined for a non-string', () => {
    assert.equal(jsonStringOffsets('"abc"')!(2), 3);
    assert.equal(jsonStringOffsets('12'), undefined);
  });
});
