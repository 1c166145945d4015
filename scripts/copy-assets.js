// Build step after tsc: puts the files Node-RED reads at run time where it
// looks for them.
// - nodes/**/*.html and nodes/locales/** next to the compiled nodes in
//   dist/nodes (Node-RED loads X.html and locales/<lang>/X.json|html beside X.js);
// - icons/*.svg into dist/nodes/icons (Node-RED's registry looks for icons in
//   an "icons" folder beside the node files of a package, see
//   @node-red/registry/lib/localfilesystem.js getModuleFiles);
// - flows/*.json, the one source of the example flows, into examples/ (the
//   folder Node-RED's Import > Examples menu reads; generated, git-ignored).
// A flow that is not a JSON array fails the build instead of the editor.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function copyTree(from, to, keep) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, entry.name);
    const b = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyTree(a, b, keep);
    } else if (keep(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(a, b);
    }
  }
}

function copyExamples(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from).filter((n) => n.endsWith('.json'))) {
    const text = fs.readFileSync(path.join(from, name), 'utf8');
    let flow;
    try {
      flow = JSON.parse(text);
    } catch (err) {
      throw new Error(`flows/${name} is not valid JSON: ${err.message}`);
    }
    if (!Array.isArray(flow)) throw new Error(`flows/${name} must be an array of nodes`);
    fs.writeFileSync(path.join(to, name), text);
  }
}

const nodesDist = path.join(root, 'dist', 'nodes');
copyTree(path.join(root, 'nodes'), nodesDist, (name) => !name.endsWith('.ts'));
copyTree(path.join(root, 'icons'), path.join(nodesDist, 'icons'), (n) => n.endsWith('.svg'));
copyExamples(path.join(root, 'flows'), path.join(root, 'examples'));
