// Shared by suite/index.ts and suite-untrusted/index.ts (bundled into each by esbuild).
// Mocha is external in the bundle: require('mocha') resolves from the repo's node_modules.
import * as fs from 'node:fs';
import * as path from 'node:path';

// The line test/vscode/run.js parses for the summary; keep the format in sync with it.
const RESULT_TAG = 'LOOPMARK-MOCHA';

/**
 * LOOPMARK_VSCODE_GREP (set for test/vscode/run.js; code-server hands its environment to the
 * extension host): only the test files whose name matches this case-insensitive regular expression,
 * e.g. `learning` for learning.test.js. Unset: every file.
 */
const GREP_ENV = 'LOOPMARK_VSCODE_GREP';

export function runMochaInFolder(dir: string): Promise<void> {
  const Mocha = require('mocha') as typeof import('mocha');
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60000, reporter: 'spec' });
  const all = fs.readdirSync(dir).filter((name) => name.endsWith('.test.js')).sort();
  const grep = process.env[GREP_ENV];
  let selected = all;
  if (grep) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(grep, 'i');
    } catch (err) {
      console.log(`${RESULT_TAG} ${JSON.stringify({ passes: 0, failures: 1, pending: 0, error: `${GREP_ENV}: ${String(err)}` })}`);
      return Promise.reject(err);
    }
    selected = all.filter((name) => pattern.test(name));
    console.log(`${GREP_ENV}=${grep}: running ${selected.join(', ') || 'nothing'} of ${all.length} test files in ${path.basename(dir)}`);
  }
  const files = selected.map((name) => path.join(dir, name));
  if (files.length === 0) {
    const error = grep ? `${GREP_ENV}=${grep} matches none of ${all.join(', ')} in ${dir}` : `no *.test.js in ${dir}`;
    console.log(`${RESULT_TAG} ${JSON.stringify({ passes: 0, failures: 1, pending: 0, error })}`);
    return Promise.reject(new Error(error));
  }
  for (const file of files) mocha.addFile(file);

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
        console.log(`${RESULT_TAG} ${JSON.stringify({ passes: stats.passes, failures, pending: stats.pending })}`);
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading never reaches the callback above.
      console.log(`${RESULT_TAG} ${JSON.stringify({ passes: 0, failures: 1, pending: 0, error: String(err) })}`);
      reject(err);
    }
  });
}
