/**
 * Fuzzing the reader: thousands of seeded mutations of valid files (real
 * models made by TensorFlow's converter and models from our converter) with
 * bit flips, overwritten offsets, truncation, zeroed and copied ranges. Every
 * mutant must either read, or fail with a TfliteFormatError: never another
 * exception, a hang or an out-of-memory. What the reader accepts must also be
 * inspectable (errors only as TinymlError) and round-trip through the writer.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { inspectModel } from '../../src/tflite/inspect';
import { convertLayersModel } from '../../src/tflite/convert';
import { mulberry32 } from '../../src/model/random';
import { isTinymlError, TfliteFormatError } from '../../src/errors';
import { seedWeights } from '../helpers/models';
import { sharedModel } from '../helpers/paths';

type Rand = () => number;

const REAL = [
  'hello_world_float.tflite',
  'hello_world_int8.tflite',
  'micro_speech_quantized.tflite',
  'keyword_scrambled_8bit.tflite',
  'simple_add_model.tflite',
  'seanet/conv0.tflite',
  'seanet/add0.tflite',
  'seanet/pad0.tflite',
];

function convertedModel(): Uint8Array {
  const L = tf.layers;
  const model = tf.sequential({
    layers: [
      L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, activation: 'relu' }),
      L.batchNormalization({}),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 7);
  const bytes = writeModel(
    convertLayersModel(model, { metadata: { name: 'fuzz', labels: ['a', 'b', 'c', 'd'] } }),
  );
  model.dispose();
  return bytes;
}

function int(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

/**
 * A position to damage: anywhere, or (more often) in the first or last KiB,
 * where the tables live in files written by flatbuffers builders.
 */
function position(rand: Rand, length: number): number {
  const r = rand();
  if (r < 0.4) return int(rand, length);
  if (r < 0.7) return int(rand, Math.min(length, 1024));
  return Math.max(0, length - 1 - int(rand, Math.min(length, 1024)));
}

const MUTATIONS: { name: string; apply: (b: Uint8Array, rand: Rand) => Uint8Array }[] = [
  {
    name: 'bit flips',
    apply: (b, rand) => {
      const out = b.slice();
      const flips = 1 + int(rand, 8);
      for (let i = 0; i < flips; i++) out[position(rand, out.length)] ^= 1 << int(rand, 8);
      return out;
    },
  },
  {
    name: 'offset corruption',
    apply: (b, rand) => {
      const out = b.slice();
      const view = new DataView(out.buffer);
      const at = position(rand, out.length - 4) & ~3;
      const old = view.getUint32(at, true);
      const choices = [
        old + 1 + int(rand, 64),
        old - 1 - int(rand, 64),
        out.length - int(rand, 16),
        out.length + int(rand, 1 << 20),
        0,
        0xffffffff,
        0x7fffffff,
        0x80000000,
        int(rand, 2 ** 32),
      ];
      view.setUint32(at, choices[int(rand, choices.length)] >>> 0, true);
      return out;
    },
  },
  {
    name: 'truncation',
    apply: (b, rand) => b.slice(0, int(rand, b.length)),
  },
  {
    name: 'zeroed range',
    apply: (b, rand) => {
      const out = b.slice();
      const start = position(rand, out.length);
      out.fill(0, start, start + 1 + int(rand, 64));
      return out;
    },
  },
  {
    name: 'copied range',
    apply: (b, rand) => {
      const out = b.slice();
      const from = position(rand, out.length);
      const to = position(rand, out.length);
      const len = 1 + int(rand, 32);
      out.set(b.subarray(from, Math.min(from + len, b.length)).subarray(0, out.length - to), to);
      return out;
    },
  },
  {
    name: 'random bytes',
    apply: (b, rand) => {
      const out = b.slice();
      const start = position(rand, out.length);
      const end = Math.min(out.length, start + 1 + int(rand, 16));
      for (let i = start; i < end; i++) out[i] = int(rand, 256);
      return out;
    },
  },
];

describe('reader fuzzing (seeded)', function () {
  this.timeout(120000);

  it('5,000 mutants of real and converted models: each reads or fails with TfliteFormatError', () => {
    const bases: { name: string; bytes: Uint8Array }[] = REAL.map((name) => ({
      name,
      bytes: new Uint8Array(readFileSync(sharedModel(name))),
    }));
    bases.push({ name: 'converted conv net', bytes: convertedModel() });
    const rand = mulberry32(20240611);
    const perBase = Math.ceil(5000 / bases.length);
    const counts = { mutants: 0, accepted: 0, rejected: 0 };
    const reasons = new Map<string, number>();
    let slowest = 0;
    for (const base of bases) {
      for (let i = 0; i < perBase; i++) {
        const mutation = MUTATIONS[int(rand, MUTATIONS.length)];
        const bytes = mutation.apply(base.bytes, rand);
        const where = `${base.name}, mutant ${i} (${mutation.name})`;
        counts.mutants++;
        const started = process.hrtime.bigint();
        let model;
        try {
          model = readModel(bytes);
        } catch (err) {
          if (!(err instanceof TfliteFormatError)) {
            assert.fail(`${where}: ${(err as Error).name}: ${(err as Error).stack}`);
          }
          counts.rejected++;
          const reason = err.message.replace(/[\d"][^ ]*/g, '#').slice(0, 40);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          continue;
        } finally {
          slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
        }
        counts.accepted++;
        try {
          inspectModel(model, bytes.length);
        } catch (err) {
          if (!isTinymlError(err)) assert.fail(`${where}: inspect threw ${(err as Error).stack}`);
        }
        assert.deepEqual(readModel(writeModel(model)), model, `${where}: round trip`);
      }
    }
    assert.equal(counts.accepted + counts.rejected, counts.mutants);
    assert.ok(counts.mutants >= 5000);
    // The mutations must really damage files: most mutants are refused, with
    // many different reasons.
    assert.ok(counts.rejected > counts.mutants / 2, JSON.stringify(counts));
    assert.ok(reasons.size >= 10, [...reasons.keys()].join('\n'));
    // A hang guard, not a speed measurement (that is bench/convert.bench.ts):
    // no single read of these <= 30 KB files may take anywhere near a second.
    assert.ok(slowest < 1000, `slowest read took ${slowest} ms`);
  });
});
