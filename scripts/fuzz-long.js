#!/usr/bin/env node
// A long fuzzing run of the language server (the CI run is test/reliability/fuzz.test.ts at 100,000
// messages). Seeded and printed, so that a failure replays exactly; on a crash or hang the run is
// narrowed down to the messages that cause it (saved under the OS temp folder).
//
//   node scripts/fuzz-long.js                      2,000,000 messages, random seed
//   node scripts/fuzz-long.js --seed 123 --messages 500000 --max-deep 20000
//   node scripts/fuzz-long.js --server /path/to/cli.js --no-build
'use strict';
const { spawnSync } = require('node:child_process');
const { randomInt } = require('node:crypto');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
}
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('usage: node scripts/fuzz-long.js [--messages N] [--seed N] [--max-deep N] [--batch N] [--server cli.js] [--no-build]\n');
  process.exit(0);
}

const messages = Number(option('messages', '2000000'));
const seed = Number(option('seed', String(randomInt(0, 2 ** 31))));
const maxDeep = Number(option('max-deep', '10000'));
const batch = Number(option('batch', '1000'));
if (!Number.isInteger(messages) || messages <= 0 || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write('fuzz-long: --messages and --seed must be non-negative integers\n');
  process.exit(2);
}

process.stdout.write(`fuzz-long: seed ${seed}, ${messages.toLocaleString('en')} messages (replay: node scripts/fuzz-long.js --seed ${seed} --messages ${messages})\n`);

if (!args.includes('--no-build')) {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const started = Date.now();
const env = {
  ...process.env,
  FUZZ_SEED: String(seed),
  RELIABILITY_SEED: String(seed),
  FUZZ_MESSAGES: String(messages),
  FUZZ_MAX_DEEP: String(maxDeep),
  FUZZ_BATCH: String(batch),
  FUZZ_TIMEOUT_MS: '0',
  FUZZ_NARROW: '1',
  ...(option('server') ? { FUZZ_SERVER_CLI: path.resolve(option('server')) } : {}),
};
const mocha = require.resolve('mocha/bin/mocha.js', { paths: [repo] });
const run = spawnSync(process.execPath, [mocha, '--enable-source-maps', '--timeout', '0', 'out/test/reliability/fuzz.test.js', '--grep', 'survives'], { cwd: repo, env, stdio: 'inherit' });
process.stdout.write(`fuzz-long: seed ${seed}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(run.status ?? 1);
