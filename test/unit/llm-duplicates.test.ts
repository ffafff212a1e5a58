// server/src/core/kinds/llm/duplicates.ts and the dataset pass: exact and near duplicates with the right partner, kept up to date by one edit.
import * as assert from 'node:assert/strict';
import { assessFile, updateRecord } from '../../server/src/core/kinds/llm/assess';
import { DuplicateIndex, estimateJaccard, minhash, shingleHashes } from '../../server/src/core/kinds/llm/duplicates';
import { parseLlmFile } from '../../server/src/core/kinds/llm/records';
import { mulberry32 } from '../../server/src/core/model/prng';

const rand = mulberry32(7);
const WORDS = 'apple river stone cloud music paper green window silver garden quiet number travel orange market winter bridge letter forest candle'.split(' ');
const sentence = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)] + (rand() < 0.5 ? 's' : '')).join(' ');
const line = (q: string, a: string): string => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

describe('llm/duplicates: MinHash', () => {
  it('the one-permutation signature tracks the true Jaccard of the shingle sets, for long texts and for ones with fewer shingles than bins', () => {
    for (const length of [200, 30]) {
      const errors: number[] = [];
      for (let trial = 0; trial < 40; trial++) {
        const base = sentence(length).split(' ');
        const other = [...base];
        for (let i = 0; i < Math.max(1, length / 20); i++) other[Math.floor(rand() * other.length)] = 'zebra';
        const sa = new Set(shingleHashes(base.join(' '), 5));
        const sb = new Set(shingleHashes(other.join(' '), 5));
        const inter = [...sb].filter((x) => sa.has(x)).length;
        const truth = inter / (sa.size + sb.size - inter);
        const est = estimateJaccard(minhash(Int32Array.from(sa), 128), minhash(Int32Array.from(sb), 128));
        errors.push(est - truth);
      }
      const bias = errors.reduce((a, b) => a + b, 0) / errors.length;
      const worst = Math.max(...errors.map(Math.abs));
      assert.ok(Math.abs(bias) < 0.04, `${length} words: mean error ${bias.toFixed(3)}`);
      assert.ok(worst < 0.2, `${length} words: worst error ${worst.toFixed(3)}`);
    }
  });

  it('finds an exact duplicate (whitespace aside) and a near one, each pointing to its earlier partner', () => {
    const idx = new DuplicateIndex();
    const texts = Array.from({ length: 50 }, () => sentence(60));
    texts.forEach((t, i) => idx.set(i, t));
    idx.set(50, `  ${texts[7].replace(/ /g, '  ')} `);
    const words = texts[23].split(' ');
    words[30] = 'zebra';
    idx.set(51, words.join(' '));
    assert.deepEqual(idx.earlierPartner(50), { key: 7, similarity: 1, exact: true });
    const near = idx.earlierPartner(51)!;
    assert.equal(near.key, 23);
    assert.equal(near.exact, false);
    assert.ok(near.similarity >= 0.8 && near.similarity < 1);
    assert.equal(idx.earlierPartner(7), undefined, 'the first copy is the one kept');
    for (let i = 0; i < 50; i++) if (i !== 7 && i !== 23) assert.equal(idx.partners(i).length, 0, `sample ${i} has no partner`);
  });

  it('does not pair samples below the threshold', () => {
    const idx = new DuplicateIndex();
    const a = sentence(40).split(' ');
    const b = a.map((w, i) => (i % 3 === 0 ? 'zebra' : w)); // every third word changed: Jaccard of 5-shingles near 0
    idx.set(0, a.join(' '));
    idx.set(1, b.join(' '));
    assert.equal(idx.earlierPartner(1), undefined);
  });

  it('incremental: an edit replaces one signature and reports the samples whose partner changed', () => {
    const idx = new DuplicateIndex();
    const t = sentence(50);
    idx.set(0, t);
    idx.set(1, sentence(50));
    idx.set(2, t);
    assert.equal(idx.earlierPartner(2)?.key, 0);
    const affected = idx.set(0, sentence(50));
    assert.ok(affected.includes(2), 'the old partner is reported');
    assert.equal(idx.earlierPartner(2), undefined);
    assert.equal(idx.set(1, t).includes(2), true, 'the new partner is reported');
    assert.equal(idx.earlierPartner(2)?.key, 1);
    idx.delete(1);
    assert.equal(idx.size, 2);
    assert.equal(idx.earlierPartner(2), undefined);
  });
});

describe('llm/duplicates: in the dataset pass', () => {
  it('flags the later copy with a related link to the first, and updateRecord redoes only what the edit touches', () => {
    const lines = Array.from({ length: 30 }, () => line(sentence(20), `${sentence(30)}.`));
    lines.push(lines[4]);
    const a = assessFile(lines.join('\n'));
    const dup = a.findings[30].find((f) => f.code === 'llm/duplicate')!;
    assert.equal(dup.related?.index, 4);
    assert.match(dup.message, /repeats sample 5/);
    assert.equal(a.findings.flat().filter((f) => f.code === 'llm/duplicate' || f.code === 'llm/near-duplicate').length, 1);
    // Edit the first copy: the later one loses its partner.
    const edited = parseLlmFile(line('something else entirely here', 'An answer.')).records[0];
    const redone = updateRecord(a, 4, { ...edited, index: 4 });
    assert.deepEqual(redone.sort((x, y) => x - y), [4, 30]);
    assert.equal(a.findings[30].some((f) => f.code === 'llm/duplicate'), false);
  });
});
