#!/usr/bin/env node
'use strict';
// Screenshot of a real VS Code (code-server 4.100.3 = VS Code 1.100.3) with Loopmark loaded, for
// the README:
//
//   node scripts/screenshot.js <workspace> <out.png> [--open relative/file] [--keys K ...]
//        [--wait MS] [--size 1400x900] [--untrusted] [--theme "Default Dark Modern"]
//
// --open   opens the file through Quick Open (Control+P, type the path, Enter)
// --keys   keys pressed in order after opening, in Playwright notation (Control+. Down Enter);
//          `type:text` types text, `wait:MS` pauses
// --wait   settle time before the shot (default 3000 ms: diagnostics arrive asynchronously)

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const host = require('../test/vscode/host');

const ROOT = host.ROOT;

function usage(msg) {
  if (msg) process.stderr.write(`screenshot: ${msg}\n`);
  process.stderr.write('usage: node scripts/screenshot.js <workspace> <out.png> [--open relative/file] [--keys K ...] [--wait MS] [--size WxH] [--untrusted] [--theme NAME]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { positional: [], keys: [], wait: 3000, width: 1400, height: 900, trusted: true, open: null, theme: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--open') o.open = next();
    else if (a === '--wait') o.wait = Number(next());
    else if (a === '--theme') o.theme = next();
    else if (a === '--untrusted') o.trusted = false;
    else if (a === '--size') {
      const m = /^(\d+)x(\d+)$/.exec(next());
      if (!m) usage('--size must look like 1400x900');
      o.width = Number(m[1]);
      o.height = Number(m[2]);
    } else if (a === '--keys') {
      while (i + 1 < argv.length && !/^--(open|wait|size|untrusted|theme|keys)$/.test(argv[i + 1])) o.keys.push(argv[++i]);
    } else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else o.positional.push(a);
  }
  if (o.positional.length !== 2) usage('need <workspace> and <out.png>');
  if (!Number.isFinite(o.wait) || o.wait < 0) usage('--wait must be a number of milliseconds');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const workspace = path.resolve(o.positional[0]);
  const outFile = path.resolve(o.positional[1]);
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory()) usage(`workspace folder not found: ${workspace}`);
  if (o.open && !fs.existsSync(path.join(workspace, o.open))) usage(`--open ${o.open}: no such file in ${workspace}`);

  host.ensureInstalled();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'client.js'))) {
    process.stderr.write('screenshot: dist/ is missing, running `npm run build`\n');
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('`npm run build` failed');
  }

  const settings = o.theme ? { 'workbench.colorTheme': o.theme } : {};
  const server = await host.startCodeServer({ workspace, trusted: o.trusted, installExtension: ROOT, settings });
  let browser;
  try {
    browser = await host.launchBrowser();
    const page = await browser.newPage({ viewport: { width: o.width, height: o.height } });
    await page.goto(host.workbenchUrl(server, { folder: workspace }), { timeout: 60_000 });
    await host.waitForWorkbench(page);
    // The Explorer lists the folder once the remote file system is connected.
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });

    if (o.open) await quickOpen(page, o.open);
    for (const k of o.keys) {
      if (k.startsWith('wait:')) await page.waitForTimeout(Number(k.slice(5)));
      else if (k.startsWith('type:')) await page.keyboard.type(k.slice(5), { delay: 20 });
      else await page.keyboard.press(k);
      await page.waitForTimeout(150);
    }
    await page.waitForTimeout(o.wait);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    await page.screenshot({ path: outFile });
    process.stdout.write(`screenshot: wrote ${path.relative(process.cwd(), outFile) || outFile} (${o.width}x${o.height})\n`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
  }
}

async function quickOpen(page, rel) {
  const base = path.basename(rel);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.type(rel.split(path.sep).join('/'), { delay: 10 });
  // Wait until the file search has a result for this name, then open it.
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: base }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
}

main().catch((e) => {
  process.stderr.write(`screenshot: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
