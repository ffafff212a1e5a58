// Clients that do not pull diagnostics (Neovim before 0.10, Emacs eglot, Sublime LSP, Helix) get them
// pushed (textDocument/publishDiagnostics): the same diagnostics a pull client gets, again after a
// quick fix, an edit or a label written elsewhere, and around the visible lines of a large dataset.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient } from './client';
import { removeWorkspace, REPO, tempWorkspace, until, writeFiles } from '../helpers/workspace';

function comparable(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character} ${String(d.code)} ${d.message}`).sort();
}

describe('language server over stdio: push diagnostics for clients without pull', function () {
  this.timeout(60_000);
  let root: string;
  let push: LspClient;

  beforeEach(async () => {
    root = tempWorkspace(path.join(REPO, 'demo'));
    push = await LspClient.start(root, { diagnostics: 'push', annotator: 'nvim@example.com' });
  });
  afterEach(async () => {
    await push.stop();
    removeWorkspace(root);
  });

  it('announces no diagnostic provider, and publishes what a pull client gets when a dataset opens', async () => {
    assert.equal(push.capabilities['diagnosticProvider'], undefined, 'a push client is not offered pull diagnostics');
    const file = path.join(root, 'data', 'reviews.jsonl');
    const uri = await push.open(file, fs.readFileSync(file, 'utf8'));
    const published = await until('published diagnostics', () => push.published(uri));
    assert.ok(published.diagnostics.length > 0);
    assert.equal(published.version, 1, 'the diagnostics say which version they are for');
    const pull = await LspClient.start(root, { annotator: 'nvim@example.com' });
    try {
      const pullUri = await pull.open(file, fs.readFileSync(file, 'utf8'));
      assert.deepEqual(comparable(published.diagnostics), comparable(await pull.diagnostics(pullUri)));
    } finally {
      await pull.stop();
    }
  });

  it('publishes again after a quick fix: the labeled sample has no review diagnostic left', async () => {
    const file = path.join(root, 'data', 'reviews.jsonl');
    const uri = await push.open(file, fs.readFileSync(file, 'utf8'));
    const first = await until('published diagnostics', () => push.published(uri));
    const review = first.diagnostics.find((d) => d.code === 'review')!;
    const sampleId = (review.data as { sampleId: string }).sampleId;
    const count = push.publishCount(uri);
    const [accept] = await push.codeActions(uri, review);
    await push.run(accept!);
    const after = await until('diagnostics published after the label', () => (push.publishCount(uri) > count ? push.published(uri) : undefined));
    assert.ok(!after.diagnostics.some((d) => (d.data as { sampleId?: string } | undefined)?.sampleId === sampleId && d.code === 'review'), 'the accepted sample is labeled now');
    const labels = fs.readFileSync(path.join(root, 'data', 'reviews.labels.jsonl'), 'utf8');
    assert.match(labels, new RegExp(`"id":"${sampleId}".*"annotator":"nvim@example.com"`));
  });

  it('publishes after an incremental edit, for the edited version', async () => {
    const file = path.join(root, 'data', 'reviews.jsonl');
    const text = fs.readFileSync(file, 'utf8');
    const uri = await push.open(file, text);
    await until('published diagnostics', () => push.published(uri));
    // Break the first line's JSON: an invalid-json error appears on line 0.
    await push.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: '' }]);
    const edited = await until('diagnostics of version 2', () => (push.published(uri)?.version === 2 ? push.published(uri) : undefined));
    assert.ok(edited.diagnostics.some((d) => d.code === 'invalid-json' && d.range.start.line === 0));
  });

  it('publishes when a label file changes on disk (the CLI, git), after the watched-file event', async () => {
    const file = path.join(root, 'data', 'reviews.jsonl');
    const uri = await push.open(file, fs.readFileSync(file, 'utf8'));
    const first = await until('published diagnostics', () => push.published(uri));
    const review = first.diagnostics.find((d) => d.code === 'review')!;
    const sampleId = (review.data as { sampleId: string }).sampleId;
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    fs.appendFileSync(labelFile, `${JSON.stringify({ id: sampleId, label: 'neutral', answer: 'accept', annotator: 'nvim@example.com', time: '2026-01-01T00:00:00.000Z', source: 'manual' })}\n`);
    await push.fileChanged(labelFile);
    await until('the label written elsewhere shows', () => (push.published(uri)?.diagnostics.some((d) => (d.data as { sampleId?: string } | undefined)?.sampleId === sampleId && d.code === 'review') === false ? true : undefined));
  });

  it('focuses a large dataset on the visible lines, as for pull clients', async () => {
    const labels = ['positive', 'negative', 'neutral'];
    const text = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: `s${i}`, text: `sample number ${i}`, prediction: { label: labels[i % 3], score: 0.5 } })).join('\n') + '\n';
    writeFiles(root, { 'data/reviews-big.jsonl': text });
    const uri = await push.open(path.join(root, 'data', 'reviews-big.jsonl'), text);
    const lines = (d: readonly Diagnostic[]): number[] => d.filter((x) => x.code !== 'more-to-review').map((x) => x.range.start.line);
    const first = await until('published diagnostics', () => push.published(uri));
    assert.ok(first.diagnostics.length > 0 && Math.max(...lines(first.diagnostics)) <= 300, 'only around the top before the editor says what it shows');
    assert.ok(first.diagnostics.some((d) => d.code === 'more-to-review'), 'with a summary of the rest');
    await push.connection.sendNotification('loopmark/visibleRanges', { uri, ranges: [[3000, 3040]] });
    const scrolled = await until('diagnostics around line 3000', () => (push.published(uri) && lines(push.published(uri)!.diagnostics).some((l) => l >= 3000 && l <= 3040) ? push.published(uri) : undefined));
    assert.equal(lines(scrolled.diagnostics).filter((l) => l >= 2900 && l <= 3140).length, 241);
  });
});
