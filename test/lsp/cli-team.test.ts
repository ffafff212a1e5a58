// `loopmark agreement`, `loopmark check` and `loopmark init` through the package bin, on a temporary
// workspace with labels written by `loopmark label` for two annotators.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../server/src/core/config';
import { serializeLabel } from '../../server/src/core/labels';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';
import { loopmark, TEAM_CONFIG, teamDataset } from '../helpers/team';

// alice and bob on s1..s6 (bob also on s7): they agree on s1, s3, s4, s5.
const ALICE = { s1: 'pos', s2: 'pos', s3: 'neg', s4: 'neg', s5: 'neu', s6: 'pos' };
const BOB = { s1: 'pos', s2: 'neg', s3: 'neg', s4: 'neg', s5: 'neu', s6: 'neu', s7: 'pos' };
// po = 4/6; alice pos 3 neg 2 neu 1, bob (on s1..s6) pos 1 neg 3 neu 2: pe = (3 + 6 + 2) / 36 = 11/36;
// kappa = (24/36 - 11/36) / (25/36) = 13/25.
const KAPPA = 13 / 25;

describe('loopmark agreement, check, init', function () {
  this.timeout(60_000);
  let root: string;
  const labels = () => path.join(root, 'data', 'reviews.labels.jsonl');

  function label(annotator: string, decisions: Record<string, string>): void {
    for (const [id, l] of Object.entries(decisions)) {
      const out = loopmark(root, 'label', 'data/reviews.jsonl', id, l, '--annotator', annotator);
      assert.equal(out.status, 0, out.stderr);
    }
  }

  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': TEAM_CONFIG, 'data/reviews.jsonl': teamDataset(10) });
  });
  afterEach(() => removeWorkspace(root));

  it("agreement: Cohen's kappa 13/25 computed by hand, per label and per pair, text and --json", () => {
    label('alice@example.com', ALICE);
    label('bob@example.com', BOB);
    const out = loopmark(root, 'agreement', 'data/reviews.jsonl', '--json');
    assert.equal(out.status, 0, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.deepEqual(report.annotators, ['alice@example.com', 'bob@example.com']);
    assert.equal(report.decided, 7);
    assert.equal(report.overall.units, 6);
    assert.ok(Math.abs(report.overall.cohenKappa - KAPPA) < 1e-12, `${report.overall.cohenKappa}`);
    assert.ok(Math.abs(report.overall.observed - 4 / 6) < 1e-12);
    assert.deepEqual(report.perLabel.map((l: { label: string }) => l.label), ['pos', 'neg', 'neu']);
    assert.equal(report.pairwise[0].units, 6);
    const text = loopmark(root, 'agreement', 'data/reviews.jsonl').stdout;
    assert.match(text, /2 annotator\(s\) \(alice@example\.com, bob@example\.com\), 7 sample\(s\) decided, 6 by two or more/);
    assert.match(text, /Cohen's kappa 0\.520/);
  });

  it('check: a clean workspace passes; --min-agreement and --max-unreviewed fail with the figure', () => {
    label('alice@example.com', ALICE);
    label('bob@example.com', BOB);
    const clean = loopmark(root, 'check');
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /1 dataset\(s\) and label file\(s\), 0 error\(s\), 0 warning\(s\)/);
    const low = loopmark(root, 'check', '--min-agreement', '0.7');
    assert.equal(low.status, 1);
    assert.match(low.stdout, /^data\/reviews\.jsonl:1: error: Cohen's kappa 0\.520 is below --min-agreement 0\.7/m);
    assert.equal(loopmark(root, 'check', '--min-agreement', '0.5').status, 0);
    const unreviewed = loopmark(root, 'check', '--max-unreviewed', '2');
    assert.equal(unreviewed.status, 1);
    assert.match(unreviewed.stdout, /3 samples have no decision yet, more than --max-unreviewed 2/);
    assert.equal(loopmark(root, 'check', '--max-unreviewed', '3').status, 0);
    const bad = loopmark(root, 'check', '--min-agreement', 'high');
    assert.notEqual(bad.status, 0, 'a usage error');
    assert.match(bad.stderr, /--min-agreement takes a number, not 'high'/);
  });

  it('check: names file and line of each problem in a label file and exits 1; --json', () => {
    label('alice@example.com', { s1: 'pos' });
    const time = '2026-12-01T10:00:00.000Z';
    fs.appendFileSync(labels(), [
      '<<<<<<< HEAD',
      serializeLabel({ id: 's2', label: 'sarcastic', answer: 'accept', source: 'manual', annotator: 'bob', time }),
      serializeLabel({ id: 's99', label: 'pos', answer: 'accept', source: 'manual', annotator: 'bob', time }),
      '{"id":"s3"',
      '',
    ].join('\n'));
    const out = loopmark(root, 'check', 'data/reviews.labels.jsonl');
    assert.equal(out.status, 1);
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('data/'));
    assert.deepEqual(lines.map((l) => l.replace(/: error: .*\[/, ' [')), [
      'data/reviews.labels.jsonl:2 [conflict-marker]',
      'data/reviews.labels.jsonl:3 [unknown-label]',
      'data/reviews.labels.jsonl:4 [missing-sample]',
      'data/reviews.labels.jsonl:5 [invalid-json]',
    ]);
    const json = JSON.parse(loopmark(root, 'check', '--json').stdout);
    assert.equal(json.ok, false);
    assert.equal(json.errors, 4);
    assert.deepEqual(json.problems.map((p: { line: number }) => p.line), [2, 3, 4, 5], '1-based in JSON as in the text');
  });

  it('check with the files a pre-commit hook passes: datasets and label files are checked, other .jsonl skipped with a note', () => {
    label('alice@example.com', { s1: 'pos' });
    writeFiles(root, { 'data/reviews.predictions.jsonl': '{"id":"s2","label":"pos","score":0.9}\n', 'notes/todo.txt': 'x' });
    const out = loopmark(root, 'check', 'data/reviews.labels.jsonl', 'data/reviews.predictions.jsonl', 'notes/todo.txt');
    assert.equal(out.status, 0, out.stdout);
    assert.match(out.stdout, /^note: data\/reviews\.predictions\.jsonl: not a dataset or label file of the workspace .*: skipped$/m);
    assert.match(out.stdout, /^note: notes\/todo\.txt: not a dataset or label file/m);
    assert.match(out.stdout, /1 dataset\(s\) and label file\(s\), 0 error\(s\)/);
    // A label file whose dataset is gone is still checked, by its name.
    writeFiles(root, { 'data/old.labels.jsonl': 'not json\n' });
    const orphan = loopmark(root, 'check', 'data/old.labels.jsonl');
    assert.equal(orphan.status, 1);
    assert.match(orphan.stdout, /^data\/old\.labels\.jsonl:1: error: Not valid JSON: /m);
  });

  it('check: two decisions of one annotator (a merge) are a warning naming both lines; --fix keeps the later and reports it', () => {
    label('alice@example.com', { s1: 'pos', s2: 'neg' });
    const early = serializeLabel({ id: 's1', label: 'neg', answer: 'accept', source: 'manual', annotator: 'alice@example.com', time: '2020-01-01T00:00:00.000Z' });
    fs.appendFileSync(labels(), `${early}\n`);
    const warned = loopmark(root, 'check');
    assert.equal(warned.status, 0, 'resolved deterministically: a warning, not a failure');
    assert.match(warned.stdout, /reviews\.labels\.jsonl:3: warning: alice@example\.com on 's1' decided 'neg' \(accept, line 3, 2020-01-01T00:00:00\.000Z\) and 'pos' \(accept, line 1, [^)]*\): the later, line 1, counts/);
    assert.equal(loopmark(root, 'check', '--strict').status, 1);
    const fixed = loopmark(root, 'check', '--fix', '--strict');
    assert.equal(fixed.status, 0, fixed.stdout);
    assert.match(fixed.stdout, /^fixed: data\/reviews\.labels\.jsonl:3: warning: alice@example\.com on 's1'/m);
    const after = fs.readFileSync(labels(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(after.map((r) => [r.id, r.label]), [['s1', 'pos'], ['s2', 'neg']]);
  });

  it('check in a git repository: a label file that .gitattributes does not merge by union is a warning until `loopmark init`', () => {
    spawnSync('git', ['init', '-q'], { cwd: root });
    label('alice@example.com', { s1: 'pos' });
    const before = loopmark(root, 'check');
    assert.match(before.stdout, /data\/reviews\.labels\.jsonl:1: warning: not merged with `merge=union` by \.gitattributes/);
    assert.equal(loopmark(root, 'init').status, 0);
    const after = loopmark(root, 'check', '--strict');
    assert.equal(after.status, 0, after.stdout);
  });

  it('check: a loopmark.json error fails the check on its line', () => {
    fs.writeFileSync(path.join(root, 'loopmark.json'), TEAM_CONFIG.replace('"name": "reviews"', '"name": "reviews",\n      "threshold": "high"'));
    const out = loopmark(root, 'check');
    assert.equal(out.status, 1);
    assert.match(out.stdout, /^loopmark\.json:5: error: .*threshold.* \[config\]$/m);
  });

  it('init: .gitattributes gets its line once; an existing loopmark.json is kept', () => {
    fs.writeFileSync(path.join(root, '.gitattributes'), '*.png binary\n');
    const first = loopmark(root, 'init');
    assert.equal(first.status, 0, first.stderr);
    const once = fs.readFileSync(path.join(root, '.gitattributes'), 'utf8');
    assert.match(once, /^\*\.png binary\n# Loopmark: .*\n\*\.labels\.jsonl merge=union\n$/);
    const second = loopmark(root, 'init');
    assert.equal(second.status, 0);
    assert.match(second.stdout, /already merges label files by union/);
    assert.equal(fs.readFileSync(path.join(root, '.gitattributes'), 'utf8'), once, 'idempotent');
    assert.equal(fs.readFileSync(path.join(root, 'loopmark.json'), 'utf8'), TEAM_CONFIG, 'never overwritten');
    assert.match(second.stdout, /loopmark\.json: kept as it is/);
  });

  it('init without loopmark.json writes the inferred one, with the labels the data uses, that parses without a problem', () => {
    fs.rmSync(path.join(root, 'loopmark.json'));
    fs.mkdirSync(path.join(root, '.git'));
    label('alice@example.com', { s1: 'pos', s2: 'neg' });
    const out = loopmark(root, 'init');
    assert.equal(out.status, 0, out.stderr);
    const config = parseConfig(fs.readFileSync(path.join(root, 'loopmark.json'), 'utf8'));
    assert.deepEqual(config.problems, []);
    assert.deepEqual(config.tasks.map((t) => [t.name, t.labels.map((l) => l.name)]), [['default', ['neg', 'pos']]]);
    assert.match(fs.readFileSync(path.join(root, '.gitattributes'), 'utf8'), /^\*\.labels\.jsonl merge=union$/m);
  });
});
