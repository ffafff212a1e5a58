#!/usr/bin/env node
'use strict';
// `npm run demo [-- folder] [--port N]`: opens demo/ (or the given folder) in VS Code with
// Loopmark loaded from this repository.
// - A desktop `code` on PATH: runs `code --extensionDevelopmentPath=<repo> <folder>`.
// - Otherwise: a real VS Code in the browser (code-server 4.100.3 = VS Code 1.100.3, installed
//   by scripts/install-vscode-host.sh) with the extension symlinked into a fresh extensions dir.
//   Prints the URL and runs until Ctrl+C.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const portIdx = argv.indexOf('--port');
const port = portIdx >= 0 ? Number(argv[portIdx + 1]) : Number(process.env.LOOPMARK_DEMO_PORT) || undefined;
const positional = argv.filter((a, i) => !a.startsWith('--') && !(portIdx >= 0 && i === portIdx + 1));
const folder = path.resolve(positional[0] || path.join(ROOT, 'demo'));

function die(msg) {
  process.stderr.write(`demo: ${msg}\n`);
  process.exit(1);
}

function desktopCode() {
  if (process.env.LOOPMARK_DEMO_BROWSER) return null; // force the code-server path
  const r = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

function ensureBuilt() {
  // Always rebuild (about a second): a stale dist/ would show yesterday's extension.
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) die('`npm run build` failed');
}

async function main() {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) die(`folder not found: ${folder}`);

  const code = desktopCode();
  if (code) {
    ensureBuilt();
    process.stdout.write(`demo: ${code} --extensionDevelopmentPath=${ROOT} ${folder}\n`);
    const r = spawnSync(code, [`--extensionDevelopmentPath=${ROOT}`, folder], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }

  const host = require('../test/vscode/host');
  try {
    host.ensureInstalled();
  } catch (e) {
    die(e.message);
  }
  ensureBuilt();
  let server;
  try {
    server = await host.startCodeServer({ workspace: folder, trusted: true, port, installExtension: ROOT });
  } catch (e) {
    die(e.message);
  }
  const url = host.workbenchUrl(server, { folder });
  const line = '-'.repeat(Math.min(100, url.length + 4));
  process.stdout.write(
    `\n${line}\n  Loopmark demo: VS Code ${readVersion()} (code-server) with the extension from ${ROOT}\n` +
    `  Open in a browser:\n\n    ${url}\n\n` +
    `  Folder: ${folder}\n` +
    '  (Bound to 127.0.0.1; from another machine use `ssh -L ' + `${server.port}:127.0.0.1:${server.port}` + '`.)\n' +
    `  After rebuilding (npm run build), run "Developer: Reload Window" in VS Code.\n  Ctrl+C to stop.\n${line}\n`);

  // Runs until code-server exits or Ctrl+C (host.js stops the server on SIGINT/SIGTERM).
  await new Promise((resolve) => {
    const t = setInterval(() => {
      const ex = server.exited();
      if (ex) {
        clearInterval(t);
        process.stderr.write(`demo: code-server exited (${ex.code ?? ex.signal}):\n${server.output().split('\n').slice(-20).join('\n')}\n`);
        process.exitCode = 1;
        resolve();
      }
    }, 1000);
  });
}

function readVersion() {
  try {
    const p = path.join(ROOT, '.vscode-test', 'code-server', 'node_modules', 'code-server', 'lib', 'vscode', 'package.json');
    return JSON.parse(fs.readFileSync(p, 'utf8')).version;
  } catch {
    return '';
  }
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
