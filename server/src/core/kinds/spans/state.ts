// The spans of one record as decided so far: the latest decision per (start, end) target wins, so
// an accepted span stays until a later decision on the same target changes its label, rejects it
// or removes it (`ignore`: the span is withdrawn, as if never labeled). Offsets are code points of
// the record's text.
import type { LabelRecord } from '../../types';

export interface DecidedSpan {
  start: number;
  end: number;
  label: string;
  answer: LabelRecord['answer'];
  record: LabelRecord;
}

export function spanKey(start: number, end: number): string {
  return `${start}:${end}`;
}

/** The latest decision of each span target, in label-file order (later lines win). */
export function decidedSpans(labels: readonly LabelRecord[]): Map<string, DecidedSpan> {
  const out = new Map<string, DecidedSpan>();
  for (const r of labels) {
    const t = r.target;
    if (t?.kind !== 'span') continue;
    out.set(spanKey(t.start, t.end), { start: t.start, end: t.end, label: r.label ?? '', answer: r.answer, record: r });
  }
  return out;
}

export function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}
