// server/src/core/agreement/{report,spans,progress}.ts: from label records to the agreement report,
// span F1 and per-annotator progress. Figures are computed by hand (in the comments) or by the
// coefficients checked against published examples.
import * as assert from 'node:assert/strict';
import { agreementJson, agreementReport, formatAgreement, headlineAgreement } from '../../server/src/core/agreement/report';
import { annotatorProgress } from '../../server/src/core/agreement/progress';
import { spanAgreement } from '../../server/src/core/agreement/spans';
import type { LabelRecord } from '../../server/src/core/types';

let clock = Date.parse('2026-12-01T10:00:00.000Z');
function rec(id: string, annotator: string, label: string, extra: Partial<LabelRecord> = {}): LabelRecord {
  return { id, label, answer: 'accept', source: 'manual', annotator, time: new Date(clock++).toISOString(), ...extra };
}

/** Records whose alice-by-bob contingency table is `table` over the categories a, b, c. */
function fromTable(table: number[][]): LabelRecord[] {
  const cats = ['a', 'b', 'c'];
  const out: LabelRecord[] = [];
  let n = 0;
  table.forEach((row, i) => row.forEach((count, j) => {
    for (let k = 0; k < count; k++, n++) out.push(rec(`s${n}`, 'alice', cats[i]!), rec(`s${n}`, 'bob', cats[j]!));
  }));
  return out;
}

describe('agreement: report from label records', () => {
  it("two annotators: SAS's table as decisions gives Cohen's kappa 0.4842; label 'b' one-vs-rest 96/191", () => {
    const report = agreementReport(fromTable([[0, 4, 1], [0, 8, 0], [0, 1, 5]]), ['a', 'b', 'c']);
    assert.deepEqual(report.annotators, ['alice', 'bob']);
    assert.equal(report.decided, 19);
    assert.equal(report.overall.units, 19);
    assert.ok(Math.abs(report.overall.cohenKappa! - 0.4842) < 5e-5);
    assert.equal(report.overall.observed, 13 / 19);
    // 'b': alice yes 8 (all with bob yes), alice no 11 (bob yes 5, no 6): po = 14/19, pe = (8*13 + 11*6) / 19^2 = 170/361.
    const b = report.perLabel.find((l) => l.label === 'b')!;
    assert.equal(b.positives, 8 + 13);
    assert.ok(Math.abs(b.cohenKappa! - 96 / 191) < 1e-12, `${b.cohenKappa}`);
    assert.deepEqual(report.pairwise.map((p) => [p.a, p.b, p.units]), [['alice', 'bob', 19]]);
    assert.equal(report.pairwise[0]!.cohenKappa, report.overall.cohenKappa);
    assert.deepEqual(headlineAgreement(report), { name: "Cohen's kappa", value: report.overall.cohenKappa });
  });

  it('counts the latest decision per sample and annotator, whatever the order of the records; rejects and skips are missing', () => {
    const later = rec('s1', 'alice', 'pos');
    const earlier: LabelRecord = { ...rec('s1', 'alice', 'neg'), time: '2026-01-01T00:00:00.000Z' };
    const records = [later, earlier, rec('s1', 'bob', 'pos'), rec('s2', 'alice', 'neg'), rec('s2', 'bob', 'neg'),
      rec('s3', 'alice', 'pos', { answer: 'reject' }), rec('s3', 'bob', 'neg'), rec('s4', 'alice', 'pos', { answer: 'ignore' }), rec('s4', 'bob', 'pos')];
    const report = agreementReport(records);
    assert.equal(report.overall.units, 2, 's3 and s4 have one label each');
    assert.equal(report.overall.observed, 1, "alice's later 'pos' on s1 counts, not the earlier 'neg' listed after it");
    assert.deepEqual(report.perLabel.map((l) => l.label), ['neg', 'pos'], 'labels used, sorted');
    assert.equal(report.perLabel[0]!.cohenKappa, 1, "'neg' one-vs-rest: both said it on s2, neither on s1");
  });

  it("three annotators: Fleiss over the samples all three decided, Krippendorff's alpha over every sample decided twice", () => {
    const records = [
      rec('s1', 'ann', 'x'), rec('s1', 'bea', 'x'), rec('s1', 'cid', 'x'),
      rec('s2', 'ann', 'x'), rec('s2', 'bea', 'y'), rec('s2', 'cid', 'y'),
      rec('s3', 'ann', 'y'), rec('s3', 'bea', 'y'), rec('s3', 'cid', 'y'),
      rec('s4', 'ann', 'x'), rec('s4', 'bea', 'x'),
      rec('s5', 'cid', 'y'),
    ];
    const r = agreementReport(records);
    assert.equal(r.overall.cohenKappa, undefined);
    assert.equal(r.overall.fleissUnits, 3);
    assert.equal(r.overall.units, 4);
    // Fleiss on s1..s3: P_i = 1, 1/3, 1 -> mean 7/9; p_x = 4/9, p_y = 5/9 -> Pe = 41/81; kappa = (63/81 - 41/81) / (40/81) = 22/40.
    assert.ok(Math.abs(r.overall.fleissKappa - 22 / 40) < 1e-12);
    // Alpha on s1..s4 (n = 11 values): s1 x,x,x adds 3*2/2 = 3 to o_xx; s2 x,y,y adds 2*1/2 = 1 to o_yy;
    // s3 y,y,y adds 3 to o_yy; s4 x,x adds 2*1/1 = 2 to o_xx.
    // sum o_cc = 9; n_x = 3 + 1 + 2 = 6, n_y = 2 + 3 = 5; alpha = 1 - 10 * (11 - 9) / (121 - 36 - 25) = 1 - 20/60.
    assert.ok(Math.abs(r.overall.krippendorffAlpha - 2 / 3) < 1e-12);
    assert.deepEqual(r.pairwise.map((p) => `${p.a}/${p.b}:${p.units}`), ['ann/bea:4', 'ann/cid:3', 'bea/cid:3']);
    assert.equal(headlineAgreement(r).name, "Krippendorff's alpha");
    assert.match(formatAgreement('data/d.jsonl', r), /3 annotator\(s\) \(ann, bea, cid\), 5 sample\(s\) decided, 4 by two or more/);
  });

  it('multi-label sets: the overall value is the exact set, per label one-vs-rest', () => {
    const records = [
      rec('t1', 'ann', '', { label: undefined, labels: ['bug', 'billing'] }), rec('t1', 'bea', '', { label: undefined, labels: ['billing', 'bug'] }),
      rec('t2', 'ann', '', { label: undefined, labels: ['bug'] }), rec('t2', 'bea', '', { label: undefined, labels: ['bug', 'feature'] }),
    ];
    const r = agreementReport(records, ['billing', 'bug', 'feature']);
    assert.equal(r.overall.observed, 1 / 2, 'the sets agree on t1 only');
    const agree = Object.fromEntries(r.perLabel.map((l) => [l.label, l.observed]));
    assert.deepEqual(agree, { billing: 1, bug: 1, feature: 1 / 2 });
  });

  it('JSON: undefined coefficients are null, not NaN (which JSON cannot hold)', () => {
    const r = agreementReport([rec('s1', 'ann', 'x')]);
    const json = agreementJson(r) as { overall: { observed: unknown; krippendorffAlpha: unknown } };
    assert.equal(json.overall.observed, null);
    assert.equal(json.overall.krippendorffAlpha, null);
    assert.match(formatAgreement('d', r), /observed agreement n\/a/);
  });
});

describe('agreement: spans', () => {
  const span = (id: string, who: string, start: number, end: number, label: string): LabelRecord => rec(id, who, label, { target: { kind: 'span', start, end } });

  it('exact match on (sample, start, end, label), over the samples both decided', () => {
    const decisions = [
      span('d1', 'ann', 0, 5, 'PER'), span('d1', 'bea', 0, 5, 'PER'),
      span('d1', 'ann', 10, 14, 'ORG'), span('d1', 'bea', 10, 15, 'ORG'), // boundary differs: a miss for both
      span('d1', 'bea', 20, 25, 'LOC'),
      span('d2', 'ann', 0, 3, 'PER'), // d2: only ann decided it, not compared
    ];
    const s = spanAgreement(decisions, 'ann', 'bea');
    assert.deepEqual({ samples: s.samples, both: s.both, onlyA: s.onlyA, onlyB: s.onlyB }, { samples: 1, both: 1, onlyA: 1, onlyB: 2 });
    assert.equal(s.f1, (2 * 1) / (2 + 3));
    const report = agreementReport(decisions);
    assert.equal(report.spans.length, 1);
    assert.equal(report.spans[0]!.f1, 0.4);
    assert.equal(report.decided, 0, 'spans are not whole-sample units');
  });
});

describe('agreement: progress per annotator', () => {
  it('labeled, accepted, corrected, skipped from the latest decisions, on samples that exist', () => {
    const records = [
      rec('s1', 'ann', 'x', { source: 'prediction' }),
      rec('s2', 'ann', 'y', { source: 'correction' }),
      rec('s3', 'ann', 'x', { answer: 'ignore' }),
      rec('s3', 'ann', 'x', { source: 'manual' }), // later: s3 is labeled now, no longer skipped
      rec('s4', 'ann', 'x', { answer: 'reject', source: 'prediction' }),
      rec('gone', 'ann', 'x'),
      rec('s1', 'bea', 'x', { answer: 'ignore' }),
    ];
    const progress = annotatorProgress(records, (id) => id !== 'gone');
    assert.deepEqual([...progress.keys()], ['ann', 'bea']);
    assert.deepEqual(progress.get('ann'), { labeled: 4, accepted: 1, corrected: 1, skipped: 0 });
    assert.deepEqual(progress.get('bea'), { labeled: 0, accepted: 0, corrected: 0, skipped: 1 });
  });
});
