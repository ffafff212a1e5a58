// `loopmark simulate`'s comparisons (server/src/core/model/compare.ts, baseline.ts) and its output.

import * as assert from 'node:assert/strict';
import { formatSimulation } from '../../server/src/cli/model';
import { lbfgs, TfidfLogisticRegression } from '../../server/src/core/model/baseline';
import { compareQueueWithRandom, compareWithBaseline } from '../../server/src/core/model/compare';
import { loadSpamAssassin } from '../../bench/corpora';

describe('model: simulate and the baseline', function () {
  this.timeout(120_000);
  // every 10th message: 605 real messages, spam and ham
  const examples = loadSpamAssassin().filter((_, i) => i % 10 === 0);

  it('L-BFGS minimises a quadratic to the tolerance', () => {
    const a = Float64Array.from({ length: 200 }, (_, i) => 1 + i / 20);
    const r = lbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < a.length; i++) {
        f += 0.5 * a[i]! * x[i]! * x[i]! - x[i]!;
        g[i] = a[i]! * x[i]! - 1;
      }
      return f;
    }, new Float64Array(200), 1e-6, 500);
    assert.ok(r.converged);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(r.x[i]! - 1 / a[i]!) < 1e-5);
  });

  it('TF-IDF + logistic regression converges and separates spam from ham', () => {
    // the corpus is sorted by folder (ham, then spam): train on two of every three messages
    const train = examples.filter((_, i) => i % 3 !== 0);
    const lr = new TfidfLogisticRegression();
    lr.fit(train.map((e) => e.text), train.map((e) => e.label as string));
    assert.ok(lr.converged, `converged in ${lr.iterations} iterations`);
    const test = examples.filter((_, i) => i % 3 === 0);
    const right = test.filter((e) => lr.predict(e.text).label === e.label).length;
    assert.ok(right / test.length > 0.85, `${right} of ${test.length}`);
    const p = lr.predict(test[0]!.text);
    assert.ok(Math.abs(p.scores['ham']! + p.scores['spam']! - 1) < 1e-9);
  });

  it('prints the curves, the labels to 95% of the full-pool accuracy, and the baseline table', () => {
    const cmp = compareQueueWithRandom(examples, { seeds: [1, 2], step: 50, maxLabels: 150 });
    assert.deepEqual(cmp.queue.map((p) => p.labels), [50, 100, 150]);
    assert.deepEqual(cmp.random.map((p) => p.labels), [50, 100, 150]);
    assert.ok(cmp.fullAccuracy > 0.8 && cmp.fullAccuracy <= 1);
    const baseline = compareWithBaseline(examples, { seeds: [1], sizes: [50, 100] });
    assert.deepEqual(baseline.map((r) => r.labels), [50, 100]);
    for (const r of baseline) for (const m of [r.model, r.baseline]) assert.ok(m.accuracy > 0.5 && m.macroF1 > 0 && m.trainMs > 0 && m.predictUs > 0);
    const text = formatSimulation('gold.jsonl', examples.length, false, 0.2, 2, cmp, baseline);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^gold\.jsonl: 605 gold labels, test fraction 0\.2, 2 seeds; the model is retrained after every batch$/);
    assert.equal(lines[1], '  labels  queue acc random acc  queue F1 random F1');
    assert.match(lines[2]!, /^ {6}50 {5}0\.\d{3} {5}0\.\d{3} {5}0\.\d{3} {5}0\.\d{3}$/);
    assert.match(text, /full pool accuracy 0\.\d{3}; labels to reach 95% of it \(0\.\d{3}\): queue (\d+|more than 150), random (\d+|more than 150)/);
    assert.match(text, /embedded model vs TF-IDF word\+char n-grams \+ logistic regression/);
    assert.equal(lines.filter((l) => /^ +(50|100) +0\.\d{3} +0\.\d{3} +0\.\d{3} +0\.\d{3} +\d+ +\d+$/.test(l)).length, 2, 'one row per size');
  });
});
