// The random draws of the queue (server/src/core/model/queue.ts withRandomDraws).

import * as assert from 'node:assert/strict';
import { isRandomDraw, isRandomSlot, randomDrawRank, RANDOM_SHARE, topN, withRandomDraws, type QueueCandidate } from '../../server/src/core/model/queue';

function candidates(n: number): QueueCandidate[] {
  // uncertainty grows with i: the margin queue wants the last ones first
  return Array.from({ length: n }, (_, i) => {
    const p = 0.99 - (0.49 * i) / n;
    return { key: `k${i}`, id: `sample-${i}`, order: i, model: { label: 'a', score: p, scores: { a: p, b: 1 - p } } };
  });
}

describe('queue: random draws', () => {
  it('a fifth of the samples are in the random stratum, by a hash of the id', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `id-${i}`);
    const drawn = ids.filter(isRandomDraw).length;
    assert.ok(Math.abs(drawn / ids.length - RANDOM_SHARE) < 0.015, `${drawn} of 10,000`);
    assert.equal(isRandomDraw('id-7'), isRandomDraw('id-7'));
    assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((p) => isRandomSlot(p)), [false, false, false, false, true, false, true]);
  });

  it('every fifth item is a random draw (lowest stratum rank first), the others by uncertainty', () => {
    const c = candidates(500);
    const queue = withRandomDraws(c, 'margin', 50);
    assert.equal(queue.length, 50);
    assert.equal(new Set(queue).size, 50);
    const byKey = new Map(c.map((x) => [x.key, x]));
    const drawnAt = queue.map((k, p) => [p, isRandomDraw(byKey.get(k)!.id!)] as const);
    assert.deepEqual(drawnAt.filter(([, d]) => d).map(([p]) => p), [4, 9, 14, 19, 24, 29, 34, 39, 44, 49], '10 of 50 drawn at random');
    const draws = queue.filter((_, p) => p % 5 === 4).map((k) => randomDrawRank(byKey.get(k)!.id!));
    assert.deepEqual(draws, [...draws].sort((a, b) => a - b), 'in stratum order');
    const others = c.filter((x) => !isRandomDraw(x.id!)).sort((a, b) => b.order - a.order).slice(0, 40).map((x) => x.key);
    assert.deepEqual(queue.filter((_, p) => p % 5 !== 4), others, 'the most uncertain of the rest, in order');
  });

  it('when one side runs out the other fills the queue; orders that are no uncertainty ranking stay unmixed', () => {
    const c = candidates(30);
    const all = withRandomDraws(c, 'margin', 100);
    assert.equal(all.length, 30);
    assert.deepEqual([...all].sort(), c.map((x) => x.key).sort());
    assert.deepEqual(withRandomDraws(c, 'file-order', 5), ['k0', 'k1', 'k2', 'k3', 'k4']);
  });

  it('randomDraws 0 (loopmark.json queue.randomDraws) is the plain ranking', () => {
    const c: QueueCandidate[] = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, id: `s${i}`, order: i, prediction: { label: 'a', score: ((i * 37) % 200) / 200, scores: { a: ((i * 37) % 200) / 200, b: 1 - ((i * 37) % 200) / 200 } } }));
    assert.deepEqual(withRandomDraws(c, 'margin', 50, { share: 0 }), topN(c, 'margin', 50));
    assert.notDeepEqual(withRandomDraws(c, 'margin', 50), topN(c, 'margin', 50), 'the default mixes random draws in');
  });
});
