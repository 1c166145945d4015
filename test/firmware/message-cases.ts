/**
 * Corpora for the differential test of the C message parsers against ajv:
 * a valid message of each kind, then each field removed, set to every value
 * of a list of wrong types and boundary values, plus unknown fields, other
 * roots and hand-written texts with escapes. One JSON text per line.
 */
import { createHash } from 'node:crypto';

const WRONG_TYPES: unknown[] = [null, true, false, '1', [], {}, [1], { a: 1 }];
const BOUNDARY_NUMBERS = [
  -1, 0, 0.5, 1, 1.0000001, 2, 15, 16, 17, 63, 64, 65, 4095, 4096, 4097, 65535, 65536, 1e3,
  4294967295, 4294967296, -0, 1e20,
];

function mutations(base: Record<string, unknown>, extra: Record<string, unknown[]>): string[] {
  const out = [JSON.stringify(base)];
  for (const key of Object.keys(base)) {
    const without = { ...base };
    delete without[key];
    out.push(JSON.stringify(without));
    for (const value of [...WRONG_TYPES, ...BOUNDARY_NUMBERS, ...(extra[key] ?? [])]) {
      out.push(JSON.stringify({ ...base, [key]: value }));
    }
  }
  for (const [key, values] of Object.entries(extra)) {
    if (key in base) continue;
    for (const value of values) out.push(JSON.stringify({ ...base, [key]: value }));
  }
  out.push(JSON.stringify({ ...base, unknownField: { nested: [1, 2, 3] } }));
  out.push('[]', '"offer"', '1', 'null', '{}', '{"v":1', `${JSON.stringify(base)} x`);
  return out;
}

const HEX8 = ['0badf00d', '0BADF00D', '0badf00', '0badf00dd', 'g0000000', '', '00000000'];

export function offerCases(): string[] {
  const base = {
    v: 1,
    deployId: '0badf00d',
    size: 3000,
    chunkSize: 192,
    chunks: 16,
    mSize: 300,
    mChunks: 2,
    signed: false,
    window: 8,
    ackEvery: 4,
    fanout: false,
  };
  return mutations(base, { deployId: HEX8 });
}

const emoji = '\u{1F600}';

export function manifestCases(): string[] {
  const sha = createHash('sha256').update('model').digest('hex');
  const base = {
    v: 1,
    deployId: '0badf00d',
    name: 'sine',
    version: '1',
    format: 'tflite',
    size: 3000,
    sha256: sha,
    chunkSize: 192,
    chunks: 16,
    arenaBytes: 1024,
    ops: ['FULLY_CONNECTED'],
    quantization: 'float32',
    createdAt: 1712345678901,
  };
  const cases = mutations(base, {
    deployId: HEX8,
    name: ['', 'x'.repeat(128), 'x'.repeat(129), emoji.repeat(128), emoji.repeat(129), 'é'.repeat(128)],
    version: ['x'.repeat(64), 'x'.repeat(65), emoji.repeat(64), emoji.repeat(65)],
    format: ['tflite', 'TFLITE', 'onnx'],
    sha256: [sha.toUpperCase(), sha.slice(1), `${sha}0`],
    ops: [
      [],
      ['A', 'B'],
      [1],
      ['x'.repeat(64)],
      ['x'.repeat(65)],
      Array(256).fill('OP'),
      Array(257).fill('OP'),
    ],
    quantization: ['float32', 'float16', 'int8', 'int16', 'mixed', 'int4', ''],
    labels: [[], ['yes', 'no'], [1], 'yes', ['x'.repeat(256)], ['x'.repeat(257)], Array(1025).fill('l')],
    inputScaling: [{}, { x: 1 }, { x: [1, 2] }, { x: 'a' }, { x: [1, 'a'] }, [], 1, { x: null }],
    createdAt: [0, -5, 1.5],
    tflmArenaBytes: [0, 4096, 4294967295, 4294967296, -1, 1.5, '4096', null],
  });
  // Escapes, as another JSON writer might send them: JSON.parse and the C reader must agree.
  const text = JSON.stringify(base);
  cases.push(text.replace('"sine"', '"\\u0073ine"'));
  cases.push(text.replace('"0badf00d"', '"\\u0030badf00d"'));
  cases.push(text.replace('"tflite"', '"tfl\\u0069te"'));
  cases.push(text.replace('"sine"', `"${'\\ud83d\\ude00'.repeat(128)}"`));
  cases.push(text.replace('"sine"', `"${'\\ud83d\\ude00'.repeat(129)}"`));
  cases.push(text.replace('"sine"', `"${'\\ud83d'.repeat(128)}"`));
  cases.push(text.replace('"sine"', `"${'\\ud83d'.repeat(129)}"`));
  cases.push(text.replace('"v":1', '"v":1.0'));
  cases.push(text.replace('"v":1', '"v":1e0'));
  cases.push(text.replace('"size":3000', '"size":3e3'));
  cases.push(text.replace('"size":3000', '"size":3000,"size":"dup"'));
  cases.push(text.replace('"name":"sine"', '"name":"x","name":"sine"'));
  cases.push(text.replace('{', '{ \t\r '));
  return cases;
}

export function commandCases(): string[] {
  const base = { v: 1, cmd: 'rollback', requestId: 'r-1' };
  return mutations(base, {
    cmd: ['rollback', 'cancel', 'status', 'reboot', ''],
    requestId: ['', 'x'.repeat(64), 'x'.repeat(65), emoji.repeat(64)],
    deployId: HEX8,
  });
}

export function inferCases(): string[] {
  const base = { v: 1, requestId: 'q-1', input: [0.5] };
  return mutations(base, {
    requestId: ['', 'x'.repeat(64), 'x'.repeat(65)],
    input: [[], [[1, 2], [3]], [1, 'a'], [[[]]], [null]],
  });
}
