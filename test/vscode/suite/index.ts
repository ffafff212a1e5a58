// Integration suite entry, run inside the real VS Code extension host by test/vscode/run.js
// (compiled by esbuild.mjs to out/test/vscode/suite/index.js). Runs every *.test.js next to it.
import { runMochaInFolder } from '../mocha-runner';

export function run(): Promise<void> {
  return runMochaInFolder(__dirname);
}
