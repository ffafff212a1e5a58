// server/src/core/check: label files (schema, labels, samples, duplicates, conflicts, canonical form),
// datasets, thresholds and .gitattributes.
import * as assert from 'node:assert/strict';
import { Dataset } from '../../server/src/core/dataset';
import { canonicalLabelText, parseLabels, serializeLabel } from '../../server/src/core/labels';
import { agreementReport } from '../../server/src/core/agreement/report';
import { checkDataset } from '../../server/src/core/check/dataset';
import { labelFilePattern, labelFilePatterns, mergesByUnion, unionLine, withUnionLines } from '../../server/src/core/check/gitattributes';
import { checkLabelFile } from '../../server/src/core/check/labelFile';
import { failing, formatProblem } from '../../server/src/core/check/problem';
import { agreementProblem, unreviewedProblem } from '../../server/src/core/check/thresholds';
import type { LabelRecord } from '../../server/src/core/types';

function rec(id: string, extra: Partial<LabelRecord> = {}): LabelRecord {
  return { id, label: 'pos', answer: 'accept', source: 'manual', annotator: 'ann', time: '2026-12-01T10:00:00.000Z', ...extra };
}
const line = (r: LabelRecord) => serializeLabel(r);
const ctx = { file: 'd.labels.jsonl', labels: ['pos', 'neg'], multiLabel: false, hasSample: (id: string) => id !== 'gone' };
const codes = (text: string) => checkLabelFile(text, ctx).map((p) => `${p.line + 1}:${p.code}`);

describe('check: label files', () => {
  it('a canonical file of known labels on existing samples has no problem', () => {
    assert.deepEqual(checkLabelFile(canonicalLabelText([rec('a'), rec('b', { label: 'neg' })]), ctx), []);
    assert.deepEqual(checkLabelFile('', ctx), []);
  });

  it('names the line of each error: conflict markers, bad JSON, bad records, bad time, unknown labels, missing samples, sets in a single-label task', () => {
    const text = [
      line(rec('a')),
      '<<<<<<< HEAD',
      '{"id":"b",',
      '{"id":"c","label":"pos","answer":"maybe","annotator":"ann","time":"t"}',
      line(rec('d', { time: 'yesterday' })),
      line(rec('e', { label: 'neutral' })),
      line(rec('gone')),
      line(rec('f', { label: undefined, labels: ['pos'] })),
      line(rec('g', { label: 'whatever', answer: 'ignore' })),
      '',
    ].join('\n');
    assert.deepEqual(codes(text), ['2:conflict-marker', '3:invalid-json', '4:invalid-record', '5:invalid-time', '6:unknown-label', '7:missing-sample', '8:invalid-record']);
    const problems = checkLabelFile(text, ctx);
    assert.ok(problems.every((p) => p.severity === 'error'));
    assert.match(problems.find((p) => p.code === 'unknown-label')!.message, /'neutral' not in the task's labels \(pos, neg\)/);
    assert.match(formatProblem(problems[0]!), /^d\.labels\.jsonl:2: error: Unresolved git merge conflict marker: .* run `loopmark init`/);
    assert.equal(failing(problems, false), true);
  });

  it('an inferred task (no declared labels) accepts any label; without a dataset, samples are not checked', () => {
    assert.deepEqual(checkLabelFile(`${line(rec('gone', { label: 'neutral' }))}\n`, { file: 'x' }), []);
  });

  it('two decisions of one annotator on one sample after a union merge: reported, the later time counts whatever the line order', () => {
    const early = rec('a', { label: 'neg', time: '2026-12-01T09:00:00.000Z' });
    const late = rec('a', { label: 'pos', time: '2026-12-01T11:00:00.000Z' });
    const text = `${line(late)}\n${line(early)}\n`;
    const problems = checkLabelFile(text, ctx);
    assert.deepEqual(problems.map((p) => `${p.line + 1}:${p.code}:${p.severity}`), ['2:conflicting-decisions:warning', '2:not-canonical:warning']);
    assert.match(problems[0]!.message, /ann on 'a' decided 'neg' \(accept, line 2, 2026-12-01T09:00:00\.000Z\) and 'pos' \(accept, line 1, .*\): the later, line 1, counts/);
    // labels.ts agrees: the later decision is the one loaded and the one compaction keeps.
    assert.equal([...parseLabels(text).records.values()][0]!.label, 'pos');
    assert.equal(canonicalLabelText(parseLabels(text).records.values()), `${line(late)}\n`);
    assert.equal(failing(problems, false), false, 'warnings pass');
    assert.equal(failing(problems, true), true, '--strict fails on them');
  });

  it('the same decision twice is a duplicate, not a conflict', () => {
    const a = rec('a');
    assert.deepEqual(codes(`${line(a)}\n${line({ ...a, time: '2026-12-02T00:00:00.000Z' })}\n${line(rec('b'))}\n`), ['1:not-canonical', '2:duplicate-record']);
  });

  it('not canonical: says how (order, form, line endings, blank line, final newline, BOM)', () => {
    const a = line(rec('a'));
    const b = line(rec('b'));
    const message = (text: string) => checkLabelFile(text, ctx).map((p) => `${p.line + 1}: ${p.message.split(';')[0]}`);
    assert.deepEqual(message(`${b}\n${a}\n`), ['1: records are not in canonical order (sorted by sample id, target and annotator, one per key)']);
    assert.deepEqual(message(`${a}\r\n${b}\r\n`), ['1: has CR line endings, not LF']);
    assert.deepEqual(message(`${a}\n\n${b}\n`), ['2: a blank line']);
    assert.deepEqual(message(`${a}\n${b}`), ['2: no final newline']);
    assert.deepEqual(message(`\uFEFF${a}\n`), ['1: starts with a byte order mark']);
    assert.deepEqual(message(`${JSON.stringify(JSON.parse(a), null, 0).replace('"id":"a"', '"id": "a"')}\n`), ['1: the record is not written in canonical form (key order, spacing, sorted set)']);
  });
});

describe('check: datasets', () => {
  it('invalid lines are errors, a duplicate id a warning naming the first line', () => {
    const dataset = new Dataset(['{"id":"a","text":"x"}', 'nope', '{"id":"b"}', '{"id":"a","text":"y"}', ''].join('\n'), { textField: 'text', idField: 'id' });
    const problems = checkDataset(dataset, 'd.jsonl');
    assert.deepEqual(problems.map((p) => `${p.line + 1}:${p.code}:${p.severity}`), ['2:invalid-sample:error', '3:invalid-sample:error', '4:duplicate-id:warning']);
    assert.match(problems[2]!.message, /'a' was used first on line 1/);
  });

  it('a bad prediction inside a usable sample is a warning, left out for a dataset indexed from disk', () => {
    const dataset = new Dataset('{"id":"c","text":"z","prediction":{"label":"pos","score":7}}\n', { textField: 'text', idField: 'id' });
    assert.deepEqual(checkDataset(dataset, 'd.jsonl').map((p) => `${p.line + 1}:${p.code}:${p.severity}`), ['1:invalid-sample:warning']);
    assert.deepEqual(checkDataset(dataset, 'd.jsonl', { warnings: false }), []);
  });
});

describe('check: thresholds', () => {
  const records = [rec('s1'), rec('s1', { annotator: 'bob', label: 'neg' }), rec('s2', { label: 'neg' }), rec('s2', { annotator: 'bob', label: 'neg' }),
    rec('s3'), rec('s3', { annotator: 'bob' })];
  it("--min-agreement compares Cohen's kappa for two annotators", () => {
    // po = 2/3; ann: pos 2, neg 1; bob: neg 2, pos 1 -> pe = (2*1 + 1*2) / 9 = 4/9; kappa = (6/9 - 4/9) / (5/9) = 0.4.
    const problem = agreementProblem(agreementReport(records), 0.7, 'd.jsonl')!;
    assert.match(problem.message, /Cohen's kappa 0\.400 is below --min-agreement 0\.7 \(3 samples decided by two or more of ann, bob/);
    assert.equal(agreementProblem(agreementReport(records), 0.39, 'd.jsonl'), undefined);
    assert.equal(agreementProblem(agreementReport([rec('s1')]), 0.7, 'd'), undefined, 'nothing to measure is not a failure');
  });
  it('--max-unreviewed', () => {
    assert.equal(unreviewedProblem(3, 3, 'd'), undefined);
    assert.match(unreviewedProblem(4, 3, 'd')!.message, /4 samples have no decision yet, more than --max-unreviewed 3/);
  });
});

describe('check: .gitattributes', () => {
  it('patterns from label file templates', () => {
    assert.equal(labelFilePattern('${dir}/${name}.labels.jsonl'), '*.labels.jsonl');
    assert.equal(labelFilePattern('labels/${name}.jsonl'), '/labels/*.jsonl');
    assert.equal(labelFilePattern('${dir}/labels/${name}.jsonl'), '**/labels/*.jsonl', "${dir} is any folder, the root's too");
    assert.equal(mergesByUnion('**/labels/*.jsonl merge=union', 'labels/x.jsonl'), true);
    assert.equal(mergesByUnion('**/labels/*.jsonl merge=union', 'a/b/labels/x.jsonl'), true);
    assert.deepEqual(labelFilePatterns([{ labelFile: '${dir}/${name}.labels.jsonl' }, { labelFile: 'labels/${name}.jsonl' }]), ['*.labels.jsonl', '/labels/*.jsonl']);
  });

  it('adds each line once, keeps what is there', () => {
    const once = withUnionLines('*.png binary', ['*.labels.jsonl']);
    assert.equal(once, "*.png binary\n# Loopmark: label files of two branches merge by keeping both sides' lines (see `loopmark check`)\n*.labels.jsonl merge=union\n");
    assert.equal(withUnionLines(once, ['*.labels.jsonl']), once, 'idempotent');
    assert.equal(withUnionLines('*.labels.jsonl   merge=union\n', ['*.labels.jsonl']), '*.labels.jsonl   merge=union\n');
    assert.equal(unionLine('*.labels.jsonl'), '*.labels.jsonl merge=union');
  });

  it("follows git's pattern rules: a name at any depth, a path from the root, the last line wins", () => {
    assert.equal(mergesByUnion('*.labels.jsonl merge=union\n', 'data/deep/x.labels.jsonl'), true);
    assert.equal(mergesByUnion('/labels/*.jsonl merge=union\n', 'labels/x.jsonl'), true);
    assert.equal(mergesByUnion('/labels/*.jsonl merge=union\n', 'data/labels/x.jsonl'), false);
    assert.equal(mergesByUnion('*.labels.jsonl merge=union\ndata/*.labels.jsonl -merge\n', 'data/x.labels.jsonl'), false);
    assert.equal(mergesByUnion('*.jsonl text\n', 'x.labels.jsonl'), false);
    assert.equal(mergesByUnion('', 'x.labels.jsonl'), false);
  });
});
