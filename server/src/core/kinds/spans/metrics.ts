// Span-level precision, recall and F1 for `loopmark eval` and for agreement between annotators.
//
// exact:   a predicted span counts when a gold span has the same start, end and label (CoNLL's
//          conlleval and seqeval's default). Each gold span is matched at most once.
// overlap: a predicted span counts when it shares at least one token (one character when no
//          tokens are given) with a gold span of the same label; matching is one to one, the
//          largest overlaps first, so two predictions on one gold span count one true positive.
// Per label, micro (pooled counts) and macro (mean of the labels' scores, over the labels that
// appear in gold or predictions). Agreement of two annotators is the same F1 with either as gold
// (F1 is symmetric: it swaps precision and recall); documents are matched by their id.

export interface EvalSpan {
  start: number;
  end: number;
  label: string;
}

export interface EvalDocument {
  id: string;
  spans: readonly EvalSpan[];
  /** Token boundaries of the document's text (same unit as the spans), for overlap in tokens. */
  tokens?: ReadonlyArray<{ start: number; end: number }>;
}

export interface Scores {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  /** Gold spans. */
  support: number;
}

export interface SpanReport {
  mode: 'exact' | 'overlap';
  perLabel: Record<string, Scores>;
  micro: Scores;
  macro: { precision: number; recall: number; f1: number };
}

function scores(tp: number, fp: number, fn: number): Scores {
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn, support: tp + fn };
}

/** Token indices [first, last] a span covers, or the span itself when no tokens are given. */
function tokenRange(s: EvalSpan, tokens: EvalDocument['tokens']): [number, number] {
  if (!tokens) return [s.start, s.end - 1];
  let first = -1;
  let last = -1;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].end <= s.start || tokens[i].start >= s.end) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? [s.start, s.start - 1] : [first, last];
}

/** True positives per label in one document. */
function matches(gold: readonly EvalSpan[], pred: readonly EvalSpan[], mode: SpanReport['mode'], tokens: EvalDocument['tokens']): Map<string, number> {
  const tp = new Map<string, number>();
  const add = (label: string): void => {
    tp.set(label, (tp.get(label) ?? 0) + 1);
  };
  if (mode === 'exact') {
    const left = new Map<string, number>();
    for (const g of gold) {
      const k = `${g.start}:${g.end}:${g.label}`;
      left.set(k, (left.get(k) ?? 0) + 1);
    }
    for (const p of pred) {
      const k = `${p.start}:${p.end}:${p.label}`;
      const n = left.get(k) ?? 0;
      if (n > 0) {
        left.set(k, n - 1);
        add(p.label);
      }
    }
    return tp;
  }
  const pairs: Array<{ g: number; p: number; size: number }> = [];
  const gr = gold.map((g) => tokenRange(g, tokens));
  const pr = pred.map((p) => tokenRange(p, tokens));
  for (let i = 0; i < gold.length; i++) {
    for (let j = 0; j < pred.length; j++) {
      if (gold[i].label !== pred[j].label) continue;
      const size = Math.min(gr[i][1], pr[j][1]) - Math.max(gr[i][0], pr[j][0]) + 1;
      if (size > 0) pairs.push({ g: i, p: j, size });
    }
  }
  pairs.sort((a, b) => b.size - a.size || a.g - b.g || a.p - b.p);
  const usedG = new Set<number>();
  const usedP = new Set<number>();
  for (const { g, p } of pairs) {
    if (usedG.has(g) || usedP.has(p)) continue;
    usedG.add(g);
    usedP.add(p);
    add(gold[g].label);
  }
  return tp;
}

/**
 * Scores predictions against gold, document by document (matched by id; a document missing on
 * one side counts as having no spans there).
 */
export function evaluateSpans(gold: readonly EvalDocument[], predicted: readonly EvalDocument[], mode: SpanReport['mode'] = 'exact'): SpanReport {
  const byId = new Map(predicted.map((d) => [d.id, d]));
  const counts = new Map<string, { tp: number; gold: number; pred: number }>();
  const count = (label: string): { tp: number; gold: number; pred: number } => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { tp: 0, gold: 0, pred: 0 }));
    return c;
  };
  const seen = new Set<string>();
  const visit = (g: EvalDocument | undefined, p: EvalDocument | undefined): void => {
    const gs = g?.spans ?? [];
    const ps = p?.spans ?? [];
    for (const s of gs) count(s.label).gold++;
    for (const s of ps) count(s.label).pred++;
    for (const [label, n] of matches(gs, ps, mode, g?.tokens ?? p?.tokens)) count(label).tp += n;
  };
  for (const g of gold) {
    seen.add(g.id);
    visit(g, byId.get(g.id));
  }
  for (const p of predicted) if (!seen.has(p.id)) visit(undefined, p);
  const perLabel: Record<string, Scores> = {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const label of [...counts.keys()].sort()) {
    const c = counts.get(label)!;
    perLabel[label] = scores(c.tp, c.pred - c.tp, c.gold - c.tp);
    tp += c.tp;
    fp += c.pred - c.tp;
    fn += c.gold - c.tp;
  }
  const labels = Object.values(perLabel);
  const mean = (f: (s: Scores) => number): number => (labels.length ? labels.reduce((a, s) => a + f(s), 0) / labels.length : 0);
  return { mode, perLabel, micro: scores(tp, fp, fn), macro: { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) } };
}

/** Agreement between two annotators' spans on the same documents: span F1 with `a` as gold. */
export function spanAgreement(a: readonly EvalDocument[], b: readonly EvalDocument[], mode: SpanReport['mode'] = 'exact'): SpanReport {
  return evaluateSpans(a, b, mode);
}
