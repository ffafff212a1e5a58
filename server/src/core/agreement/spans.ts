// Span-level agreement between two annotators: exact match on (sample, start, end, label), the
// strict F1 that NER agreement studies report. Partial overlaps count as a miss for both.
import type { LabelRecord } from '../types';

export interface SpanAgreement {
  a: string;
  b: string;
  /** Samples where both annotators decided something (only there can spans be compared). */
  samples: number;
  /** Spans both gave, only a gave, only b gave. */
  both: number;
  onlyA: number;
  onlyB: number;
  /** 2 |A ∩ B| / (|A| + |B|), symmetric; NaN when neither gave a span. */
  f1: number;
}

/** The key of a span decision: (sample, start, end, label); a set decision gives one key per label. */
export function spanKeys(record: LabelRecord): string[] {
  if (record.target?.kind !== 'span' || record.answer !== 'accept') return [];
  const { start, end } = record.target;
  const labels = record.labels ?? (record.label === undefined ? [] : [record.label]);
  return labels.map((label) => JSON.stringify([record.id, start, end, label]));
}

/** Exact-match span F1 between two annotators over the samples both of them decided. */
export function spanAgreement(decisions: readonly LabelRecord[], a: string, b: string): SpanAgreement {
  const samplesOf = (who: string) => new Set(decisions.filter((r) => r.annotator === who).map((r) => r.id));
  const samplesA = samplesOf(a);
  const shared = new Set([...samplesOf(b)].filter((id) => samplesA.has(id)));
  const spansOf = (who: string) => new Set(decisions.filter((r) => r.annotator === who && shared.has(r.id)).flatMap(spanKeys));
  const spansA = spansOf(a);
  const spansB = spansOf(b);
  let both = 0;
  for (const key of spansA) if (spansB.has(key)) both++;
  const total = spansA.size + spansB.size;
  return { a, b, samples: shared.size, both, onlyA: spansA.size - both, onlyB: spansB.size - both, f1: total === 0 ? Number.NaN : (2 * both) / total };
}
