// Files changed behind the server's back, with a client that sends no watched-file events (as
// Neovim's does not by default): real `git checkout`, `git stash` and `git merge` change label files
// and loopmark.json, and the server sees it by itself within a second. A label file replaced by a
// directory, a broken loopmark.json and labels whose sample is gone are each one clear message.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { CLI, LspClient, uriOf } from './client';
import { removeWorkspace, tempWorkspace, until, writeFiles } from '../helpers/workspace';

const CONFIG = { tasks: [{ name: 'sentiment', files: ['data/*.jsonl'], labels: ['positive', 'negative', 'neutral'] }] };
const RECORDS = ['great battery', 'broke after a week', 'it is a watch', 'love the strap'].map((text, i) => JSON.stringify({ id: `r${i + 1}`, text, prediction: { label: 'positive', score: 0.5 } }));

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
}

function label(root: string, id: string, name: string): void {
  execFileSync(process.execPath, [CLI, 'label', 'data/reviews.jsonl', id, name, '--annotator', 'cli@example.com'], { cwd: root, encoding: 'utf8' });
}

const reviewed = (diagnostics: readonly Diagnostic[]): string[] => diagnostics.filter((d) => d.code === 'review').map((d) => (d.data as { sampleId: string }).sampleId).sort();

describe('language server over stdio: files changed behind its back', function () {
  this.timeout(60_000);
  let root: string;
  let client: LspClient;
  let uri: string;

  beforeEach(async () => {
    root = tempWorkspace();
    writeFiles(root, { 'loopmark.json': JSON.stringify(CONFIG), 'data/reviews.jsonl': `${RECORDS.join('\n')}\n` });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '.');
    git(root, 'commit', '-qm', 'dataset');
    client = await LspClient.start(root, { annotator: 'cli@example.com' });
    const file = path.join(root, 'data', 'reviews.jsonl');
    uri = await client.open(file, fs.readFileSync(file, 'utf8'));
    assert.deepEqual(reviewed(await client.diagnostics(uri)), ['r1', 'r2', 'r3', 'r4']);
  });
  afterEach(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('git checkout of a branch with labels, and back: the editor follows within a second', async () => {
    git(root, 'checkout', '-qb', 'alice');
    label(root, 'r1', 'positive');
    label(root, 'r2', 'negative');
    git(root, 'add', '.');
    git(root, 'commit', '-qm', 'alice labels');
    await until('the CLI labels show', async () => (reviewed(await client.diagnostics(uri)).join() === 'r3,r4' ? true : undefined), 2000);
    git(root, 'checkout', '-q', 'main');
    const started = Date.now();
    await until('main has no labels', async () => (reviewed(await client.diagnostics(uri)).length === 4 ? true : undefined), 2000);
    assert.ok(Date.now() - started < 1500, `seen in ${Date.now() - started} ms`);
    git(root, 'merge', '-q', 'alice');
    await until('the merged labels show', async () => (reviewed(await client.diagnostics(uri)).join() === 'r3,r4' ? true : undefined), 2000);
  });

  it('git stash and stash pop of a label', async () => {
    label(root, 'r3', 'neutral');
    await until('the label shows', async () => (reviewed(await client.diagnostics(uri)).includes('r3') ? undefined : true), 2000);
    git(root, 'stash', '-u', '-q');
    await until('stashed: gone', async () => (reviewed(await client.diagnostics(uri)).includes('r3') ? true : undefined), 2000);
    git(root, 'stash', 'pop', '-q');
    await until('popped: back', async () => (reviewed(await client.diagnostics(uri)).includes('r3') ? undefined : true), 2000);
  });

  it('loopmark.json changed by git: a label added on a branch is known after checkout', async () => {
    git(root, 'checkout', '-qb', 'mixed');
    writeFiles(root, { 'loopmark.json': JSON.stringify({ tasks: [{ ...CONFIG.tasks[0]!, labels: [...CONFIG.tasks[0]!.labels, 'mixed'] }] }) });
    git(root, 'commit', '-qam', 'mixed label');
    const decide = (): Promise<unknown> => client.request('workspace/executeCommand', { command: 'loopmark.server.applyLabel', arguments: [{ uri, decision: { sampleId: 'r4', label: 'mixed', answer: 'accept' } }] });
    await until('the new label is accepted', async () => decide().then(() => true, () => undefined), 2000);
  });

  it('a label file replaced by a directory is one clear error; the rest keeps working', async () => {
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    fs.mkdirSync(labelFile);
    const diagnostics = await until('the label file error', async () => {
      const d = await client.diagnostics(uri);
      return d.some((x) => x.code === 'label-file') ? d : undefined;
    }, 2000);
    const error = diagnostics.find((d) => d.code === 'label-file')!;
    assert.match(error.message, /reviews\.labels\.jsonl cannot be read \(it is a directory, not a label file\)/);
    assert.equal(reviewed(diagnostics).length, 4, 'the samples still show');
    await assert.rejects(
      client.request('workspace/executeCommand', { command: 'loopmark.server.applyLabel', arguments: [{ uri, decision: { sampleId: 'r1', label: 'positive', answer: 'accept' } }] }),
      /cannot be read \(it is a directory/,
    );
    assert.ok((await client.hover(uri, 0)) !== null, 'hovers still answer');
  });

  it('a broken loopmark.json: a label is refused with a clear reason, not an internal error', async () => {
    fs.writeFileSync(path.join(root, 'loopmark.json'), '{ "tasks": [ { "name": ');
    const configDiagnostics = await until('the config error', async () => {
      const d = await client.diagnostics(uriOf(path.join(root, 'loopmark.json')));
      return d.length > 0 ? d : undefined;
    }, 2000);
    assert.match(configDiagnostics[0]!.message, /^loopmark\.json: /);
    await assert.rejects(
      client.request('workspace/executeCommand', { command: 'loopmark.server.applyLabel', arguments: [{ uri, decision: { sampleId: 'r1', label: 'positive', answer: 'accept' } }] }),
      (e: Error & { code?: number }) => e.code === -32602 && /not a dataset/.test(e.message) && !/at \w+ \(/.test(e.message),
    );
  });

  it('labels whose sample is gone are kept and reported on the label file and in the status', async () => {
    label(root, 'r2', 'negative');
    const datasetFile = path.join(root, 'data', 'reviews.jsonl');
    fs.writeFileSync(datasetFile, `${RECORDS.filter((_, i) => i !== 1).join('\n')}\n`);
    await client.change(uri, [{ text: fs.readFileSync(datasetFile, 'utf8') }]);
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    const orphans = await until('the orphan warning', async () => {
      const d = await client.diagnostics(uriOf(labelFile));
      return d.some((x) => x.code === 'orphaned-label') ? d : undefined;
    }, 2000);
    assert.match(orphans[0]!.message, /No sample with id 'r2'/);
    const status = await client.request<{ orphaned?: number }>('loopmark/status', { uri });
    assert.equal(status.orphaned, 1);
    assert.match(fs.readFileSync(labelFile, 'utf8'), /"id":"r2"/, 'the label is still on disk');
  });

  it('asks a client that can watch files to do it (dynamic registration)', async () => {
    const watching = await LspClient.start(root, { watchesFiles: true });
    try {
      const registration = await until('the registration', () => watching.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles'));
      assert.deepEqual(registration.registerOptions, { watchers: [{ globPattern: '**/*' }] });
    } finally {
      await watching.stop();
    }
  });
});
