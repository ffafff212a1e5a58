// Active-learning queue (server/src/core/model/queue.ts): uncertainty measures and review order.

import * as assert from 'node:assert/strict';
import { rankQueue, topN, uncertainty, type QueueCandidate, type QueueStrategy, type ScoredPrediction } from '../../server/src/core/model/queue';
import { mulberry32 } from '../../server/src/core/model/prng';

function pred(scores: Record<string, number>, multi = false): ScoredPrediction {
  let label = '';
  let score = -1;
  for (const [l, p] of Object.entries(scores))
    if (p > score) {
      label = l;
      score = p;
    }
  return multi ? { label, score, scores, labels: Object.keys(scores).filter((l) => scores[l] >= 0.5) } : { label, score, scores };
}

describe('queue: uncertainty', () => {
  it('margin: 1 - (p1 - p2)', () => {
    assert.ok(Math.abs(uncertainty(pred({ a: 0.7, b: 0.2, c: 0.1 }), 'margin') - 0.5) < 1e-12);
    assert.equal(uncertainty(pred({ a: 1, b: 0 }), 'margin'), 0);
    assert.equal(uncertainty(pred({ a: 0.5, b: 0.5 }), 'margin'), 1);
  });

  it('entropy: normalised to [0, 1]', () => {
    assert.ok(Math.abs(uncertainty(pred({ a: 0.25, b: 0.25, c: 0.25, d: 0.25 }), 'entropy') - 1) < 1e-12);
    assert.equal(uncertainty(pred({ a: 1, b: 0, c: 0 }), 'entropy'), 0);
    const mid = uncertainty(pred({ a: 0.8, b: 0.1, c: 0.1 }), 'entropy');
    assert.ok(mid > 0 && mid < 1);
    // more spread = more uncertain
    assert.ok(uncertainty(pred({ a: 0.5, b: 0.3, c: 0.2 }), 'entropy') > mid);
  });

  it('multi-label: the label closest to its decision boundary', () => {
    assert.ok(Math.abs(uncertainty(pred({ a: 0.95, b: 0.45 }, true), 'margin') - 0.9) < 1e-12);
    assert.ok(Math.abs(uncertainty(pred({ a: 0.5, b: 0.01 }, true), 'entropy') - 1) < 1e-12);
    assert.ok(uncertainty(pred({ a: 0.99, b: 0.01 }, true), 'margin') < 0.05);
  });
});

describe('queue: rankQueue', () => {
  const cands: QueueCandidate[] = [
    { key: 'sure', order: 0, model: pred({ pos: 0.95, neg: 0.05 }), file: { label: 'pos', score: 1 } },
    { key: 'unsure', order: 1, model: pred({ pos: 0.52, neg: 0.48 }), file: { label: 'neg', score: 1 } },
    { key: 'none', order: 2 },
    { key: 'mid', order: 3, model: pred({ pos: 0.3, neg: 0.7 }), file: { label: 'pos', score: 0.5 } },
    { key: 'agree-weak', order: 4, model: pred({ pos: 0.6, neg: 0.4 }), file: { label: 'pos', score: 1 } },
  ];

  it('file-order: by order', () => {
    const shuffled = [cands[3], cands[0], cands[4], cands[2], cands[1]];
    assert.deepEqual(rankQueue(shuffled, 'file-order'), ['sure', 'unsure', 'none', 'mid', 'agree-weak']);
  });

  it('uncertainty / margin / entropy: most uncertain first, items without a prediction last', () => {
    assert.deepEqual(rankQueue(cands, 'margin'), ['unsure', 'agree-weak', 'mid', 'sure', 'none']);
    assert.deepEqual(rankQueue(cands, 'entropy'), ['unsure', 'agree-weak', 'mid', 'sure', 'none']);
    assert.deepEqual(rankQueue(cands, 'uncertainty'), ['unsure', 'agree-weak', 'mid', 'sure', 'none']);
  });

  it('disagreement: model vs file conflicts first, most confident conflict first; then weak agreements', () => {
    // conflicts: unsure (0.52 * 1 = 0.52), mid (0.7 * 0.5 = 0.35); agreements: agree-weak (p=0.6), sure (p=0.95)
    assert.deepEqual(rankQueue(cands, 'disagreement'), ['unsure', 'mid', 'agree-weak', 'sure', 'none']);
    const multi: QueueCandidate[] = [
      { key: 'm1', order: 0, model: pred({ a: 0.9, b: 0.8 }, true), file: { label: 'b', score: 1 } },
      { key: 'm2', order: 1, model: pred({ a: 0.9, b: 0.2 }, true), file: { label: 'b', score: 1 } },
    ];
    assert.deepEqual(rankQueue(multi, 'disagreement'), ['m2', 'm1']);
  });

  it('random: seeded, deterministic, independent of input order', () => {
    const many: QueueCandidate[] = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, order: i }));
    const a = rankQueue(many, 'random', { seed: 1 });
    const b = rankQueue([...many].reverse(), 'random', { seed: 1 });
    const c = rankQueue(many, 'random', { seed: 2 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual([...a].sort(), many.map((x) => x.key).sort());
    assert.notDeepEqual(a, many.map((x) => x.key));
  });

  it('rejects an unknown strategy', () => {
    assert.throws(() => rankQueue(cands, 'nope' as QueueStrategy), /unknown queue strategy/);
  });
});

describe('queue: topN on 100k candidates', function () {
  this.timeout(60000);
  const rand = mulberry32(42);
  const big: QueueCandidate[] = Array.from({ length: 100000 }, (_, i) => {
    const p = rand();
    // some ties on purpose (rounded scores) to exercise the tie-breakers
    const q = Math.round(p * 1000) / 1000;
    const c: QueueCandidate = { key: `line-${i}`, order: i };
    if (i % 10 !== 0) c.model = pred({ pos: q, neg: 1 - q });
    if (i % 3 === 0) c.file = { label: i % 2 ? 'pos' : 'neg', score: 1 };
    return c;
  });

  for (const strategy of ['margin', 'entropy', 'uncertainty', 'disagreement', 'random', 'file-order'] as QueueStrategy[]) {
    it(`${strategy}: topN equals the head of rankQueue`, () => {
      const full = rankQueue(big, strategy, { seed: 5 });
      assert.equal(full.length, big.length);
      assert.deepEqual(topN(big, strategy, 50, { seed: 5 }), full.slice(0, 50));
      assert.deepEqual(topN(big, strategy, 1, { seed: 5 }), full.slice(0, 1));
    });
  }

  it('topN(100k, 100) is faster than a full ranking', () => {
    const t0 = performance.now();
    const head = topN(big, 'margin', 100);
    const tTop = performance.now() - t0;
    const t1 = performance.now();
    rankQueue(big, 'margin');
    const tFull = performance.now() - t1;
    console.log(`      100k candidates: topN(100) ${tTop.toFixed(1)} ms, full rank ${tFull.toFixed(1)} ms`);
    assert.equal(head.length, 100);
    assert.ok(tTop < tFull, `${tTop} vs ${tFull}`);
    assert.deepEqual(topN(big, 'margin', 0), []);
    assert.equal(topN(big.slice(0, 10), 'margin', 50).length, 10);
  });
});
