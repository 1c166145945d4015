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
import { instantiateInt8Kernels } from '../../../src/runtime/wasm/int8-kernels';
import { packRequantParams } from '../../../src/runtime/wasm/requantize';
import { simdAvailable } from '../../../src/runtime/wasm/simd-runtime';
import { mulberry32 } from '../../../src/model/random';
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { Interpreter } from '../../../src/runtime/interpreter';

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

/**
 * Runs gemm_int8 with one weight of 1 per channel over 40 random trials of
 * multipliers, shifts from `shifts(channel, rand)` and biases whose outputs
 * land near [-100, 100], often on a tie; compares every output with
 * mbqmRef. `withBounds`: packRequantParams gets |acc| <= |bias| + 128, so
 * groups may take its fast form. Returns [unsaturated outputs, fast groups].
 */
function compareWithReference(
  shifts: (o: number, rand: () => number) => number,
  withBounds: boolean,
): [number, number] {
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
  let fast = 0;
  for (let trial = 0; trial < 40; trial++) {
    const multiplier = Int32Array.from(
      { length: channels },
      () => (1 << 30) + Math.floor(rand() * 2 ** 30),
    );
    const shift = Int32Array.from({ length: channels }, (_, o) => shifts(o, rand));
    const bias = Int32Array.from({ length: channels }, (_, o) => {
      const scale = (multiplier[o] / 2 ** 31) * 2 ** shift[o];
      const target = (rand() * 200 - 100) / scale;
      const tie = rand() < 0.3 ? 2 ** Math.max(-shift[o] - 1, 0) : 0;
      return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(target) + tie)) | 0;
    });
    const bound = withBounds ? Array.from(bias, (b) => Math.abs(b) + 128) : undefined;
    const packed = packRequantParams(bias, multiplier, shift, channels, bound);
    const view = new DataView(packed.buffer);
    for (let g = 0; g < channels / 4; g++) fast += view.getInt32(g * 128 + 112, true);
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
  return [checked, fast];
}

describe('SIMD requantization', () => {
  it('equals TFLite MultiplyByQuantizedMultiplier for every shift, signs and ties', () => {
    assert.ok(simdAvailable());
    const [checked, fast] = compareWithReference((_, rand) => -31 + Math.floor(rand() * 62), false);
    assert.ok(checked > 10000, `${checked} unsaturated outputs compared`);
    assert.equal(fast, 0);
  });

  it('takes the one-shift form for groups whose accumulator bound allows it, with the same values', () => {
    assert.ok(simdAvailable());
    // Each group of four channels: shifts within 3 of a base in [-20, 0], so
    // lanes are lifted by up to 2^3 (and right shifts of 0 mix with others).
    const base = Array.from({ length: 16 }, (_, g) => -((g * 7) % 21));
    const [checked, fast] = compareWithReference(
      (o, rand) => Math.min(0, base[o >> 2] + Math.floor(rand() * 4)),
      true,
    );
    assert.ok(checked > 10000, `${checked} unsaturated outputs compared`);
    assert.equal(fast, 40 * 16, 'every group fast');
  });

  it('keeps the general form where a shift is left or the bound could overflow', () => {
    const m = [1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30];
    const packed = packRequantParams([0, 0, 0, 0, 0], m, [-3, -3, -3, -3, 1], 5, [
      2 ** 27,
      2 ** 27,
      2 ** 27,
      2 ** 27,
      10,
    ]);
    const view = new DataView(packed.buffer);
    // group 0: |q| * 2^0 + 2^2 < 2^31 holds: fast; group 1: a left shift
    assert.deepEqual([view.getInt32(112, true), view.getInt32(128 + 112, true)], [1, 0]);
    const tooBig = packRequantParams([0, 0], m, [-1, -9], 2, [2 ** 23, 2 ** 23]);
    // 2^23 * 2^8 + 2^8 >= 2^31
    assert.equal(new DataView(tooBig.buffer).getInt32(112, true), 0);
  });
});

/**
 * A 3x3 depthwise convolution at the extremes of int8: weights of +-127 (and
 * -128, which the unrolled kernel refuses and leaves to the generic one) and
 * inputs of -128/127, where paired tap products come closest to the i16
 * limit. The SIMD result must equal the portable kernels (checked against
 * TFLM's goldens elsewhere) value for value.
 */
function extremeDepthwise(weightValues: number[], seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const c = 24;
  const g = new GraphBuilder();
  const x = g.addTensor('x', [1, 9, 11, c], 'int8', undefined, {
    scale: [1],
    zeroPoint: [-5],
    quantizedDimension: 0,
  });
  const weights = Int8Array.from(
    { length: 9 * c },
    () => weightValues[Math.floor(rand() * weightValues.length)],
  );
  const w = g.addTensor('w', [1, 3, 3, c], 'int8', weights, {
    scale: new Array(c).fill(1),
    zeroPoint: new Array(c).fill(0),
    quantizedDimension: 3,
  });
  const bias = Int32Array.from({ length: c }, () => Math.floor(rand() * 20000) - 10000);
  const b = g.addTensor('b', [c], 'int32', bias, {
    scale: new Array(c).fill(1),
    zeroPoint: new Array(c).fill(0),
    quantizedDimension: 0,
  });
  const y = g.addTensor('y', [1, 9, 11, c], 'int8', undefined, {
    scale: [1500],
    zeroPoint: [3],
    quantizedDimension: 0,
  });
  g.addOperator(
    BuiltinOperator.DEPTHWISE_CONV_2D,
    [x, w, b],
    [y],
    {
      type: 'DepthwiseConv2DOptions',
      padding: 'SAME',
      strideW: 1,
      strideH: 1,
      depthMultiplier: 1,
      fusedActivationFunction: 'NONE',
    },
    3,
  );
  return writeModel(g.finish([x], [y], 'extreme depthwise'));
}

describe('SIMD 3x3 depthwise', () => {
  for (const [label, values] of [
    ['weights +-127', [127, -127]],
    ['weights -128..127', [-128, 127, -127, 0]],
  ] as const) {
    it(`equals the portable kernel at the int8 extremes (${label})`, () => {
      const bytes = extremeDepthwise([...values], label.length);
      const simd = new Interpreter(bytes);
      const plain = new Interpreter(bytes, { simd: false });
      const rand = mulberry32(5);
      for (let trial = 0; trial < 4; trial++) {
        const input = Array.from({ length: 9 * 11 * 24 }, () =>
          trial === 0 ? -128 : trial === 1 ? 127 : rand() < 0.5 ? -128 : 127,
        );
        simd.setInput(0, input);
        plain.setInput(0, input);
        simd.invoke();
        plain.invoke();
        const a = Array.from(simd.outputs[0].data as Int8Array);
        const e = Array.from(plain.outputs[0].data as Int8Array);
        assert.deepEqual(a, e);
        assert.ok(e.some((v) => v > -128 && v < 127));
      }
    });
  }
});
