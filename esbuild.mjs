// One bundle per entry point (client, server, CLI, benchmark) plus the test files.
// The client alone keeps `vscode` external; everything else is self-contained for Node.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
// jsonc-parser's default entry is a UMD build that hides its requires from the bundler; use its ESM build.
const alias = { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' };
// ESM dependencies (fdir, under tinyglobby) read import.meta.url, which a CJS bundle lacks: give them the bundle's own.
const importMetaUrl = { define: { 'import.meta.url': '__loopmarkImportMetaUrl' }, banner: { js: "var __loopmarkImportMetaUrl = require('url').pathToFileURL(__filename).href;" } };
const common = { ...importMetaUrl, alias, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' };

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return /\.test\.ts$|\.server\.ts$|suite[\w-]*[\\/]index\.ts$/.test(path) ? [path] : [];
  });
}

const builds = [
  { ...common, entryPoints: { client: 'client/src/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...common, entryPoints: { server: 'server/src/main.ts', cli: 'server/src/cli/main.ts', indexWorker: 'server/src/indexWorker.ts', globWorker: 'server/src/globWorker.ts' }, outdir: 'dist' },
  { ...common, entryPoints: testFiles('test'), outdir: 'out', outbase: '.', external: ['vscode', 'mocha'] },
];
if (existsSync('bench/index.ts')) builds.push({ ...common, entryPoints: { bench: 'bench/index.ts', 'brown-gold': 'bench/brown-gold.ts', loopwatch: 'bench/loopwatch.ts' }, outdir: 'dist' });

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
