/**
 * What the Node-RED scorecard (`node-red-dev validate`) checks and can be
 * checked offline, so a change that would fail it fails here first: P01
 * licence, P05 the "node-red" keyword, P06 a declared Node-RED range that
 * covers 3.1 to 4.x, P07 the Node.js engines, N02 an example using every
 * non-config node (Node-RED's Import > Examples reads examples/, built from
 * flows/), and one registration per node type. P03 (repository or bugs URL)
 * is not set: the project has no public repository yet. P08 and N01 compare
 * names with the online catalogue and cannot run here.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from '../helpers/paths';

interface Pkg {
  license?: string;
  keywords?: string[];
  engines?: { node?: string };
  files?: string[];
  'node-red': { version?: string; nodes: Record<string, string> };
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Pkg;

/** The node types an editor file registers, and whether each is a config node. */
function registrations(html: string): { type: string; config: boolean }[] {
  const out: { type: string; config: boolean }[] = [];
  const re = /RED\.nodes\.registerType\(\s*'([^']+)'\s*,\s*\{([\s\S]*?)\bcategory:\s*'([^']+)'/g;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    out.push({ type: m[1], config: m[3] === 'config' });
  }
  return out;
}

function editorFiles(): { set: string; html: string }[] {
  return Object.entries(pkg['node-red'].nodes).map(([set, js]) => ({
    set,
    html: readFileSync(join(ROOT, 'nodes', basename(js, '.js') + '.html'), 'utf8'),
  }));
}

describe('package scorecard (node-red-dev validate, offline part)', () => {
  it('P01: a licence in package.json and a LICENSE file', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License/);
  });

  it('P05/P06/P07: node-red keyword, Node-RED >= 3.1, Node.js engines declared', () => {
    assert.ok(pkg.keywords?.includes('node-red'));
    assert.equal(pkg['node-red'].version, '>=3.1.0');
    assert.match(pkg.engines?.node ?? '', /^>=\s*\d+/);
  });

  it('each node set registers exactly its own type, once in the whole package', () => {
    const all: string[] = [];
    for (const { set, html } of editorFiles()) {
      const types = registrations(html).map((r) => r.type);
      assert.deepEqual(types, [set], `nodes/${set}: registers ${types.join(', ')}`);
      all.push(...types);
    }
    assert.equal(new Set(all).size, all.length, `duplicate types in ${all.join(', ')}`);
    assert.equal(all.length, 7);
  });

  it('N02: the examples use every non-config node, and ship in the package', () => {
    const wanted = editorFiles()
      .flatMap(({ html }) => registrations(html))
      .filter((r) => !r.config)
      .map((r) => r.type);
    const used = new Set<string>();
    const dir = join(ROOT, 'flows');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const flow = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { type: string }[];
      for (const n of flow) used.add(n.type);
    }
    assert.deepEqual(
      wanted.filter((t) => !used.has(t)),
      [],
      'node types no example uses',
    );
    assert.ok(pkg.files?.includes('examples/'), 'package.json files lacks examples/');
    // The build writes examples/ from flows/ (scripts/copy-assets.js).
    assert.ok(existsSync(join(ROOT, 'examples')), 'examples/ not built');
    assert.deepEqual(
      readdirSync(join(ROOT, 'examples')).sort(),
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    );
  });
});
