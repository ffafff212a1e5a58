// Calibration of the embedded model (server/src/core/model/calibration.ts, classifier.ts): a
// bounded temperature with a prior, fitted on the examples drawn at random only.

import * as assert from 'node:assert/strict';
import { fitTemperature, MAX_TEMPERATURE, MIN_TEMPERATURE } from '../../server/src/core/model/calibration';
import { TextClassifier, type LabeledText } from '../../server/src/core/model/classifier';
import { mulberry32 } from '../../server/src/core/model/prng';
import { loadSpamAssassin } from '../../bench/corpora';
import { splitPool } from '../../server/src/core/model/evaluate';
import { isRandomDraw } from '../../server/src/core/model/queue';

/** N rows of L logits, labels drawn from softmax(z / T0). */
function synthetic(N: number, L: number, T0: number, seed: number): { Z: Float32Array; Y: Int32Array } {
  const rand = mulberry32(seed);
  const Z = new Float32Array(N * L);
  const Y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let sum = 0;
    const p: number[] = [];
    for (let k = 0; k < L; k++) {
      Z[i * L + k] = 4 * (rand() - 0.5);
      p.push(Math.exp(Z[i * L + k]! / T0));
      sum += p[k]!;
    }
    let u = rand() * sum;
    let k = 0;
    while (k < L - 1 && (u -= p[k]!) > 0) k++;
    Y[i] = k;
  }
  return { Z, Y };
}

describe('model: calibration', function () {
  this.timeout(60_000);

  it('recovers the temperature the labels were drawn with (5,000 rows; the prior weighs 5 rows)', () => {
    for (const T0 of [0.5, 1, 2]) {
      const { Z, Y } = synthetic(5000, 3, T0, 7);
      const T = fitTemperature(Z, Y, 5000, 3);
      assert.ok(Math.abs(Math.log(T / T0)) < 0.1, `T0 ${T0}: fitted ${T.toFixed(3)}`);
    }
  });

  it('is bounded when the hold-out has no error: the prior holds it, far from the old 0.01 floor', () => {
    // every row right, and by a wide margin: the likelihood alone wants T -> 0
    const N = 20;
    const Z = new Float32Array(N * 2);
    const Y = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      Y[i] = i % 2;
      Z[i * 2 + Y[i]!] = 1.5;
    }
    const T = fitTemperature(Z, Y, N, 2);
    assert.ok(T >= MIN_TEMPERATURE && T <= MAX_TEMPERATURE, `T = ${T}`);
    assert.ok(T < 1, 'sharper than the raw logits: they were all right');
    const p = 1 / (1 + Math.exp(-1.5 / T));
    assert.ok(p < 0.999, `a right answer scores ${p.toFixed(4)}, not 1`);
    // without the prior the fit runs to the bound
    assert.ok(Math.abs(fitTemperature(Z, Y, N, 2, 0) - MIN_TEMPERATURE) < 1e-6);
  });

  it('fits on the examples drawn at random only: the queue\'s hard picks do not move the temperature', () => {
    const texts = ['good great fine', 'bad awful poor', 'great good nice', 'poor bad terrible'];
    const base: LabeledText[] = [];
    for (let i = 0; i < 60; i++) base.push({ text: `${texts[i % 4]} ${i}`, label: i % 4 === 0 || i % 4 === 2 ? 'pos' : 'neg', random: true });
    // 40 ambiguous picks, half of them "wrong-looking": would soften the temperature if they counted
    const hard: LabeledText[] = Array.from({ length: 40 }, (_, i) => ({ text: `good bad ${i}`, label: i % 2 ? 'pos' : 'neg', random: false }));
    // picked by the queue in both runs (when every example is a random draw, retrain holds out every 10th instead)
    const picked: LabeledText[] = Array.from({ length: 10 }, (_, i) => ({ text: `${texts[i % 4]} picked`, label: i % 2 ? 'neg' : 'pos', random: false }));
    const a = new TextClassifier({ labels: ['pos', 'neg'] });
    a.retrain([...base, ...hard, ...picked]);
    const b = new TextClassifier({ labels: ['pos', 'neg'] });
    b.retrain([...base, ...hard.map((h) => ({ ...h, random: true })), ...picked]);
    assert.equal(a.calibration().window, 60, 'only the 60 random draws are held out');
    assert.equal(b.calibration().window, 100);
    assert.ok(b.calibration().temperature > a.calibration().temperature, `${a.calibration().temperature} vs ${b.calibration().temperature}`);
  });

  it('SpamAssassin: of held-out predictions at or above the threshold 0.8, at least 80% are right', () => {
    const examples = loadSpamAssassin();
    const { pool, test } = splitPool(examples, 0.2, 1);
    for (const n of [100, 300, 1000]) {
      const clf = new TextClassifier({ labels: ['ham', 'spam'] });
      clf.retrain(pool.slice(0, n).map((i) => ({ text: examples[i]!.text, label: examples[i]!.label, random: isRandomDraw(String(i)) })));
      let above = 0;
      let right = 0;
      for (const i of test.slice(0, 600)) {
        const p = clf.predict(examples[i]!.text);
        if (p.score < 0.8) continue;
        above++;
        if (p.label === examples[i]!.label) right++;
      }
      assert.ok(above === 0 || right / above >= 0.8, `${n} labels: ${right} of ${above} right`);
      console.log(`      ${n} labels: T = ${clf.calibration().temperature.toFixed(3)}, ${right} of ${above} predictions >= 0.8 right`);
    }
  });
});
