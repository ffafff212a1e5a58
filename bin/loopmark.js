#!/usr/bin/env node
'use strict';
// The `loopmark` command: the CLI bundle built by `npm run build` (dist/cli.js runs on load).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`loopmark: ${bundle} is missing; run \`npm run build\` in ${path.dirname(__dirname)} first\n`);
  process.exit(2);
}
require(bundle);
