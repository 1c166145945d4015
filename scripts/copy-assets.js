// Copies the nodes' editor files (HTML, locales) next to their compiled
// JavaScript in dist/nodes, where Node-RED looks for them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const src = path.join(root, 'nodes');
const dst = path.join(root, 'dist', 'nodes');

function copy(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, entry.name);
    const b = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copy(a, b);
    } else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(a, b);
    }
  }
}

copy(src, dst);
