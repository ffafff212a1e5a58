// `loopmark agreement`: how much a dataset's annotators agree, overall, per label and per pair, from
// the decisions in its label file. Pure: the CLI reads the file, this computes, the CLI prints.
import { cohenKappa, fleissKappa, categoryCounts, krippendorffAlpha, observedAgreement, type Unit } from './coefficients';
import { decisionValue, givesLabel, latestDecisions, unitKey } from './decisions';
import { spanAgreement, type SpanAgreement } from './spans';
import type { LabelRecord } from '../types';

export interface Coefficients {
  /** Units decided (with a label) by at least two annotators: those the coefficients use. */
  units: number;
  observed: number;
  /** Two annotators only. */
  cohenKappa?: number;
  /** Over the units every annotator decided (Fleiss' kappa needs the same number on each). */
  fleissKappa: number;
  fleissUnits: number;
  krippendorffAlpha: number;
}

export interface PairAgreement {
  a: string;
  b: string;
  units: number;
  observed: number;
  cohenKappa: number;
}

export interface AgreementReport {
  annotators: string[];
  /** Units (samples, or turns) with at least one decision that names a label. */
  decided: number;
  overall: Coefficients;
  /** One against the rest: for each label, "gave it" against "gave another". */
  perLabel: Array<{ label: string; positives: number } & Coefficients>;
  pairwise: PairAgreement[];
  /** Span tasks: exact-match F1 per pair of annotators. */
  spans: SpanAgreement[];
}

function coefficients(units: readonly Unit[], annotators: number): Coefficients {
  const pairable = units.filter((u) => u.length >= 2);
  const complete = units.filter((u) => u.length === annotators);
  const result: Coefficients = {
    units: pairable.length,
    observed: observedAgreement(pairable),
    fleissKappa: complete.length === 0 ? Number.NaN : fleissKappa(categoryCounts(complete).counts),
    fleissUnits: complete.length,
    krippendorffAlpha: krippendorffAlpha(pairable),
  };
  if (annotators === 2) result.cohenKappa = cohenKappa(pairable.map((u) => [u[0]!, u[1]!] as const));
  return result;
}

/**
 * The agreement of every annotator of a label file. `labels` (the task's declared set) puts labels no
 * one used in the per-label table too; labels used but not declared are listed after them.
 */
export function agreementReport(records: Iterable<LabelRecord>, labels: readonly string[] = []): AgreementReport {
  const decisions = latestDecisions(records);
  const annotators = [...new Set(decisions.map((r) => r.annotator))].sort();
  // Per unit, per annotator (in the sorted order, so a pair's table is always a-by-b): the decision.
  const byUnit = new Map<string, Map<string, LabelRecord>>();
  for (const r of decisions) {
    if (r.target?.kind === 'span' || decisionValue(r) === undefined) continue;
    const key = unitKey(r);
    let unit = byUnit.get(key);
    if (!unit) byUnit.set(key, (unit = new Map()));
    unit.set(r.annotator, r);
  }
  const unitsOf = (value: (r: LabelRecord) => string): Unit[] =>
    [...byUnit.values()].map((unit) => annotators.filter((a) => unit.has(a)).map((a) => value(unit.get(a)!)));

  const used = new Set<string>();
  for (const unit of byUnit.values()) for (const r of unit.values()) for (const l of r.labels ?? [r.label!]) used.add(l);
  const allLabels = [...labels, ...[...used].filter((l) => !labels.includes(l)).sort()];
  const perLabel = allLabels.map((label) => {
    const units = unitsOf((r) => (givesLabel(r, label) ? 'yes' : 'no'));
    const positives = units.reduce((s, u) => s + u.filter((v) => v === 'yes').length, 0);
    return { label, positives, ...coefficients(units, annotators.length) };
  });

  const pairwise: PairAgreement[] = [];
  const spans: SpanAgreement[] = [];
  const hasSpans = decisions.some((r) => r.target?.kind === 'span');
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const a = annotators[i]!;
      const b = annotators[j]!;
      const pairs: Array<readonly [string, string]> = [];
      for (const unit of byUnit.values()) {
        const ra = unit.get(a);
        const rb = unit.get(b);
        if (ra && rb) pairs.push([decisionValue(ra)!, decisionValue(rb)!]);
      }
      if (pairs.length > 0) pairwise.push({ a, b, units: pairs.length, observed: observedAgreement(pairs), cohenKappa: cohenKappa(pairs) });
      if (hasSpans) spans.push(spanAgreement(decisions, a, b));
    }
  }
  return {
    annotators,
    decided: byUnit.size,
    overall: coefficients(unitsOf((r) => decisionValue(r)!), annotators.length),
    perLabel,
    pairwise,
    spans,
  };
}

/**
 * The one figure a threshold (`loopmark check --min-agreement`) compares: Cohen's kappa with two
 * annotators, Krippendorff's alpha with more (it takes every sample decided twice, missing data and all).
 * NaN when no sample was decided by two annotators.
 */
export function headlineAgreement(report: AgreementReport): { name: string; value: number } {
  if (report.annotators.length === 2) return { name: "Cohen's kappa", value: report.overall.cohenKappa ?? Number.NaN };
  return { name: "Krippendorff's alpha", value: report.overall.krippendorffAlpha };
}

const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));

/** The report as people read it. */
export function formatAgreement(name: string, r: AgreementReport): string {
  const o = r.overall;
  const lines = [
    `${name}: ${r.annotators.length} annotator(s) (${r.annotators.join(', ') || 'none'}), ${r.decided} sample(s) decided, ${o.units} by two or more`,
    `  observed agreement ${fmt(o.observed)}${o.cohenKappa === undefined ? '' : `, Cohen's kappa ${fmt(o.cohenKappa)}`}, Fleiss' kappa ${fmt(o.fleissKappa)} (${o.fleissUnits} samples decided by all), Krippendorff's alpha ${fmt(o.krippendorffAlpha)}`,
  ];
  if (r.perLabel.length > 0) {
    const width = Math.max(5, ...r.perLabel.map((l) => l.label.length));
    lines.push(`  ${'label'.padEnd(width)}  given  observed  ${r.annotators.length === 2 ? '  kappa' : 'f.kappa'}    alpha`);
    for (const l of r.perLabel) {
      const kappa = r.annotators.length === 2 ? l.cohenKappa : l.fleissKappa;
      lines.push(`  ${l.label.padEnd(width)}  ${String(l.positives).padStart(5)}  ${fmt(l.observed).padStart(8)}  ${fmt(kappa).padStart(7)}  ${fmt(l.krippendorffAlpha).padStart(7)}`);
    }
  }
  for (const p of r.pairwise) lines.push(`  ${p.a} / ${p.b}: ${p.units} sample(s), observed ${fmt(p.observed)}, Cohen's kappa ${fmt(p.cohenKappa)}`);
  for (const s of r.spans) lines.push(`  spans ${s.a} / ${s.b}: ${s.samples} sample(s), ${s.both} matching, ${s.onlyA} only ${s.a}, ${s.onlyB} only ${s.b}, F1 ${fmt(s.f1)}`);
  return `${lines.join('\n')}\n`;
}

/** JSON has no NaN: an undefined coefficient is null. */
export function agreementJson(report: AgreementReport): unknown {
  return JSON.parse(JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value)));
}
