/**
 * Every user-facing text key the nodes use exists in their en-US catalog:
 * the runtime's RED._('tinyml-x.…') calls in nodes/*.ts, and the editor's
 * data-i18n attributes and this._('…') calls in nodes/*.html. Node-RED shows
 * a missing key as the raw key, which no other test would notice.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

const NODES = join(ROOT, 'nodes');
const LOCALES = join(NODES, 'locales', 'en-US');

function catalog(set: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(LOCALES, `${set}.json`), 'utf8')) as Record<string, unknown>;
}

function has(cat: Record<string, unknown>, key: string): boolean {
  let at: unknown = cat;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object' || !(part in at)) return false;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string';
}

/** Keys in a file: RED._('k') (also RED._(NS + 'k')), this._('k'), node._('k'), data-i18n="k" / "[attr]k". */
function keysIn(text: string): string[] {
  const keys: string[] = [];
  const calls = /\b(?:RED|this|node)\._\(\s*(?:NS\s*\+\s*)?'([^']+)'/g;
  for (let m = calls.exec(text); m; m = calls.exec(text)) keys.push(m[1]);
  const attrs = /data-i18n="(?:\[[a-z]+\])?([^"]+)"/g;
  for (let m = attrs.exec(text); m; m = attrs.exec(text)) keys.push(m[1]);
  return keys;
}

describe('node message catalogs (en-US)', () => {
  const sets = readdirSync(LOCALES)
    .filter((f) => f.endsWith('.json') && f !== 'fleet-sidebar.json')
    .map((f) => f.replace(/\.json$/, ''));

  it('every node has its catalog and its help', () => {
    assert.deepEqual(sets.sort(), [
      'convert',
      'deploy',
      'device-events',
      'fleet',
      'infer',
      'optimize',
      'train',
    ]);
    for (const set of sets) {
      const help = readFileSync(join(LOCALES, `${set}.html`), 'utf8');
      assert.match(help, new RegExp(`data-help-name="tinyml-${set}"`), set);
      for (const h of ['Inputs', 'Outputs', 'Details', 'References']) {
        assert.match(help, new RegExp(`<h3>${h}</h3>`), `${set} help: ${h}`);
      }
    }
  });

  for (const set of ['convert', 'deploy', 'device-events', 'fleet', 'infer', 'optimize', 'train']) {
    it(`${set}: every key used in ${set}.ts and ${set}.html exists`, () => {
      const cat = catalog(set);
      const used = [
        ...keysIn(readFileSync(join(NODES, `${set}.ts`), 'utf8')),
        ...keysIn(readFileSync(join(NODES, `${set}.html`), 'utf8')),
      ]
        // A key with a namespace (node-red:common.…) is another catalog's.
        .filter((k) => !k.includes(':'));
      assert.ok(used.length > 0, `no keys found in ${set}`);
      assert.deepEqual(
        used.filter((k) => !has(cat, k)),
        [],
        `${set}: keys missing from locales/en-US/${set}.json`,
      );
    });
  }

  it("the shared 'no fleet' status text exists in the fleet catalog", () => {
    const lib = readFileSync(join(NODES, 'lib', 'fleet-node.ts'), 'utf8');
    const m = /'node-red-contrib-tinyml\/fleet:([^']+)'/.exec(lib);
    assert.ok(m, 'fleet-node.ts names no fleet catalog key');
    assert.ok(has(catalog('fleet'), m[1]), m[1]);
  });
});
