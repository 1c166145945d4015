/**
 * The WebAssembly SIMD requantization (wasm/int8-kernels.ts) against TFLite's
 * MultiplyByQuantizedMultiplier, transcribed in BigInt from its definition,
 * over the whole int32 range and every shift TFLM produces (-31..30),
 * including shifts >= 0 (a left shift and no rounding division) and ties.
 * gemm_int8 runs with one weight of 1 per channel, so its accumulator is the
 * bias plus one input; outputs are compared before the int8 clamp bites by
 * choosing offsets and ranges that keep them inside.
 */
import { strict as assert } from 'node:assert';
import { packRequantParams, instantiateInt8Kernels } from '../../../src/runtime/wasm/int8-kernels';
import { simdAvailable } from '../../../src/runtime/wasm/simd-runtime';
import { mulberry32 } from '../../../src/model/random';

function mbqmRef(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const shifted = BigInt.asIntN(32, BigInt(x) * (1n << BigInt(left)));
  const ab = shifted * BigInt(multiplier);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const q = BigInt.asIntN(32, (ab + nudge) / (1n << 31n));
  const mask = (1n << BigInt(right)) - 1n;
  const threshold = (mask >> 1n) + (q < 0n ? 1n : 0n);
  return Number((q >> BigInt(right)) + ((q & mask) > threshold ? 1n : 0n));
}

describe('SIMD requantization', () => {
  it('equals TFLite MultiplyByQuantizedMultiplier for every shift, signs and ties', () => {
    assert.ok(simdAvailable());
    const memory = new WebAssembly.Memory({ initial: 4 });
    const k = instantiateInt8Kernels(memory)!;
    const rand = mulberry32(99);
    const channels = 64;
    const rows = 16;
    // layout: input rows (8 bytes each), weights, records, output
    const input = 0;
    const weights = 1024;
    const records = 4096;
    const out = 32768;
    const i8 = new Int8Array(memory.buffer);
    for (let o = 0; o < channels; o++) i8[weights + o * 8] = 1;
    let checked = 0;
    for (let trial = 0; trial < 40; trial++) {
      const multiplier = Int32Array.from(
        { length: channels },
        () => (1 << 30) + Math.floor(rand() * 2 ** 30),
      );
      const shift = Int32Array.from({ length: channels }, () => -31 + Math.floor(rand() * 62));
      // Biases whose requantized value lands near [-100, 100], often on a tie.
      const bias = Int32Array.from({ length: channels }, (_, o) => {
        const scale = (multiplier[o] / 2 ** 31) * 2 ** shift[o];
        const target = (rand() * 200 - 100) / scale;
        const tie = rand() < 0.3 ? 2 ** Math.max(-shift[o] - 1, 0) : 0;
        return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(target) + tie)) | 0;
      });
      const packed = packRequantParams(bias, multiplier, shift, channels);
      new Uint8Array(memory.buffer, records, packed.length).set(packed);
      for (let r = 0; r < rows * 8; r++) i8[input + r] = Math.floor(rand() * 256) - 128;
      k.gemm(input, 8, rows, weights, 8, channels, records, 0, 0, -128, 127, out, channels);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < channels; o++) {
          const acc = (bias[o] + i8[input + r * 8]) | 0;
          const expected = Math.max(-128, Math.min(127, mbqmRef(acc, multiplier[o], shift[o])));
          assert.equal(
            i8[out + r * channels + o],
            expected,
            `acc ${acc} m ${multiplier[o]} shift ${shift[o]}`,
          );
          if (expected > -128 && expected < 127) checked++;
        }
      }
    }
    assert.ok(checked > 10000, `${checked} unsaturated outputs compared`);
  });
});
