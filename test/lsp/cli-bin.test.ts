// The `loopmark` command as users run it: the package's bin (bin/loopmark.js) and `npx loopmark`,
// never the bundle it loads. A bin that printed nothing and exited 0 looked like success.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, LspClient } from './client';
import { removeWorkspace, REPO, tempWorkspace } from '../helpers/workspace';

function run(command: string, args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const out = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, LOOPMARK_ANNOTATOR: 'ci@example.com' } });
  return { status: out.status ?? -1, stdout: out.stdout, stderr: out.stderr };
}

describe('the loopmark bin, as users run it', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => (root = tempWorkspace(path.join(REPO, 'demo'))));
  afterEach(() => removeWorkspace(root));

  it('the package bin is bin/loopmark.js, and it is what the tests call', () => {
    const pkg = require(path.join(REPO, 'package.json')) as { bin: Record<string, string> };
    assert.equal(path.resolve(REPO, pkg.bin['loopmark']!), CLI);
  });

  it('`npx loopmark --version` and `--help` answer (exit 0, non-empty)', () => {
    const version = run('npx', ['--no-install', 'loopmark', '--version'], REPO);
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\s*$/);
    const help = run('npx', ['--no-install', 'loopmark', '--help'], REPO);
    assert.equal(help.status, 0, help.stderr);
    for (const command of ['lsp', 'stats', 'label', 'eval', 'predict', 'queue', 'simulate']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('`npx loopmark stats` counts a copy of the committed demo', () => {
    const out = run('npx', ['--no-install', '--prefix', REPO, 'loopmark', 'stats', 'data/reviews.jsonl', '--json'], root);
    assert.equal(out.status, 0, out.stderr);
    const stats = JSON.parse(out.stdout) as { samples: number };
    assert.equal(stats.samples, 30);
  });

  it('no command, or an unknown one, is an error with the usage, never a silent exit 0', () => {
    const none = run(process.execPath, [CLI], root);
    assert.notEqual(none.status, 0);
    assert.match(none.stdout + none.stderr, /Usage: loopmark/);
    const unknown = run(process.execPath, [CLI, 'lable', 'data/reviews.jsonl'], root);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown command 'lable'/);
  });

  it('`loopmark lsp --stdio` through the bin answers initialize and serves diagnostics', async () => {
    const client = await LspClient.start(root);
    try {
      const file = path.join(root, 'data', 'reviews.jsonl');
      const uri = await client.open(file, fs.readFileSync(file, 'utf8'));
      const diagnostics = await client.diagnostics(uri);
      assert.ok(diagnostics.length > 0, 'the demo dataset has diagnostics');
    } finally {
      await client.stop();
    }
  });
});
