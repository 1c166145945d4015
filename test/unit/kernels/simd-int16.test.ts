/**
 * The int16 x int8 CONV_2D on WebAssembly SIMD (kernels/conv-2d-int16.ts,
 * wasm/int16-kernels.ts) against the portable reference loop
 * (conv-2d-quantized.ts, which reproduces TFLM's outputs for the seanet
 * convolutions exactly: real-models.test.ts): equal value for value over
 * borders (SAME padding, taps in the padding read as 0), strides and
 * dilations, 1x1 convolutions read in place, channel counts off the
 * four-lane groups, depths off the eight-value blocks, two batches, a
 * multiplier above 1 (shift > 0), fused ReLU, and the int16/int8 extremes.
 * A filter whose int32 sums could wrap must leave the SIMD path. FULLY_CONNECTED
 * (the same gemm16-simd.ts path) likewise over batches, depths and lane tails.
 */
import { strict as assert } from 'node:assert';
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type ActivationName } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { Interpreter } from '../../../src/runtime/interpreter';
import { mulberry32 } from '../../../src/model/random';
import { simdAvailable } from '../../../src/runtime/wasm/simd-runtime';

interface Int16ConvCase {
  name: string;
  input: [number, number, number, number];
  filter: [number, number, number, number];
  stride?: number;
  dilation?: number;
  padding: 'SAME' | 'VALID';
  /** Output scale over input scale * filter scale; below 1 gives a multiplier above 1. */
  outScale: number;
  activation?: ActivationName;
  /** Draw inputs and weights from the extremes only. */
  extremes?: boolean;
  /** Inputs drawn from [-inputMax, inputMax] (and biases scaled alike), else the whole int16 range. */
  inputMax?: number;
  /** Every weight this value (for the overflow guard). */
  weight?: number;
  simd: boolean;
}

function outSize(size: number, f: number, stride: number, dilation: number, same: boolean): number {
  const span = (f - 1) * dilation + 1;
  return same ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
}

function model(c: Int16ConvCase, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const [n, h, w, inC] = c.input;
  const [outC, fh, fw] = c.filter;
  const stride = c.stride ?? 1;
  const dilation = c.dilation ?? 1;
  const same = c.padding === 'SAME';
  const oh = outSize(h, fh, stride, dilation, same);
  const ow = outSize(w, fw, stride, dilation, same);
  const q = (scale: number[], dim = 0) => ({
    scale,
    zeroPoint: scale.map(() => 0),
    quantizedDimension: dim,
  });
  const g = new GraphBuilder();
  const sIn = 0.001;
  const sW = Array.from({ length: outC }, () => 0.002 + rand() * 0.02);
  const x = g.addTensor('x', c.input, 'int16', undefined, q([sIn]));
  const weights = Int8Array.from({ length: outC * fh * fw * inC }, () =>
    c.weight !== undefined
      ? c.weight
      : c.extremes
        ? rand() < 0.5
          ? -128
          : 127
        : Math.floor(rand() * 256) - 128,
  );
  const wt = g.addTensor('w', c.filter, 'int8', weights, q(sW));
  const bias = BigInt64Array.from({ length: outC }, () =>
    BigInt(Math.floor((rand() * 2 - 1) * 30 * (c.inputMax ?? 32767))),
  );
  const b = g.addTensor('b', [outC], 'int64', bias as never, q(sW.map((s) => s * sIn)));
  const meanW = sW.reduce((a, v) => a + v, 0) / outC;
  const y = g.addTensor('y', [n, oh, ow, outC], 'int16', undefined, q([c.outScale * sIn * meanW]));
  g.addOperator(BuiltinOperator.CONV_2D, [x, wt, b], [y], {
    type: 'Conv2DOptions',
    padding: c.padding,
    strideW: stride,
    strideH: stride,
    dilationWFactor: dilation,
    dilationHFactor: dilation,
    fusedActivationFunction: c.activation ?? 'NONE',
  });
  return writeModel(g.finish([x], [y], c.name));
}

const CASES: Int16ConvCase[] = [
  {
    name: '3x3 SAME, 5 -> 6 channels, two batches',
    input: [2, 6, 7, 5],
    filter: [6, 3, 3, 5],
    padding: 'SAME',
    outScale: 300,
    simd: true,
  },
  {
    name: '3x3 VALID stride 2 dilation 2, 3 -> 9 channels',
    input: [1, 11, 13, 3],
    filter: [9, 3, 3, 3],
    stride: 2,
    dilation: 2,
    padding: 'VALID',
    outScale: 200,
    simd: true,
  },
  {
    name: '1x1, 12 -> 7 channels (input rows in place)',
    input: [1, 3, 5, 12],
    filter: [7, 1, 1, 12],
    padding: 'VALID',
    outScale: 100,
    simd: true,
  },
  {
    name: '7x7 VALID 2 -> 8 channels at the extremes (seanet conv0 shape)',
    input: [1, 8, 20, 2],
    filter: [8, 7, 7, 2],
    padding: 'VALID',
    outScale: 3000,
    extremes: true,
    simd: true,
  },
  {
    name: '3x4 stride 2 SAME, 8 -> 16, multiplier above 1, ReLU',
    input: [1, 4, 18, 8],
    filter: [16, 3, 4, 8],
    stride: 2,
    padding: 'SAME',
    outScale: 0.25,
    inputMax: 8,
    activation: 'RELU',
    simd: true,
  },
  {
    name: '3x3 of 64 channels, all weights 127: int32 sums could wrap, reference loop',
    input: [1, 4, 4, 64],
    filter: [4, 3, 3, 64],
    padding: 'SAME',
    outScale: 50000,
    weight: 127,
    extremes: true,
    simd: false,
  },
];

describe('SIMD int16x8 convolution', () => {
  for (const [i, c] of CASES.entries()) {
    it(`equals the reference loop: ${c.name}`, () => {
      assert.ok(simdAvailable());
      const bytes = model(c, 40 + i);
      const simd = new Interpreter(bytes);
      const plain = new Interpreter(bytes, { simd: false });
      assert.equal(simd.persistentBytes > 0, c.simd, 'SIMD path taken');
      const rand = mulberry32(7 + i);
      const length = simd.inputs[0].data.length;
      for (let trial = 0; trial < 3; trial++) {
        const input = Array.from({ length }, () =>
          c.inputMax !== undefined
            ? Math.floor(rand() * (2 * c.inputMax + 1)) - c.inputMax
            : c.extremes || trial === 2
              ? rand() < 0.5
                ? -32768
                : 32767
              : Math.floor(rand() * 65536) - 32768,
        );
        simd.setInput(0, input);
        plain.setInput(0, input);
        simd.invoke();
        plain.invoke();
        const got = Array.from(simd.outputs[0].data as Int16Array);
        const want = Array.from(plain.outputs[0].data as Int16Array);
        assert.deepEqual(got, want, `trial ${trial}`);
        // not all clamped: the comparison sees requantized values
        const inside = want.filter((v) => v > -32768 && v < 32767 && v !== 0).length;
        assert.ok(inside > want.length / 4, `${inside} of ${want.length} outputs unsaturated`);
      }
    });
  }
});

/** A 16x8 FULLY_CONNECTED: [batches, depth] int16 in, [outDepth, depth] int8 weights, int64 bias. */
function fullyConnectedModel(batches: number, depth: number, outDepth: number): Uint8Array {
  const rand = mulberry32(depth * 31 + outDepth);
  const q = (scale: number[]) => ({ scale, zeroPoint: scale.map(() => 0), quantizedDimension: 0 });
  const g = new GraphBuilder();
  const sW = Array.from({ length: outDepth }, () => 0.002 + rand() * 0.02);
  const x = g.addTensor('x', [batches, depth], 'int16', undefined, q([0.001]));
  const weights = Int8Array.from(
    { length: outDepth * depth },
    () => Math.floor(rand() * 256) - 128,
  );
  const w = g.addTensor('w', [outDepth, depth], 'int8', weights, q(sW));
  const bias = BigInt64Array.from({ length: outDepth }, () =>
    BigInt(Math.floor((rand() * 2 - 1) * 1e6)),
  );
  const b = g.addTensor('b', [outDepth], 'int64', bias as never, q(sW.map((s) => s * 0.001)));
  const y = g.addTensor('y', [batches, outDepth], 'int16', undefined, q([0.001 * 0.01 * 200]));
  g.addOperator(BuiltinOperator.FULLY_CONNECTED, [x, w, b], [y], {
    type: 'FullyConnectedOptions',
    fusedActivationFunction: 'NONE',
  });
  return writeModel(g.finish([x], [y], 'fc16'));
}

describe('SIMD int16x8 fully connected', () => {
  for (const [batches, depth, outDepth] of [
    [3, 13, 7],
    [1, 64, 16],
    [5, 1, 3],
  ]) {
    it(`equals the reference loop: ${batches} x ${depth} -> ${outDepth}`, () => {
      const bytes = fullyConnectedModel(batches, depth, outDepth);
      const simd = new Interpreter(bytes);
      const plain = new Interpreter(bytes, { simd: false });
      assert.ok(simd.persistentBytes > 0, 'SIMD path taken');
      const rand = mulberry32(batches + depth);
      for (let trial = 0; trial < 3; trial++) {
        const input = Array.from({ length: batches * depth }, () =>
          trial === 2 ? (rand() < 0.5 ? -32768 : 32767) : Math.floor(rand() * 65536) - 32768,
        );
        simd.setInput(0, input);
        plain.setInput(0, input);
        simd.invoke();
        plain.invoke();
        const want = Array.from(plain.outputs[0].data as Int16Array);
        assert.deepEqual(Array.from(simd.outputs[0].data as Int16Array), want, `trial ${trial}`);
        const inside = want.filter((v) => v > -32768 && v < 32767).length;
        assert.ok(inside > want.length / 4, `${inside} of ${want.length} outputs unsaturated`);
      }
    });
  }
});
