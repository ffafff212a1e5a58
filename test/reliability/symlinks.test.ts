// Symbolic links must never lead a write outside the workspace: a label file or its folder that is a
// link (committed to a repository, or put there by a checkout after the server started), a dangling
// link, the lock and temp files beside the label file. Real files, real git, the CLI bin and the server.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient, readLabels, Rng, runCli, sampleIdOf, writeDataset } from './harness';

const ANNOTATOR = 'symlinks@example.com';

/** Every file under `dir`, with its bytes, to show that nothing outside changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    if (stat.isFile()) out[name] = fs.readFileSync(file, 'utf8');
    else if (stat.isDirectory()) out[`${name}/`] = '';
  }
  return out;
}

function git(cwd: string, ...args: string[]): string {
  const out = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  if (out.status !== 0) throw new Error(`git ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}

const SEEDED = `${JSON.stringify({ id: sampleIdOf(5), label: 'positive', answer: 'accept', source: 'manual', annotator: 'seed', time: '2026-11-01T10:00:00.000Z' })}\n`;

describe('reliability: symbolic links at write time', function () {
  this.timeout(60_000);
  let base: string;
  let root: string;
  let outside: string;
  const clients: LspClient[] = [];

  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-symlinks-')));
    root = path.join(base, 'workspace');
    outside = path.join(base, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'precious.jsonl'), SEEDED);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  /** A workspace whose task keeps label files in `labels/` (so that folder can be swapped for a link). */
  function workspace(at = root): { dataset: string; text: string } {
    const { file, text } = writeDataset(at, 50, new Rng(3));
    const config = JSON.parse(fs.readFileSync(path.join(at, 'loopmark.json'), 'utf8'));
    config.tasks[0].labelFile = 'labels/${name}.labels.jsonl';
    fs.writeFileSync(path.join(at, 'loopmark.json'), JSON.stringify(config, null, 2));
    return { dataset: file, text };
  }

  async function label(dataset: string, at = root): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runCli(['label', dataset, sampleIdOf(1), 'negative', '--annotator', ANNOTATOR, '--root', at]);
  }

  it('a label file that is a symbolic link to a file outside: refused, naming the link and its target', async () => {
    const { dataset } = workspace();
    fs.mkdirSync(path.join(root, 'labels'));
    const link = path.join(root, 'labels', 'big.labels.jsonl');
    fs.symlinkSync(path.join(outside, 'precious.jsonl'), link);
    const before = snapshot(outside);
    const result = await label(dataset);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(link) && result.stderr.includes(path.join(outside, 'precious.jsonl')), result.stderr);
    assert.deepEqual(snapshot(outside), before, 'nothing written outside');
  });

  it('a label file that is a symbolic link inside the workspace: refused too (a write never follows a link)', async () => {
    const { dataset } = workspace();
    fs.mkdirSync(path.join(root, 'labels'));
    fs.writeFileSync(path.join(root, 'labels', 'real.jsonl'), SEEDED);
    const link = path.join(root, 'labels', 'big.labels.jsonl');
    fs.symlinkSync('real.jsonl', link);
    const result = await label(dataset);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /not saved: Refusing to write .*big\.labels\.jsonl: it is a symbolic link to real\.jsonl/);
    assert.equal(fs.readFileSync(path.join(root, 'labels', 'real.jsonl'), 'utf8'), SEEDED);
    assert.deepEqual(fs.readdirSync(path.join(root, 'labels')).sort(), ['big.labels.jsonl', 'real.jsonl'], 'no lock or temp file left');
  });

  it('a label folder that is a symbolic link to a folder outside: refused, nothing created outside', async () => {
    const { dataset } = workspace();
    fs.symlinkSync(outside, path.join(root, 'labels'), 'dir');
    const before = snapshot(outside);
    const result = await label(dataset);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(path.join(root, 'labels')) && result.stderr.includes(outside), result.stderr);
    assert.match(result.stderr, /symbolic link/);
    assert.deepEqual(snapshot(outside), before);
  });

  for (const what of ['label file', 'label folder'] as const) {
    it(`a dangling ${what} link committed in a git repository: a fresh clone writes nothing outside`, async () => {
      const repo = path.join(base, 'repo');
      const { dataset } = workspace(repo);
      const target = path.join(outside, 'stolen');
      if (what === 'label file') {
        fs.mkdirSync(path.join(repo, 'labels'));
        fs.symlinkSync(path.relative(path.join(repo, 'labels'), `${target}.labels.jsonl`), path.join(repo, 'labels', 'big.labels.jsonl'));
      } else {
        fs.symlinkSync(path.relative(repo, target), path.join(repo, 'labels'));
      }
      git(repo, 'init', '-q');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', 'a dataset and a dangling link');
      const clone = path.join(base, 'clone');
      git(base, 'clone', '-q', repo, clone);
      assert.ok(fs.lstatSync(path.join(clone, 'labels', ...(what === 'label file' ? ['big.labels.jsonl'] : []))).isSymbolicLink(), 'the clone has the link');
      const cloned = path.join(clone, path.relative(repo, dataset));
      const before = snapshot(outside);
      const result = await label(cloned, clone);
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, /dangling link counts as outside the workspace/);
      assert.ok(result.stderr.includes(path.join(clone, 'labels')), result.stderr);
      assert.deepEqual(snapshot(outside), before, 'nothing created outside (no label file, no folder, no lock)');
      // The server refuses it too, with a diagnostic on the dataset instead of writing.
      const client = await LspClient.start(clone, { annotator: ANNOTATOR });
      clients.push(client);
      const uri = await client.open(cloned, fs.readFileSync(cloned, 'utf8'));
      const diagnostics = await client.diagnostics(uri);
      assert.ok(diagnostics.some((d) => /dangling link/.test(d.message)), JSON.stringify(diagnostics.map((d) => d.message)));
      assert.deepEqual(snapshot(outside), before);
    });
  }

  it('a label folder replaced by a link after the server started: the quick fix is refused, nothing written outside', async () => {
    const { dataset, text } = workspace();
    const labels = path.join(root, 'labels');
    fs.mkdirSync(labels);
    fs.writeFileSync(path.join(labels, 'big.labels.jsonl'), SEEDED);
    const client = await LspClient.start(root, { annotator: ANNOTATOR });
    clients.push(client);
    const uri = await client.open(dataset, text);
    const accept = async (sampleId: string): Promise<unknown> => {
      const diagnostic = (await client.diagnostics(uri)).find((d) => (d.data as { sampleId?: string } | undefined)?.sampleId === sampleId);
      assert.ok(diagnostic, `a diagnostic on ${sampleId}`);
      const action = (await client.codeActions(uri, diagnostic)).find((a) => a.title.startsWith('Accept'));
      assert.ok(action);
      return client.run(action);
    };
    await accept(sampleIdOf(1));
    assert.equal(readLabels(path.join(labels, 'big.labels.jsonl')).records.size, 2, 'written while the folder is real');
    // A checkout swaps the folder for a link to a copy outside (same content, so a write there would go unnoticed).
    const moved = path.join(outside, 'labels');
    fs.cpSync(labels, moved, { recursive: true });
    fs.rmSync(labels, { recursive: true });
    fs.symlinkSync(moved, labels, 'dir');
    const before = snapshot(outside);
    await assert.rejects(accept(sampleIdOf(2)), (e: Error) => {
      assert.match(e.message, /not saved: Refusing to write/);
      assert.ok(e.message.includes(labels) && e.message.includes(moved), e.message);
      return true;
    });
    assert.deepEqual(snapshot(outside), before, 'nothing written outside: no label, no lock, no temp file');
    // The same when the label file itself is swapped for a link (the folder real again).
    fs.rmSync(labels);
    fs.mkdirSync(labels);
    fs.symlinkSync(path.join(moved, 'big.labels.jsonl'), path.join(labels, 'big.labels.jsonl'));
    await assert.rejects(accept(sampleIdOf(3)), /not saved: Refusing to write .*: it is a symbolic link to/);
    assert.deepEqual(snapshot(outside), before);
    assert.deepEqual(fs.readdirSync(labels), ['big.labels.jsonl'], 'no lock or temp file left');
  });
});
