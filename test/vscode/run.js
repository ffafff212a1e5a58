#!/usr/bin/env node
'use strict';
// Runs the integration suite inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3,
// driven by headless Chromium). Builds nothing: `npm run build` must have compiled
// out/test/vscode/suite*/index.js first (npm test does).
//
//   node test/vscode/run.js              trusted pass, then the Restricted Mode pass if built
//   node test/vscode/run.js --trusted    trusted pass only
//   node test/vscode/run.js --untrusted  Restricted Mode pass only (also LOOPMARK_VSCODE_UNTRUSTED=1)
//
// Env: LOOPMARK_VSCODE_TIMEOUT_MS (per pass, default 360000), LOOPMARK_VSCODE_VERBOSE=1 (all
// workbench console output), LOOPMARK_KEEP_TMP=1 (keep temp workspace and server dirs),
// LOOPMARK_VSCODE_GREP=regex (only the test files whose name matches, e.g.
// `LOOPMARK_VSCODE_GREP=learning node test/vscode/run.js --trusted`; a pass where none matches fails).
// Never skips: a host that cannot be installed or started, or a page that never reports, fails.
// The last line is always `vscode: N passed, N failed`.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const host = require('./host');

const ROOT = host.ROOT;
const FIXTURE = path.join(__dirname, 'fixtures', 'workspace');
const RESULT_RE = /LOOPMARK-MOCHA (\{.*\})/;
const argv = process.argv.slice(2);
const untrustedOnly = argv.includes('--untrusted') || /^(1|true|yes)$/i.test(process.env.LOOPMARK_VSCODE_UNTRUSTED || '');
const trustedOnly = argv.includes('--trusted');
const TIMEOUT_MS = Number(process.env.LOOPMARK_VSCODE_TIMEOUT_MS) || 6 * 60 * 1000;
const VERBOSE = /^(1|true|yes)$/i.test(process.env.LOOPMARK_VSCODE_VERBOSE || '');

// Workbench chatter that says nothing about the extension (offline gallery, sandbox warnings...).
const NOISE = [
  /^Failed to load resource/,
  /open-vsx\.org|ERR_NAME_NOT_RESOLVED/,
  /Resolving connection token|Resolved connection token|Creating a socket/,
  /web worker extension host is started in a same-origin iframe/,
  /both allow-scripts and allow-same-origin/,
  /\[Service Worker\]|Updating additional builtin extensions cache|ChatSessionStore/,
  /^Overwriting extension <</,
  /Long running operations during shutdown are unsupported in the web/,
];

const say = (msg) => process.stdout.write(`[vscode] ${msg}\n`);
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

async function main() {
  const passes = [];
  const trustedIndex = path.join(ROOT, 'out', 'test', 'vscode', 'suite', 'index.js');
  const untrustedIndex = path.join(ROOT, 'out', 'test', 'vscode', 'suite-untrusted', 'index.js');
  if (!untrustedOnly) passes.push({ name: 'trusted', trusted: true, index: trustedIndex });
  if (!trustedOnly && (untrustedOnly || fs.existsSync(untrustedIndex))) {
    passes.push({ name: 'Restricted Mode', trusted: false, index: untrustedIndex });
  }
  if (passes.length === 0) return finish([{ name: 'none', passes: 0, failures: 1, error: '--trusted and --untrusted together select nothing' }]);

  for (const p of passes) {
    if (!fs.existsSync(p.index)) {
      return finish([{ name: p.name, passes: 0, failures: 1,
        error: `${path.relative(ROOT, p.index)} does not exist: run \`npm run build\` first` }]);
    }
  }

  if (process.env.LOOPMARK_VSCODE_GREP) say(`only test files matching /${process.env.LOOPMARK_VSCODE_GREP}/i (LOOPMARK_VSCODE_GREP)`);
  const t0 = Date.now();
  try {
    host.ensureInstalled();
  } catch (e) {
    return finish([{ name: 'install', passes: 0, failures: 1, error: `cannot install the VS Code host: ${e.message}` }]);
  }
  say(`host ready after ${secs(Date.now() - t0)}`);

  let browser;
  try {
    browser = await host.launchBrowser();
  } catch (e) {
    return finish([{ name: 'browser', passes: 0, failures: 1, error: e.message }]);
  }
  const results = [];
  try {
    for (const p of passes) results.push(await runPass(browser, p));
  } finally {
    await browser.close().catch(() => {});
  }
  return finish(results);
}

/**
 * One suite in one fresh code-server. pass: { name, trusted, index (compiled suite), and optionally
 * developmentPath (default: the repository) and extensionsDir (default: a fresh empty one) }.
 */
async function runPass(browser, pass) {
  const result = { name: pass.name, passes: 0, failures: 0, code: null, error: null, counted: false };
  const t0 = Date.now();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'loopmark-ws-'));
  fs.cpSync(FIXTURE, workspace, { recursive: true });
  say(`${pass.name} pass: ${path.relative(ROOT, pass.index)} on a copy of ${path.relative(ROOT, FIXTURE)} (${workspace})`);

  let server;
  let context;
  let timer;
  let serverWatch;
  try {
    server = await host.startCodeServer({ workspace, trusted: pass.trusted, extensionsDir: pass.extensionsDir });
    say(`code-server ${server.url} ready in ${secs(Date.now() - t0)}`);
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();

    let settle;
    const outcome = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationExit', (code) => settle({ code: Number(code) }));
    page.on('crash', () => settle({ error: 'the VS Code page crashed' }));
    browser.once('disconnected', () => settle({ error: 'Chromium went away' }));
    serverWatch = setInterval(() => {
      const ex = server.exited();
      if (ex) settle({ error: `code-server exited during the run (${ex.code ?? ex.signal}):\n${server.output().split('\n').slice(-30).join('\n')}` });
    }, 500);
    timer = setTimeout(() => settle({ error: `VS Code never reported the end of the suite within ${secs(TIMEOUT_MS)} (window.codeAutomationExit was not called)` }), TIMEOUT_MS);

    // Console messages are printed in order; their arguments are fetched asynchronously.
    let printing = Promise.resolve();
    let firstOutputAt = 0;
    let settled = false; // after the suite reported, teardown chatter (Canceled...) is not shown
    page.on('console', (msg) => {
      if (settled && !VERBOSE) return;
      printing = printing.then(() => formatConsole(msg)).then(({ text, level }) => {
        const m = RESULT_RE.exec(text);
        if (m) {
          try {
            const stats = JSON.parse(m[1]);
            result.passes += Number(stats.passes) || 0;
            result.failures += Number(stats.failures) || 0;
            result.counted = true;
          } catch { /* not ours */ }
        }
        if (!VERBOSE && NOISE.some((re) => re.test(text))) return;
        if (!firstOutputAt && /passing|failing|✔|\d+\) /.test(text)) firstOutputAt = Date.now();
        const out = level === 'error' || level === 'warning' ? `[vscode ${level}] ${text}` : text;
        process.stdout.write(`${out}\n`);
      }).catch(() => {});
    });
    page.on('pageerror', (err) => {
      if (VERBOSE) process.stdout.write(`[vscode pageerror] ${err.message}\n`);
    });

    const url = host.workbenchUrl(server, {
      folder: workspace,
      payload: { extensionDevelopmentPath: pass.developmentPath || ROOT, extensionTestsPath: pass.index },
    });
    const tPage = Date.now();
    await page.goto(url, { timeout: 60_000 });
    const out = await outcome;
    await printing; // messages queued before the report still print
    for (let waited = 0; !out.error && !result.counted && waited < 3000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100)); // the result line may trail the report
      await printing;
    }
    settled = true;
    clearInterval(serverWatch);
    clearTimeout(timer);
    await printing;
    if (out.error) throw new Error(out.error);
    result.code = out.code;
    say(`${pass.name} pass: VS Code reported exit ${out.code} ${secs(Date.now() - tPage)} after the page opened` +
      (firstOutputAt ? ` (first test result after ${secs(firstOutputAt - tPage)})` : ''));

    if (!pass.trusted) {
      // Guard against a pass that claims Restricted Mode but ran trusted.
      const restricted = await host.isRestrictedMode(page, 15_000);
      if (!restricted) throw new Error('the workbench is not in Restricted Mode although the workspace should be untrusted');
      say('Restricted Mode confirmed in the workbench status bar');
    }
    if (out.code !== 0) {
      result.error = `the suite failed (VS Code exit code ${out.code})`;
      if (!result.counted || result.failures === 0) result.failures = Math.max(result.failures, 1);
    } else if (!result.counted) {
      throw new Error('the suite exited 0 but printed no LOOPMARK-MOCHA result line');
    }
  } catch (e) {
    result.error = e.message;
    result.failures = Math.max(result.failures, 1);
  } finally {
    clearTimeout(timer);
    clearInterval(serverWatch);
    if (context) await context.close().catch(() => {});
    if (server) await server.stop();
    if (!process.env.LOOPMARK_KEEP_TMP) fs.rmSync(workspace, { recursive: true, force: true });
  }
  say(`${pass.name} pass: ${result.passes} passed, ${result.failures} failed in ${secs(Date.now() - t0)}` +
    (result.error ? ` — FAILED: ${result.error}` : ''));
  return result;
}

/** Page console message -> plain text. VS Code logs as ('%c INFO', 'color: #33f', fmt, ...args). */
async function formatConsole(msg) {
  let level = msg.type();
  let args;
  try {
    args = await Promise.all(msg.args().map((a) => a.jsonValue()));
  } catch {
    args = null;
  }
  if (!args || args.length === 0) {
    // Arguments no longer readable (page closing): strip VS Code's '%c LEVEL color: #xxx' prefix.
    const m = /^%c\s*(\w+)\s+color: #[0-9a-fA-F]+\s?/.exec(msg.text());
    if (m && /^(ERR|ERROR)$/i.test(m[1])) level = 'error';
    return { text: m ? msg.text().slice(m[0].length) : msg.text(), level };
  }
  if (typeof args[0] === 'string' && args[0].startsWith('%c')) {
    const tag = args[0].slice(2).trim();
    if (/^(ERR|ERROR)$/i.test(tag)) level = 'error';
    else if (/^WARN/i.test(tag)) level = 'warning';
    args = args.slice(2);
  }
  const text = args.length === 0 ? '' : util.format(...args.map((a) => (a === undefined ? '' : a)));
  return { text: text.replace(/\s+$/, ''), level };
}

function finish(results) {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    passed += r.passes;
    failed += r.failures;
    if (r.error && r.code == null) process.stdout.write(`[vscode] ERROR (${r.name}): ${r.error}\n`);
  }
  const ok = results.length > 0 && results.every((r) => !r.error && r.failures === 0);
  process.stdout.write(`vscode: ${passed} passed, ${failed} failed\n`);
  process.exitCode = ok ? 0 : 1;
  // Exit even if some handle (a stuck socket) would keep the event loop alive.
  setTimeout(() => process.exit(), 3000).unref();
}

// test/package/run.js runs its pass through runPass too, with its own development path and extensions dir.
module.exports = { runPass };

if (require.main === module) {
  main().catch((e) => {
    process.stdout.write(`[vscode] ERROR: ${e && e.stack ? e.stack : e}\n`);
    process.stdout.write('vscode: 0 passed, 1 failed\n');
    process.exitCode = 1;
  });
}
