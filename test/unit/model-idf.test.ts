// Inverse document frequencies of the hashed features (server/src/core/model/idf.ts, features.ts).

import * as assert from 'node:assert/strict';
import { Featurizer } from '../../server/src/core/model/features';
import { DocumentFrequencies, idfOf } from '../../server/src/core/model/idf';
import { TextClassifier } from '../../server/src/core/model/classifier';

const WORDS_ONLY = { buckets: 1 << 16, bigrams: false, charMin: 5, charMax: 4 } as const;

function bucketOf(word: string): number {
  const x = new Featurizer(WORDS_ONLY).featurize(word);
  assert.equal(x.length, 1);
  return x.indices[0]!;
}

describe('model: idf', () => {
  it('idf = ln((1 + N) / (1 + df)) + 1, as scikit-learn\'s smooth idf', () => {
    assert.equal(idfOf(3, 3), 1);
    assert.ok(Math.abs(idfOf(3, 1) - (Math.log(2) + 1)) < 1e-12);
    assert.ok(Math.abs(idfOf(9, 0) - (Math.log(10) + 1)) < 1e-12);
  });

  it('counts a bucket once per document, and weighs the features by it before normalising', () => {
    const df = new DocumentFrequencies(WORDS_ONLY);
    for (const t of ['the cat the cat', 'the dog', 'the bird']) df.add(t);
    assert.equal(df.documents, 3);
    assert.equal(df.frequency(bucketOf('the')), 3, 'in three documents, twice in one');
    assert.equal(df.frequency(bucketOf('cat')), 1);
    const idf = df.idf()!;
    assert.ok(Math.abs(idf[bucketOf('the')]! - 1) < 1e-6);
    assert.ok(Math.abs(idf[bucketOf('cat')]! - (Math.log(4 / 2) + 1)) < 1e-6);
    const f = new Featurizer({ ...WORDS_ONLY, tf: 'raw' });
    f.setIdf(idf);
    const x = f.featurize('the cat');
    const v = new Map(Array.from(x.indices.subarray(0, x.length), (b, j) => [b, x.values[j]!]));
    const wThe = 1;
    const wCat = Math.log(2) + 1;
    const norm = Math.hypot(wThe, wCat);
    assert.ok(Math.abs(v.get(bucketOf('the'))! - wThe / norm) < 1e-6);
    assert.ok(Math.abs(v.get(bucketOf('cat'))! - wCat / norm) < 1e-6, 'the rarer word weighs more');
    assert.throws(() => f.setIdf(new Float32Array(8)), /idf has 8 buckets/);
  });

  it('a classifier counts document frequencies with its own features', () => {
    const clf = new TextClassifier({ labels: ['a', 'b'], buckets: 1 << 12 });
    const df = clf.documentFrequencies();
    df.add('hello world');
    assert.equal(df.buckets, 1 << 12);
    clf.setIdf(df.idf());
    assert.equal(clf.idf!.length, 1 << 12);
    const before = clf.features('hello there');
    clf.setIdf(undefined);
    const after = clf.features('hello there');
    assert.notDeepEqual(Array.from(before.values), Array.from(after.values), 'idf changes the vector');
  });
});
