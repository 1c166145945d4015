/**
 * docs/protocol.md is what the firmware is written from: its appendix must
 * carry exactly the JSON Schemas the code validates with, and every message
 * kind must be there.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS, type MessageKind } from '../../src/fleet/messages';
import { ROOT } from '../helpers/paths';

describe('docs/protocol.md', () => {
  it('carries the JSON Schema of every message, equal to the code', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8');
    const found = new Map<string, unknown>();
    const re = /#### Schema: (\w+)\s+```json\n([\s\S]*?)\n```/g;
    for (let m = re.exec(doc); m; m = re.exec(doc)) found.set(m[1], JSON.parse(m[2]));
    assert.deepEqual([...found.keys()].sort(), Object.keys(SCHEMAS).sort());
    for (const [kind, schema] of found) {
      assert.deepEqual(schema, SCHEMAS[kind as MessageKind], `schema of ${kind} differs`);
    }
  });
});
