#!/usr/bin/env node
'use strict';
// Entry point of the `tinyml` command; the implementation is compiled to dist/.
const { main } = require('../dist/src/cli/main.js');

main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tinyml: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 70;
  },
);
