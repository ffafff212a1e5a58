// Span metrics (server/src/core/kinds/spans/metrics.ts), checked against seqeval's published
// worked example (README of chakki-works/seqeval) and against hand-counted cases.

import * as assert from 'node:assert/strict';
import { evaluateSpans, spanAgreement, type EvalDocument } from '../../server/src/core/kinds/spans/metrics';
import { tagsToSpans } from '../../server/src/core/kinds/spans/tagger';

const doc = (id: string, tags: string[]): EvalDocument => ({ id, spans: tagsToSpans(tags) });

describe('spans: precision, recall, F1', () => {
  // seqeval README: f1_score(y_true, y_pred) == 0.50; MISC 0/0/0, PER 1/1/1, micro 0.50, macro 0.50.
  const gold = [doc('a', ['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O']), doc('b', ['B-PER', 'I-PER', 'O'])];
  const pred = [doc('a', ['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O']), doc('b', ['B-PER', 'I-PER', 'O'])];

  it("reproduces seqeval's worked example (exact match)", () => {
    const r = evaluateSpans(gold, pred);
    assert.equal(r.micro.f1, 0.5);
    assert.equal(r.micro.precision, 0.5);
    assert.equal(r.micro.recall, 0.5);
    assert.equal(r.macro.f1, 0.5);
    assert.deepEqual([r.perLabel.MISC.f1, r.perLabel.MISC.support, r.perLabel.PER.f1, r.perLabel.PER.support], [0, 1, 1, 1]);
  });

  it('counts the shifted MISC span as found with token overlap', () => {
    const r = evaluateSpans(gold, pred, 'overlap');
    assert.equal(r.micro.f1, 1);
  });

  it('matches one to one: two predictions on one gold span are one hit and one false positive', () => {
    const g: EvalDocument[] = [{ id: '1', spans: [{ start: 0, end: 10, label: 'ORG' }] }];
    const p: EvalDocument[] = [{ id: '1', spans: [{ start: 0, end: 4, label: 'ORG' }, { start: 5, end: 10, label: 'ORG' }] }];
    const r = evaluateSpans(g, p, 'overlap');
    assert.deepEqual([r.micro.tp, r.micro.fp, r.micro.fn], [1, 1, 0]);
    // A label mismatch is never a hit, whatever the overlap.
    assert.equal(evaluateSpans(g, [{ id: '1', spans: [{ start: 0, end: 10, label: 'PER' }] }], 'overlap').micro.tp, 0);
  });

  it('uses token boundaries for overlap when given: touching characters of different tokens do not overlap', () => {
    const tokens = [{ start: 0, end: 3 }, { start: 4, end: 8 }];
    const g: EvalDocument[] = [{ id: '1', spans: [{ start: 0, end: 3, label: 'X' }], tokens }];
    const p: EvalDocument[] = [{ id: '1', spans: [{ start: 3, end: 8, label: 'X' }] }];
    assert.equal(evaluateSpans(g, p, 'overlap').micro.tp, 0);
  });

  it('counts documents missing on one side as having no spans', () => {
    const r = evaluateSpans([{ id: '1', spans: [{ start: 0, end: 1, label: 'X' }] }], [{ id: '2', spans: [{ start: 0, end: 1, label: 'X' }] }]);
    assert.deepEqual([r.micro.tp, r.micro.fp, r.micro.fn], [0, 1, 1]);
  });

  it('macro averages over labels; micro pools counts', () => {
    const g: EvalDocument[] = [{ id: '1', spans: [{ start: 0, end: 1, label: 'A' }, { start: 2, end: 3, label: 'A' }, { start: 4, end: 5, label: 'A' }, { start: 6, end: 7, label: 'B' }] }];
    const p: EvalDocument[] = [{ id: '1', spans: [{ start: 0, end: 1, label: 'A' }, { start: 2, end: 3, label: 'A' }, { start: 4, end: 5, label: 'A' }] }];
    const r = evaluateSpans(g, p);
    assert.equal(r.macro.f1, 0.5);
    assert.ok(Math.abs(r.micro.f1 - 6 / 7) < 1e-12);
  });

  it('agreement between annotators is symmetric in F1', () => {
    const ab = spanAgreement(gold, pred);
    const ba = spanAgreement(pred, gold);
    assert.equal(ab.micro.f1, ba.micro.f1);
    assert.equal(ab.micro.precision, ba.micro.recall);
  });
});

describe('spans: BIO tags to spans', () => {
  it('reads B/I/E/S tags and starts a span at a stray I- like conlleval', () => {
    assert.deepEqual(tagsToSpans(['I-PER', 'I-PER', 'O', 'B-LOC', 'I-ORG', 'S-X', 'B-Y', 'E-Y']), [
      { start: 0, end: 2, label: 'PER' },
      { start: 3, end: 4, label: 'LOC' },
      { start: 4, end: 5, label: 'ORG' },
      { start: 5, end: 6, label: 'X' },
      { start: 6, end: 8, label: 'Y' },
    ]);
  });
});
