/**
 * The interpreter against TensorFlow Lite Micro's reference kernels, bit for
 * bit: goldens recorded by tflm-reference/make-goldens.ts from a host build
 * of tflite-micro (a host build outside the project) for the real models and every single-op case
 * (op-cases.ts), including int16x8 kernels and TFLM's own SVDF that the real
 * TFLite runtime computes differently. Integer outputs must be identical, on
 * both the WebAssembly SIMD and the JavaScript paths; float32 outputs within
 * 1e-5 (TFLM accumulates in float, the interpreter in double). The arena the
 * planner lays out must be the size TFLM's GreedyMemoryPlanner reports, on
 * both paths (what only the SIMD kernels need lives outside the arena).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interpreter } from '../../src/runtime/interpreter';
import { simdAvailable } from '../../src/runtime/wasm/simd-runtime';
import { ROOT, sharedModel } from '../helpers/paths';
import type { Golden } from './tflm-reference/make-goldens';

const { goldens } = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'tflm-goldens', 'goldens.json'), 'utf8'),
) as { goldens: Golden[] };

function modelBytes(g: Golden): Uint8Array {
  return g.file ? readFileSync(sharedModel(g.file)) : Buffer.from(g.model!, 'base64');
}

describe('bit-exact with TFLite Micro reference kernels (recorded goldens)', () => {
  it('has goldens for the real models and the op cases', () => {
    assert.ok(goldens.length >= 90, `${goldens.length} goldens`);
    assert.ok(simdAvailable(), 'this engine runs the WebAssembly SIMD kernels');
  });

  for (const g of goldens) {
    it(g.name, () => {
      const bytes = modelBytes(g);
      for (const simd of [true, false]) {
        const interp = new Interpreter(bytes, { simd });
        assert.equal(
          interp.layout.arenaBytes,
          g.arenaHead,
          `${simd ? 'simd' : 'js'}: TFLM's arena`,
        );
        g.steps.forEach((step, s) => {
          step.inputs.forEach((v, i) => interp.setInput(i, v));
          interp.invoke();
          interp.outputs.forEach((t, o) => {
            const ours = Array.from(t.data as ArrayLike<number | bigint>, Number);
            const ref = step.outputs[o];
            if (t.type === 'float32') {
              ours.forEach((v, k) =>
                assert.ok(
                  Math.abs(v - ref[k]) <= 1e-5 * Math.max(1, Math.abs(ref[k])),
                  `${simd ? 'simd' : 'js'} step ${s} output ${o}[${k}]: ${v} vs ${ref[k]}`,
                ),
              );
            } else {
              assert.deepEqual(ours, ref, `${simd ? 'simd' : 'js'} step ${s} output ${o}`);
            }
          });
        });
      }
    });
  }
});
