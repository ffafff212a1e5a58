#!/usr/bin/env node
// The `loopmark` command: the CLI bundle built by `npm run build`.
require('../dist/cli.js');
