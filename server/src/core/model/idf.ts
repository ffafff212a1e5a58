// Inverse document frequencies of the hashed features, counted over the dataset being labeled
// (its unlabeled samples too: they are indexed anyway, and a word that is in every sample says
// nothing about any of them).
//
// idf(b) = ln((1 + N) / (1 + df(b))) + 1, N documents, df(b) = documents with a feature in
// bucket b: scikit-learn's TfidfVectorizer with smooth_idf=True, so that the baseline of the
// benchmark and the embedded model weigh a feature alike. Why: on short sentences (Brown) IDF was
// the whole 0.5-2.2-point gap between the embedded model and TF-IDF + logistic regression (the
// study quoted in issue 11).

import { Featurizer, type FeatureOptions } from './features';

/** The idf of a bucket no counted document has: ln(1 + N) + 1. */
export function idfOf(documents: number, df: number): number {
  return Math.log((1 + documents) / (1 + df)) + 1;
}

export class DocumentFrequencies {
  private readonly featurizer: Featurizer;
  private readonly df: Uint32Array;
  /** Last document that counted each bucket (a bucket counts once per document). */
  private readonly stamp: Int32Array;
  private docs = 0;

  /** `options` must be the featurisation of the model the idf is for (same buckets, same n-grams). */
  constructor(options: FeatureOptions) {
    this.featurizer = new Featurizer(options);
    this.df = new Uint32Array(this.featurizer.buckets);
    this.stamp = new Int32Array(this.featurizer.buckets).fill(-1);
  }

  get buckets(): number {
    return this.featurizer.buckets;
  }

  /** Documents counted so far. */
  get documents(): number {
    return this.docs;
  }

  add(text: string): void {
    const x = this.featurizer.featurizeScaled(text);
    const doc = this.docs++;
    const idx = x.indices;
    const df = this.df;
    const stamp = this.stamp;
    for (let j = 0; j < x.length; j++) {
      const b = idx[j]!;
      if (stamp[b] === doc) continue;
      stamp[b] = doc;
      df[b]++;
    }
  }

  /** Documents with a feature in bucket b. */
  frequency(bucket: number): number {
    return this.df[bucket]!;
  }

  /** The idf of every bucket (Float32, one per bucket); undefined before any document. */
  idf(): Float32Array | undefined {
    if (this.docs === 0) return undefined;
    const out = new Float32Array(this.df.length);
    const n = this.docs;
    for (let b = 0; b < out.length; b++) out[b] = idfOf(n, this.df[b]!);
    return out;
  }
}
