#!/usr/bin/env node
'use strict';
// `npm test`: every stage in order (types, build, unit, server over stdio, reliability, real VS Code,
// the packaged .vsix installed into it),
// output streamed as it comes, and one closing line with the totals of all suites. Exits non-zero
// when any stage fails; later stages still run so one report shows everything.
const { spawn } = require('node:child_process');

const STAGES = [
  ['typecheck', 'npm', ['run', '--silent', 'typecheck']],
  ['build', 'npm', ['run', '--silent', 'build']],
  ['unit', 'npx', ['mocha', '--config', 'test/.mocharc.unit.json']],
  ['lsp', 'npx', ['mocha', '--config', 'test/.mocharc.lsp.json']],
  ['reliability', 'npx', ['mocha', '--config', 'test/.mocharc.reliability.json']],
  ['vscode', 'node', ['test/vscode/run.js']],
  // The .vsix built by `npm run package`, installed into a real VS Code, smoke-tested there.
  ['package', 'node', ['test/package/run.js']],
];

function run(name, command, args) {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${name}: ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

(async () => {
  let passed = 0;
  let failed = 0;
  const failedStages = [];
  for (const [name, command, args] of STAGES) {
    // Without a build there is nothing to test.
    if (failedStages.includes('build')) break;
    const { code, out } = await run(name, command, args);
    const mochaPassing = /^\s*(\d+) passing/m.exec(out);
    const mochaFailing = /^\s*(\d+) failing/m.exec(out);
    // The VS Code and package runners print `vscode: N passed, M failed` / `package: N passed, M failed`.
    const vscode = /^(?:vscode|package): (\d+) passed, (\d+) failed/m.exec(out);
    if (vscode) {
      passed += Number(vscode[1]);
      failed += Number(vscode[2]);
    } else if (mochaPassing || mochaFailing) {
      passed += Number(mochaPassing?.[1] ?? 0);
      failed += Number(mochaFailing?.[1] ?? 0);
    }
    if (code !== 0) {
      failedStages.push(name);
      // A stage that failed without counting a failed test (types, build, a crash) still counts as one.
      if (!mochaFailing && !(vscode && Number(vscode[2]) > 0)) failed++;
    }
  }
  process.stdout.write(`\n${failedStages.length ? `failed stages: ${failedStages.join(', ')}\n` : ''}`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  process.exit(failedStages.length ? 1 : 0);
})();
