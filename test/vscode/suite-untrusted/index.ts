// Restricted Mode suite entry: test/vscode/run.js opens an untrusted workspace for it
// (compiled by esbuild.mjs to out/test/vscode/suite-untrusted/index.js).
import { runMochaInFolder } from '../mocha-runner';

export function run(): Promise<void> {
  return runMochaInFolder(__dirname);
}
