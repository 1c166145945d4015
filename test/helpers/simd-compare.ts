/**
 * An int8 model run on the WebAssembly SIMD kernels and on the portable
 * reference loops (Interpreter { simd: false }, which reproduce TFLM's
 * goldens), compared value for value over three inputs: two random, one of
 * the int8 extremes only. A third of the outputs at least must stay off the
 * clamp bounds, so the comparison is not between two saturated tensors.
 */
import { strict as assert } from 'node:assert';
import { Interpreter } from '../../src/runtime/interpreter';
import { mulberry32 } from '../../src/model/random';
import { simdAvailable } from '../../src/runtime/wasm/simd-runtime';

export function assertSimdEqualsReference(bytes: Uint8Array, seed: number): void {
  assert.ok(simdAvailable());
  const simd = new Interpreter(bytes);
  const plain = new Interpreter(bytes, { simd: false });
  assert.ok(simd.persistentBytes > 0 && plain.persistentBytes === 0, 'SIMD path taken');
  const rand = mulberry32(seed);
  const length = simd.inputs[0].data.length;
  for (let trial = 0; trial < 3; trial++) {
    const input = Array.from({ length }, () =>
      trial === 2 ? (rand() < 0.5 ? -128 : 127) : Math.floor(rand() * 256) - 128,
    );
    simd.setInput(0, input);
    plain.setInput(0, input);
    simd.invoke();
    plain.invoke();
    const want = Array.from(plain.outputs[0].data as Int8Array);
    assert.deepEqual(Array.from(simd.outputs[0].data as Int8Array), want, `trial ${trial}`);
    const inside = want.filter((v) => v > -128 && v < 127).length;
    assert.ok(inside > want.length / 3, `${inside} of ${want.length} outputs unsaturated`);
  }
}
