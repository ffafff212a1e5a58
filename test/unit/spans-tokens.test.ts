// Word tokens with offsets (server/src/core/kinds/spans/tokens.ts) for tweets, prose, source code and CJK.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readConll, wnutPath } from '../../bench/spans.bench';
import { tokenize } from '../../server/src/core/kinds/spans/tokens';

const words = (text: string): string[] => tokenize(text).map((t) => t.text);

describe('spans: tokenizer', () => {
  it('keeps URLs, @mentions, #hashtags, e-mail addresses and numbers whole', () => {
    assert.deepEqual(words('RT @Phil_Heim: see http://t.co/x1?a=b. #SuperBowl 1,000.5 mail a.b@c.org!!'), ['RT', '@Phil_Heim', ':', 'see', 'http://t.co/x1?a=b', '.', '#SuperBowl', '1,000.5', 'mail', 'a.b@c.org', '!!']);
  });

  it('splits source code into identifiers, numbers and operator runs', () => {
    assert.deepEqual(words('if (x_1 >= 0x1F) { $el.value = foo(a, b); } // FIXME'), ['if', '(', 'x_1', '>=', '0x1F', ')', '{', '$el', '.', 'value', '=', 'foo', '(', 'a', ',', 'b', ')', ';', '}', '//', 'FIXME']);
  });

  it("keeps words with inner apostrophes and hyphens, and combining marks, in one token", () => {
    assert.deepEqual(words("YOU'RE state-of-the-art cafe\u0301 don’t"), ["YOU'RE", 'state-of-the-art', 'cafe\u0301', 'don’t']);
  });

  it('makes one token of each emoji grapheme (ZWJ family, skin tone, flag)', () => {
    assert.deepEqual(words('hi 👨‍👩‍👧👍🏽 🇫🇷!'), ['hi', '👨‍👩‍👧', '👍🏽', '🇫🇷', '!']);
  });

  it('splits CJK runs into words with Intl.Segmenter', () => {
    const t = words('我们今天去北京 ok');
    assert.equal(t.join(''), '我们今天去北京ok');
    assert.ok(t.length >= 4, t.join('|'));
  });

  it('gives offsets that slice back to each token', () => {
    const text = 'a 😀 東京\r\nb_c = 3.5';
    for (const t of tokenize(text)) assert.equal(text.slice(t.start, t.end), t.text);
  });

  it('reproduces most WNUT 2015 gold tokens from the joined tweet', () => {
    const sentences = readConll(readFileSync(wnutPath(), 'utf8'));
    let same = 0;
    let total = 0;
    for (const s of sentences) {
      for (const tok of s.tokens) {
        total++;
        if (words(tok).length === 1) same++;
      }
    }
    // Tokens the tokenizer splits further are mostly emoticons (":-)") and Twitter ellipses ("word…").
    assert.ok(same / total > 0.97, `${same}/${total}`);
  });
});
