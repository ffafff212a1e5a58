// Package smoke suite entry, run inside the real VS Code by test/package/run.js against the
// Loopmark installed from the .vsix (compiled by esbuild.mjs to out/test/package/suite/index.js).
import { runMochaInFolder } from '../../vscode/mocha-runner';

export function run(): Promise<void> {
  return runMochaInFolder(__dirname);
}
