// Teams through git, in a real repository: two annotators label overlapping samples on two branches
// (through the loopmark bin and through the language server, as git's user.email), and the same
// annotator labels on a third branch, changing one decision. `git merge` must report no conflict (the
// label file is created on two branches: an add/add; then changed on both), lose no label, resolve the
// decision made twice to the later one and report it; `loopmark agreement` must give the kappa
// computed by hand; the next write makes the file canonical and `loopmark check --strict` passes.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { parseLabels } from '../../server/src/core/labels';
import { CLI, LspClient } from '../lsp/client';
import { removeWorkspace, tempWorkspace, writeFiles } from '../helpers/workspace';
import { loopmark, TEAM_CONFIG } from '../helpers/team';

function git(cwd: string, ...args: string[]): { status: number; out: string } {
  const r = spawnSync('git', ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], { cwd, encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function ok(cwd: string, ...args: string[]): string {
  const r = git(cwd, ...args);
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.out}`);
  return r.out;
}

// Twelve samples; s7 and s8 carry a low-score prediction, so the server shows a review diagnostic there.
function dataset(): string {
  return Array.from({ length: 12 }, (_, i) => {
    const id = `s${i + 1}`;
    const prediction = id === 's7' ? { label: 'neg', score: 0.6 } : id === 's8' ? { label: 'pos', score: 0.55 } : undefined;
    return JSON.stringify({ id, text: `review ${i + 1}`, ...(prediction ? { prediction } : {}) });
  }).join('\n') + '\n';
}

const ALICE = { s1: 'pos', s2: 'pos', s3: 'neg', s4: 'neg', s5: 'neu', s6: 'pos' }; // + s7 accepted in the server
const BOB = { s1: 'pos', s2: 'neg', s3: 'neg', s4: 'neu', s5: 'neu', s6: 'pos', s7: 'neg' }; // + s8 accepted in the server
const ALICE_LAPTOP = { s2: 'neg', s9: 'pos', s10: 'neu' }; // later: alice changes her mind on s2
// After the merge alice has s1 pos, s2 neg (the later), s3 neg, s4 neg, s5 neu, s6 pos, s7 neg; bob s1..s7 as above.
// On s1..s7 they agree but on s4: po = 6/7. alice pos 2, neg 4, neu 1; bob pos 2, neg 3, neu 2:
// pe = (4 + 12 + 2) / 49 = 18/49; kappa = (42/49 - 18/49) / (31/49) = 24/31. Had alice's older s2 'pos' won, kappa would be 0.5625.
const KAPPA = 24 / 31;

describe('git merges of label files (real git, two annotators, three branches)', function () {
  this.timeout(180_000);
  let root: string;
  const labelFile = () => path.join(root, 'data', 'reviews.labels.jsonl');

  before(function () {
    if (spawnSync('git', ['--version']).status !== 0) throw new Error('git is needed for this test');
  });
  beforeEach(() => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': TEAM_CONFIG, 'data/reviews.jsonl': dataset() });
    ok(root, 'init', '-q', '-b', 'main');
    ok(root, 'config', 'user.name', 'Team');
    ok(root, 'config', 'user.email', 'lead@example.com');
  });
  afterEach(() => removeWorkspace(root));

  function as(email: string): void {
    ok(root, 'config', 'user.email', email);
  }

  function labelWithCli(decisions: Record<string, string>): void {
    for (const [id, label] of Object.entries(decisions)) {
      const out = loopmark(root, 'label', 'data/reviews.jsonl', id, label); // the annotator is git's user.email
      assert.equal(out.status, 0, out.stderr);
    }
  }

  /** Opens the dataset in the language server, pulls diagnostics and runs the quick fix that accepts the prediction on `sampleId`. */
  async function acceptInServer(sampleId: string, label: string): Promise<void> {
    const client = await LspClient.start(root, { env: { LOOPMARK_ANNOTATOR: '' } });
    try {
      const file = path.join(root, 'data', 'reviews.jsonl');
      const uri = await client.open(file, fs.readFileSync(file, 'utf8'));
      const diagnostics = await client.diagnostics(uri);
      const on = diagnostics.find((d: Diagnostic) => (d.data as { sampleId?: string } | undefined)?.sampleId === sampleId);
      assert.ok(on, `a diagnostic on ${sampleId}: ${JSON.stringify(diagnostics.map((d) => d.data))}`);
      const accept = (await client.codeActions(uri, on)).find((a) => a.title === `Accept '${label}'`);
      assert.ok(accept, `an "Accept '${label}'" quick fix on ${sampleId}`);
      await client.run(accept);
    } finally {
      await client.stop(); // the server compacts the label file when it shuts down
    }
  }

  function commit(message: string): void {
    ok(root, 'add', '-A');
    ok(root, 'commit', '-q', '-m', message);
  }

  /** On a new branch from main, as `email`: labels with the bin, then (optionally) accepts a prediction in the server, and commits. */
  async function labelOnBranch(branch: string, email: string, decisions: Record<string, string>, inServer?: [string, string]): Promise<void> {
    ok(root, 'checkout', '-q', 'main');
    assert.ok(!fs.existsSync(labelFile()), 'main has no label file');
    ok(root, 'checkout', '-q', '-b', branch);
    as(email);
    labelWithCli(decisions);
    if (inServer) await acceptInServer(...inServer);
    commit(`${email} labels on ${branch}`);
  }

  it('merges with no conflict, loses no label, resolves and reports the decision made twice, and gives the hand-computed kappa', async () => {
    assert.equal(loopmark(root, 'init').status, 0);
    assert.match(fs.readFileSync(path.join(root, '.gitattributes'), 'utf8'), /^\*\.labels\.jsonl merge=union$/m);
    commit('dataset, loopmark.json, .gitattributes');

    // Each branch starts from main, where there is no label file yet: all three create it (add/add).
    await labelOnBranch('alice', 'alice@example.com', ALICE, ['s7', 'neg']);
    await labelOnBranch('bob', 'bob@example.com', BOB, ['s8', 'pos']);
    await labelOnBranch('alice-laptop', 'alice@example.com', ALICE_LAPTOP);

    ok(root, 'checkout', '-q', 'main');
    as('lead@example.com');
    for (const branch of ['alice', 'bob', 'alice-laptop']) {
      const merge = git(root, 'merge', '--no-edit', branch);
      assert.equal(merge.status, 0, `git merge ${branch}: ${merge.out}`);
      assert.doesNotMatch(merge.out, /CONFLICT/);
      assert.equal(ok(root, 'diff', '--name-only', '--diff-filter=U'), '', 'no unmerged paths');
    }
    assert.equal(ok(root, 'status', '--porcelain'), '', 'merged and committed, nothing left over');

    // No label lost: every decision of every branch is in the file, and it parses.
    const text = fs.readFileSync(labelFile(), 'utf8');
    assert.doesNotMatch(text, /^(<<<<<<<|=======|>>>>>>>)/m);
    const parsed = parseLabels(text);
    assert.deepEqual(parsed.problems, []);
    const decided = new Map([...parsed.records.values()].map((r) => [`${r.annotator} ${r.id}`, r.label]));
    const expected = new Map<string, string>([
      ...Object.entries({ ...ALICE, s7: 'neg', ...ALICE_LAPTOP }).map(([id, l]) => [`alice@example.com ${id}`, l] as [string, string]),
      ...Object.entries({ ...BOB, s8: 'pos' }).map(([id, l]) => [`bob@example.com ${id}`, l] as [string, string]),
    ]);
    assert.deepEqual(new Map([...decided].sort()), new Map([...expected].sort()), "every (annotator, sample); alice's s2 is her later 'neg'");
    assert.equal(text.split('\n').filter((l) => l.includes('"id":"s2"') && l.includes('alice@')).length, 2, 'both of alice\'s s2 decisions are still in the file until the next write');

    // loopmark check reports the decision made twice (a warning), and passes.
    const check = loopmark(root, 'check');
    assert.equal(check.status, 0, check.stdout);
    assert.match(check.stdout, /data\/reviews\.labels\.jsonl:\d+: warning: alice@example\.com on 's2' decided 'pos' \(accept, line \d+, [^)]+\) and 'neg' \(accept, line \d+, [^)]+\): the later, line \d+, counts/);
    assert.match(check.stdout, /warning: .*not in canonical order|warning: records are not/);

    // loopmark agreement: the kappa computed by hand.
    const agreement = loopmark(root, 'agreement', 'data/reviews.jsonl', '--json');
    assert.equal(agreement.status, 0, agreement.stderr);
    const report = JSON.parse(agreement.stdout);
    assert.equal(report.overall.units, 7);
    assert.ok(Math.abs(report.overall.cohenKappa - KAPPA) < 1e-12, `kappa ${report.overall.cohenKappa}, by hand ${KAPPA}`);

    // The next write makes the file canonical again; then check passes even with --strict.
    as('bob@example.com');
    labelWithCli({ s11: 'neu' });
    const after = fs.readFileSync(labelFile(), 'utf8');
    assert.equal(parseLabels(after).canonical, true);
    assert.equal(after.split('\n').filter((l) => l.includes('"id":"s2"') && l.includes('alice@')).length, 1);
    const strict = loopmark(root, 'check', '--strict');
    assert.equal(strict.status, 0, strict.stdout);
    commit('bob labels s11');
  });

  it('the same annotator on two branches that change the same lines of a committed file merges without losing either label', async () => {
    assert.equal(loopmark(root, 'init').status, 0);
    as('alice@example.com');
    labelWithCli({ s1: 'pos', s5: 'neu', s9: 'neg' });
    commit('alice: first labels');
    ok(root, 'checkout', '-q', '-b', 'desktop');
    labelWithCli({ s2: 'pos', s3: 'neg' }); // inserted between s1 and s5
    commit('desktop');
    ok(root, 'checkout', '-q', 'main');
    labelWithCli({ s2: 'neu', s4: 'pos' }); // the same place, and s2 decided again (later)
    commit('main');
    const merge = git(root, 'merge', '--no-edit', 'desktop');
    assert.equal(merge.status, 0, merge.out);
    const records = [...parseLabels(fs.readFileSync(labelFile(), 'utf8')).records.values()];
    assert.deepEqual(records.map((r) => `${r.id}:${r.label}`).sort(), ['s1:pos', 's2:neu', 's3:neg', 's4:pos', 's5:neu', 's9:neg']);
    // Rebase (the other way round) uses the same driver.
    ok(root, 'reset', '-q', '--hard', 'HEAD~1');
    ok(root, 'checkout', '-q', 'desktop');
    const rebase = git(root, 'rebase', 'main');
    assert.equal(rebase.status, 0, rebase.out);
    assert.deepEqual([...parseLabels(fs.readFileSync(labelFile(), 'utf8')).records.values()].map((r) => `${r.id}:${r.label}`).sort(), ['s1:pos', 's2:neu', 's3:neg', 's4:pos', 's5:neu', 's9:neg']);
  });

  it('the pre-commit hook proposed for the README refuses a commit with a broken label file, and lets a good one through', () => {
    assert.equal(loopmark(root, 'init').status, 0);
    commit('base');
    // As in the README, with the bin of this checkout in place of `npx --no-install loopmark`.
    const hook = path.join(root, '.git', 'hooks', 'pre-commit');
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, `#!/bin/sh\ngit diff --cached --name-only --diff-filter=ACMR -z -- '*.jsonl' | xargs -0 -r "${process.execPath}" "${CLI}" check --strict\n`, { mode: 0o755 });
    as('alice@example.com');
    labelWithCli({ s1: 'pos' });
    fs.appendFileSync(labelFile(), '<<<<<<< HEAD\n');
    ok(root, 'add', '-A');
    const refused = spawnSync('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'broken'], { cwd: root, encoding: 'utf8' });
    assert.notEqual(refused.status, 0, 'the hook refuses the commit');
    assert.match(refused.stdout + refused.stderr, /data\/reviews\.labels\.jsonl:2: error: Unresolved git merge conflict marker/, "git shows the hook's output");
    fs.writeFileSync(labelFile(), fs.readFileSync(labelFile(), 'utf8').replace('<<<<<<< HEAD\n', ''));
    ok(root, 'add', '-A');
    const accepted = spawnSync('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'fixed'], { cwd: root, encoding: 'utf8' });
    assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
  });

  it('without the committed .gitattributes the same branches conflict (why `loopmark init` matters)', () => {
    commit('no .gitattributes');
    ok(root, 'checkout', '-q', '-b', 'alice');
    as('alice@example.com');
    labelWithCli({ s1: 'pos' });
    commit('alice');
    ok(root, 'checkout', '-q', 'main');
    as('bob@example.com');
    labelWithCli({ s1: 'neg' });
    commit('bob');
    const merge = git(root, 'merge', '--no-edit', 'alice');
    assert.notEqual(merge.status, 0);
    assert.match(merge.out, /CONFLICT \(add\/add\)/);
    ok(root, 'merge', '--abort');
  });
});
