'use strict';
// A real VS Code for tests, the demo and screenshots: code-server 4.100.3 (= VS Code 1.100.3,
// installed from npm by scripts/install-vscode-host.sh) driven by headless Debian Chromium
// through playwright-core. See /work/shared/REAL-VSCODE.md for why it is done this way.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const HOST_DIR = path.join(ROOT, '.vscode-test', 'code-server');
const CODE_SERVER_ENTRY = path.join(HOST_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const INSTALL_SCRIPT = path.join(ROOT, 'scripts', 'install-vscode-host.sh');
const CHROMIUM = process.env.LOOPMARK_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Containers often have a tiny /dev/shm; without this Chromium tabs crash under load.
  '--disable-dev-shm-usage',
];

// Settings written to the fresh user-data-dir: no welcome page, no network chatter.
const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
};

// Restricted Mode: code-server passes `enableWorkspaceTrust: !--disable-workspace-trust` to the
// workbench, and VS Code then trusts a folder only when it is in the trusted-folders list
// (browser storage, fresh per Chromium context). "never" keeps the startup dialog away, so the
// window simply stays in Restricted Mode.
const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
  'security.workspace.trust.emptyWindow': false,
};

class HostError extends Error {}

function log(msg) {
  process.stderr.write(`[vscode-host] ${msg}\n`);
}

/** Runs scripts/install-vscode-host.sh (idempotent; a finished install returns at once). */
function ensureInstalled({ quiet = false } = {}) {
  const t0 = Date.now();
  const r = spawnSync('bash', [INSTALL_SCRIPT], {
    cwd: ROOT,
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new HostError(`could not run ${INSTALL_SCRIPT}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = quiet ? `\n${tailText(`${r.stdout || ''}${r.stderr || ''}`)}` : '';
    throw new HostError(`${path.relative(ROOT, INSTALL_SCRIPT)} failed (exit ${r.status ?? r.signal})${tail}`);
  }
  if (!fs.existsSync(CODE_SERVER_ENTRY)) throw new HostError(`install finished but ${CODE_SERVER_ENTRY} is missing`);
  if (!fs.existsSync(CHROMIUM)) throw new HostError(`install finished but ${CHROMIUM} is missing`);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (Date.now() - t0 > 2000) log(`host installed in ${secs}s`);
  return { codeServer: CODE_SERVER_ENTRY, chromium: CHROMIUM, seconds: Number(secs) };
}

function tailText(text, lines = 40) {
  return text.split('\n').slice(-lines).join('\n');
}

/** Installs an extension folder into extensionsDir as a symlink publisher.name-version. */
function linkExtension(extensionPath, extensionsDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
  const id = `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();
  const link = path.join(extensionsDir, id);
  fs.rmSync(link, { force: true, recursive: false });
  fs.symlinkSync(path.resolve(extensionPath), link, 'dir');
  return link;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpGet(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Absolute local path -> vscode-remote URI on the given code-server. */
function remoteUri(server, p) {
  const abs = path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://127.0.0.1:${server.port}${abs}`;
}

/**
 * Workbench URL for `folder`, optionally with a `payload` (e.g. extensionDevelopmentPath,
 * extensionTestsPath), whose local paths are turned into vscode-remote URIs.
 */
function workbenchUrl(server, { folder, payload } = {}) {
  const params = [];
  if (folder) params.push(`folder=${encodeURIComponent(path.resolve(folder))}`);
  if (payload) {
    const entries = Object.entries(payload).map(([k, v]) => [k, remoteUri(server, v)]);
    params.push(`payload=${encodeURIComponent(JSON.stringify(entries))}`);
  }
  return `${server.url}/${params.length ? `?${params.join('&')}` : ''}`;
}

/**
 * Starts code-server on 127.0.0.1 with fresh --user-data-dir and --extensions-dir.
 * Resolves once /healthz answers; rejects with the server's output tail if it cannot start.
 *
 * @param {object} o
 * @param {string} o.workspace     folder to open
 * @param {boolean} [o.trusted]    false: Restricted Mode (workspace trust on, folder untrusted)
 * @param {number} [o.port]        fixed port (default: a free one)
 * @param {string} [o.extensionsDir] use this --extensions-dir instead of a fresh empty one
 * @param {string} [o.installExtension] extension folder to install into the fresh extensions dir
 *   as a symlink named publisher.name-version (how the demo and screenshots load Loopmark)
 * @param {object} [o.settings]    extra user settings
 * @param {number} [o.startTimeoutMs]
 * @returns {Promise<{port:number,url:string,workspace:string,trusted:boolean,userDataDir:string,
 *   extensionsDir:string,logFile:string,pid:number,output:()=>string,stop:()=>Promise<void>}>}
 */
async function startCodeServer(o) {
  const { workspace, trusted = true, port, startTimeoutMs = 60_000 } = o || {};
  if (!workspace || !fs.existsSync(workspace)) throw new HostError(`workspace folder not found: ${workspace}`);
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new HostError(`code-server is not installed (${CODE_SERVER_ENTRY}); run scripts/install-vscode-host.sh`);
  }
  // A free port can be taken between probing and binding: retry with another one.
  const attempts = port ? 1 : 3;
  let lastErr;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce({ ...o, trusted, port: port || (await freePort()), startTimeoutMs });
    } catch (e) {
      lastErr = e;
      if (!(e instanceof HostError) || !/EADDRINUSE/.test(e.message)) throw e;
    }
  }
  throw lastErr;
}

async function startOnce({ workspace, trusted, port, startTimeoutMs, extensionsDir, settings, installExtension }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-code-server-'));
  const userDataDir = path.join(tmp, 'user-data');
  const extDir = extensionsDir || path.join(tmp, 'extensions');
  const logFile = path.join(tmp, 'code-server.log');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extDir, { recursive: true });
  if (installExtension) linkExtension(installExtension, extDir);
  fs.mkdirSync(path.join(tmp, 'xdg-data'), { recursive: true });
  const allSettings = { ...BASE_SETTINGS, ...(trusted ? {} : UNTRUSTED_SETTINGS), ...(settings || {}) };
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(allSettings, null, 2));
  // code-server writes a config.yaml (with a generated password) and its logs under the user's
  // XDG dirs unless told otherwise: keep everything in the temp dir.
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');

  const args = [
    CODE_SERVER_ENTRY,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  if (trusted) args.push('--disable-workspace-trust');
  args.push(path.resolve(workspace));

  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: tmp,
    detached: true, // own process group: stop() ends code-server and everything it spawned
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CODE_SERVER_CONFIG: configFile,
      XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
      // Never inherit a parent VS Code's IPC hooks (e.g. when run from a VS Code terminal).
      VSCODE_IPC_HOOK_CLI: '',
    },
  });
  let output = '';
  const onData = (chunk) => {
    output += chunk.toString();
    if (output.length > 64_000) output = output.slice(-32_000);
    fs.writeSync(out, chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on('error', (err) => {
      exited = { code: null, signal: null, error: err };
      resolve(exited);
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const done = await Promise.race([exitPromise.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
        await Promise.race([exitPromise, sleep(2000)]);
      }
    }
    // Children of code-server (extension host, pty host) live in the same process group.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group is empty */ }
    try { fs.closeSync(out); } catch { /* closed */ }
    if (!process.env.LOOPMARK_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  };
  const killSync = () => {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    if (!process.env.LOOPMARK_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  };
  activeServers.add(killSync);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) {
      activeServers.delete(killSync);
      await stop();
      const why = exited.error ? exited.error.message : `exit ${exited.code ?? exited.signal}`;
      throw new HostError(`code-server exited before it was ready (${why}). Output tail:\n${tailText(output)}`);
    }
    const res = await httpGet(`${url}/healthz`, 2000);
    if (res && res.status === 200) break;
    if (Date.now() > deadline) {
      activeServers.delete(killSync);
      await stop();
      throw new HostError(
        `code-server did not answer ${url}/healthz within ${startTimeoutMs / 1000}s. Output tail:\n${tailText(output)}`);
    }
    await sleep(200);
  }

  return {
    port,
    url,
    workspace: path.resolve(workspace),
    trusted,
    userDataDir,
    extensionsDir: extDir,
    logFile,
    pid: child.pid,
    output: () => output,
    exited: () => exited,
    stop: async () => {
      activeServers.delete(killSync);
      await stop();
    },
  };
}

// Servers still running when this process exits or is interrupted are killed by process group
// (they run detached, so a Ctrl+C in the terminal does not reach them by itself).
const activeServers = new Set();
function killAllSync() {
  for (const kill of activeServers) kill();
  activeServers.clear();
}
process.once('exit', killAllSync);
for (const [sig, n] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.on(sig, () => {
    killAllSync();
    process.exit(128 + n);
  });
}

/** Headless Debian Chromium. */
async function launchBrowser({ headless = true } = {}) {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    throw new HostError(`playwright-core is not installed (npm ci): ${e.message}`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new HostError(`${CHROMIUM} not found; run scripts/install-vscode-host.sh`);
  try {
    return await chromium.launch({ executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (e) {
    throw new HostError(`could not launch ${CHROMIUM}: ${e.message}`);
  }
}

/** Waits until the workbench has rendered (status bar present). */
async function waitForWorkbench(page, timeoutMs = 60_000) {
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: timeoutMs });
}

/**
 * Reads from the page whether the window is in Restricted Mode: the workspace-trust status bar
 * entry ("Restricted Mode") only exists while the workspace is untrusted.
 */
async function isRestrictedMode(page, timeoutMs = 30_000) {
  await waitForWorkbench(page, timeoutMs);
  try {
    const item = await page.waitForSelector('[id="status.workspaceTrust"]', { timeout: timeoutMs, state: 'attached' });
    const text = (await item.textContent()) || '';
    const label = (await item.getAttribute('aria-label')) || '';
    return /restricted/i.test(`${text} ${label}`);
  } catch {
    return false;
  }
}

module.exports = {
  ROOT,
  HOST_DIR,
  CHROMIUM,
  CHROMIUM_ARGS,
  HostError,
  ensureInstalled,
  startCodeServer,
  launchBrowser,
  waitForWorkbench,
  isRestrictedMode,
  remoteUri,
  workbenchUrl,
  linkExtension,
  freePort,
};
