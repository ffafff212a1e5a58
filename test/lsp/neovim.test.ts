// Neovim as a second real client: Debian's nvim 0.7.2 headless, with the setup docs/neovim.md shows
// and its built-in LSP client only (push diagnostics, no file watcher registration). The Lua driver
// (neovim/driver.lua) acts as the user; this side checks the disk and labels a sample with the CLI.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './client';
import { removeWorkspace, REPO, tempWorkspace } from '../helpers/workspace';

const DOCS = path.join(REPO, 'docs', 'neovim.md');
const DRIVER = path.join(REPO, 'test', 'lsp', 'neovim', 'driver.lua');
const DOCS_CMD = "cmd = { 'npx', '--no-install', 'loopmark', 'lsp', '--stdio' }";
const DOCS_ANNOTATOR = "annotator = 'you@example.com'";
// The whole nvim run: 4.6 s on this machine; each step inside waits at most 20 s.
const NVIM_LIMIT_MS = 60_000;

interface Published { lnum: number; code: string; source: string; message: string; sampleId: string | null }

/** The documented setup, with the server started through this repository's bin instead of npx. */
function initLua(): string {
  const docs = fs.readFileSync(DOCS, 'utf8');
  const setup = /```lua\n([\s\S]*?)```/.exec(docs)?.[1];
  assert.ok(setup, `${DOCS} has no lua block`);
  assert.ok(setup.includes(DOCS_CMD) && setup.includes(DOCS_ANNOTATOR), `${DOCS}: the setup no longer has ${DOCS_CMD} and ${DOCS_ANNOTATOR}`);
  const cmd = `cmd = { ${[process.execPath, CLI, 'lsp', '--stdio'].map((a) => JSON.stringify(a)).join(', ')} }`;
  return `${setup.replace(DOCS_CMD, cmd).replace(DOCS_ANNOTATOR, "annotator = 'nvim@example.com'")}\ndofile(${JSON.stringify(DRIVER)})\n`;
}

function requireNvim(): void {
  const probe = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('nvim (Neovim 0.7 or later) is not installed: run `apt-get install -y neovim` (scripts/install-vscode-host.sh does it in CI)');
  }
}

class NvimRun {
  stdout = '';
  stderr = '';
  exit: number | null | undefined = undefined;
  private readonly child: ChildProcess;
  private readonly timer: NodeJS.Timeout;

  constructor(root: string, readonly reports: string, home: string, dataset: string) {
    const init = path.join(home, 'init.lua');
    fs.writeFileSync(init, initLua());
    // Cache, state and data (the LSP log among them) go to the test's own folder, not the user's.
    const env = { ...process.env, LOOPMARK_NVIM_REPORTS: reports, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_STATE_HOME: home, XDG_DATA_HOME: home };
    this.child = spawn('nvim', ['--headless', '-i', 'NONE', '-u', init, dataset], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('exit', (code) => (this.exit = code));
    this.timer = setTimeout(() => this.child.kill('SIGKILL'), NVIM_LIMIT_MS);
  }

  /** What nvim said, its failure report, and the tail of its LSP log: why a step did not come. */
  messages(home: string): string {
    const failure = path.join(this.reports, 'failure.json');
    const log = path.join(home, 'nvim', 'lsp.log');
    return [
      `nvim exit: ${String(this.exit)}`,
      fs.existsSync(failure) ? `driver: ${fs.readFileSync(failure, 'utf8')}` : 'driver: no failure report',
      `stdout: ${this.stdout}`,
      `stderr: ${this.stderr}`,
      fs.existsSync(log) ? `lsp.log (tail): ${fs.readFileSync(log, 'utf8').slice(-3000)}` : 'no lsp.log',
    ].join('\n');
  }

  /** Polls for a report of the driver; fails with nvim's messages if nvim exits or the limit passes first. */
  async report<T>(name: string, home: string): Promise<T> {
    const file = path.join(this.reports, name);
    for (;;) {
      if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
      if (this.exit !== undefined) throw new Error(`nvim ended before reporting ${name}\n${this.messages(home)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async exited(home: string): Promise<number | null> {
    while (this.exit === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    clearTimeout(this.timer);
    if (this.exit !== 0) throw new Error(`nvim exited with ${String(this.exit)}\n${this.messages(home)}`);
    return this.exit;
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.exit === undefined) this.child.kill('SIGKILL');
  }
}

function labelLines(file: string): Array<Record<string, unknown>> {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Neovim 0.7 headless as an LSP client (docs/neovim.md)', function () {
  this.timeout(NVIM_LIMIT_MS + 30_000);
  let root: string;
  let home: string;
  let nvim: NvimRun | undefined;

  beforeEach(() => {
    requireNvim();
    root = tempWorkspace(path.join(REPO, 'demo'));
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-nvim-'));
  });
  afterEach(() => {
    nvim?.stop();
    removeWorkspace(root);
    removeWorkspace(home);
  });

  it('opens a dataset, receives pushed diagnostics, applies Accept, sees a label the CLI wrote, hovers, and diagnoses an edit', async () => {
    const reports = path.join(home, 'reports');
    fs.mkdirSync(reports);
    const labelFile = path.join(root, 'data', 'reviews.labels.jsonl');
    assert.equal(fs.existsSync(labelFile), false, 'the demo starts with no review labels');
    nvim = new NvimRun(root, reports, home, path.join('data', 'reviews.jsonl'));

    const { diagnostics } = await nvim.report<{ diagnostics: Published[] }>('diagnostics.json', home);
    const reviews = diagnostics.filter((d) => d.code === 'review');
    assert.ok(reviews.length >= 2, `two samples to review at least, got ${reviews.length}`);
    assert.ok(diagnostics.every((d) => d.source === 'loopmark' && d.sampleId), 'each diagnostic is Loopmark\'s and carries its sample id');
    assert.match(reviews[0]!.message, /^Review: predicted '(\w+)'/);

    const accepted = await nvim.report<{ sampleId: string; offered: string[] }>('accepted.json', home);
    assert.equal(accepted.sampleId, reviews[0]!.sampleId);
    const predicted = /predicted '(\w+)'/.exec(reviews[0]!.message)![1]!;
    assert.equal(accepted.offered[0], `Accept '${predicted}'`, 'the first quick fix accepts the prediction');
    const written = labelLines(labelFile);
    assert.equal(written.length, 1);
    assert.deepEqual(
      { id: written[0]!['id'], label: written[0]!['label'], answer: written[0]!['answer'], source: written[0]!['source'], annotator: written[0]!['annotator'] },
      { id: accepted.sampleId, label: predicted, answer: 'accept', source: 'prediction', annotator: 'nvim@example.com' },
      'the Accept quick fix wrote the prediction as nvim\'s annotator (init_options) chose',
    );

    // Another sample, labeled from outside the editor: only the server's own watcher can notice.
    const other = reviews[1]!.sampleId!;
    const cli = spawnSync(process.execPath, [CLI, 'label', path.join('data', 'reviews.jsonl'), other, 'negative', '--annotator', 'cli@example.com'], { cwd: root, encoding: 'utf8' });
    assert.equal(cli.status, 0, `loopmark label failed: ${cli.stderr}`);
    assert.equal(labelLines(labelFile).length, 2);
    fs.writeFileSync(path.join(reports, 'cli-labeled.json.tmp'), JSON.stringify({ sampleId: other }));
    fs.renameSync(path.join(reports, 'cli-labeled.json.tmp'), path.join(reports, 'cli-labeled.json'));

    const final = await nvim.report<{ sampleId: string; ms: number; reviews: number; hover: string; edited: boolean; messages: string }>('final.json', home);
    assert.equal(final.sampleId, other);
    assert.equal(final.reviews, reviews.length - 2, 'the two labeled samples, and only they, left the review diagnostics');
    assert.match(final.hover, new RegExp(`sample ${accepted.sampleId}`), 'hover shows the sample under the cursor');
    assert.match(final.hover, new RegExp(`Label: \\*\\*${predicted}\\*\\*`), 'with the label just written');
    assert.equal(final.edited, true, 'an edit in the buffer was diagnosed (incremental sync)');
    assert.doesNotMatch(final.messages, /error|warn/i, 'Neovim showed no warning or error');
    await nvim.exited(home);
    // Neovim 0.7 logs a warning when a server registers a capability it did not offer (a file
    // watcher among them): the server watched the files itself.
    const log = fs.readFileSync(path.join(home, 'nvim', 'lsp.log'), 'utf8');
    assert.doesNotMatch(log, /registerCapability|\[ERROR\]/, `the LSP log has no registration warning nor error:\n${log.slice(-2000)}`);
  });
});
