// Smaller defects of the annotator's loop, through the bin and the server as users meet them: a skip
// is no label, `--answer ignore` needs no label, and a labeled sample's
// hover does not speak of a diagnostic it does not have.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, LspClient } from './client';
import { removeWorkspace, REPO, tempWorkspace } from '../helpers/workspace';
import { hoverMarkdown } from '../../server/src/core/kinds/classify/hover';
import { inferredTask } from '../../server/src/core/config';

function cli(root: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, LOOPMARK_ANNOTATOR: 'ci@example.com' } });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

describe('small defects of the annotator loop', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => (root = tempWorkspace(path.join(REPO, 'demo'))));
  afterEach(() => removeWorkspace(root));

  it('`loopmark label … --answer ignore` needs no label; a skip is counted as skipped, not labeled', async () => {
    const skipped = cli(root, 'label', 'data/reviews.jsonl', 'r004', '--answer', 'ignore');
    assert.equal(skipped.status, 0, skipped.stderr);
    assert.match(skipped.stdout, /"id":"r004","label":"","answer":"ignore"/);
    assert.equal(cli(root, 'label', 'data/reviews.jsonl', 'r001', 'positive').status, 0);
    const client = await LspClient.start(root, { annotator: 'ci@example.com' });
    try {
      const file = path.join(root, 'data', 'reviews.jsonl');
      const uri = await client.open(file, fs.readFileSync(file, 'utf8'));
      const status = await client.request<{ labeled: number; skipped?: number; needsReview: number; total: number }>('loopmark/status', { uri });
      assert.equal(status.labeled, 1);
      assert.equal(status.skipped, 1);
      assert.equal(status.needsReview, status.total - 2);
    } finally {
      await client.stop();
    }
  });

  it('the hover of a labeled sample marks the prediction Loopmark uses, not a diagnostic it does not show', () => {
    const task = { ...inferredTask([{ name: 'pos' }, { name: 'neg' }]), name: 't' };
    const file = { label: 'pos', score: 0.9, origin: 'file' as const };
    const model = { label: 'neg', score: 0.7, origin: 'model' as const };
    const base = { sample: { id: 'a', fromText: false, text: 'x' }, line: 0, task, labels: [], filePrediction: file, modelPrediction: model, shown: file };
    assert.match(hoverMarkdown(base), /← shown as the diagnostic/);
    const current = { id: 'a', label: 'pos', answer: 'accept' as const, annotator: 'ann', time: 't', source: 'prediction' as const };
    const labeled = hoverMarkdown({ ...base, labels: [current], current });
    assert.doesNotMatch(labeled, /shown as the diagnostic/);
    assert.match(labeled, /← the prediction Loopmark uses/);
  });
});
