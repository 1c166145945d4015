/**
 * The int8 gemm with output channels in the lanes (wasm/gemm-lanes.ts, taken
 * by CONV_2D and FULLY_CONNECTED with a multiple of 16 output channels)
 * against the portable reference loop (TFLM's reference kernels, which the
 * goldens pin): 1x1 convolutions read in place with depths below, at and off
 * the eight-value blocks (3, 8, 20, 64), an odd number of pixels (the lone
 * last row), a 3x3 SAME convolution through im2col, 48 channels (three
 * blocks), per-channel scales that put some groups of four on the general
 * requantization (a multiplier above 1, shift > 0), input zero points at
 * both ends, fused ReLU6, and FULLY_CONNECTED batches.
 */
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type ActivationName } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { mulberry32 } from '../../../src/model/random';
import { assertSimdEqualsReference } from '../../helpers/simd-compare';

interface LanesCase {
  name: string;
  /** NHWC input; a FULLY_CONNECTED case uses [batches, 1, 1, depth]. */
  input: [number, number, number, number];
  outC: number;
  kernel: 1 | 3;
  zeroPoint: number;
  /** Per-channel output scale over input scale * filter scale for channel 5 (< 1: shift > 0). */
  boost?: number;
  activation?: ActivationName;
  fullyConnected?: boolean;
}

function model(c: LanesCase, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const [n, h, w, inC] = c.input;
  const depth = c.kernel * c.kernel * inC;
  const q = (scale: number[], zeroPoint: number, dim = 0) => ({
    scale,
    zeroPoint: scale.map(() => zeroPoint),
    quantizedDimension: dim,
  });
  const sIn = 0.05;
  const sOut = 0.02 * Math.sqrt(depth);
  // scales over a factor 40: the groups of four mix shifts; channel 5 may get a multiplier > 1
  const sW = Array.from({ length: c.outC }, (_, o) =>
    o === 5 && c.boost ? (sOut / sIn) * c.boost : (0.0005 + rand() * 0.02) / Math.sqrt(depth),
  );
  const g = new GraphBuilder();
  const inShape = c.fullyConnected ? [n, inC] : c.input;
  const x = g.addTensor('x', inShape, 'int8', undefined, q([sIn], c.zeroPoint));
  const weights = Int8Array.from({ length: c.outC * depth }, () => Math.floor(rand() * 256) - 128);
  const wShape = c.fullyConnected ? [c.outC, inC] : [c.outC, c.kernel, c.kernel, inC];
  const wt = g.addTensor('w', wShape, 'int8', weights, q(sW, 0));
  const bias = Int32Array.from({ length: c.outC }, () => Math.floor(rand() * 20000) - 10000);
  const b = g.addTensor(
    'b',
    [c.outC],
    'int32',
    bias,
    q(
      sW.map((s) => s * sIn),
      0,
    ),
  );
  const outShape = c.fullyConnected ? [n, c.outC] : [n, h, w, c.outC];
  const y = g.addTensor('y', outShape, 'int8', undefined, q([sOut], -5));
  const activation = c.activation ?? 'NONE';
  if (c.fullyConnected) {
    g.addOperator(BuiltinOperator.FULLY_CONNECTED, [x, wt, b], [y], {
      type: 'FullyConnectedOptions',
      fusedActivationFunction: activation,
    });
  } else {
    g.addOperator(BuiltinOperator.CONV_2D, [x, wt, b], [y], {
      type: 'Conv2DOptions',
      padding: 'SAME',
      strideW: 1,
      strideH: 1,
      dilationWFactor: 1,
      dilationHFactor: 1,
      fusedActivationFunction: activation,
    });
  }
  return writeModel(g.finish([x], [y], c.name));
}

const CASES: LanesCase[] = [
  {
    name: '1x1, depth 3, 16 channels, 5x7 pixels',
    input: [1, 5, 7, 3],
    outC: 16,
    kernel: 1,
    zeroPoint: -128,
  },
  { name: '1x1, depth 8, 32 channels', input: [1, 6, 6, 8], outC: 32, kernel: 1, zeroPoint: 17 },
  {
    name: '1x1, depth 20, 48 channels, a multiplier above 1, two batches',
    input: [2, 3, 5, 20],
    outC: 48,
    kernel: 1,
    zeroPoint: 127,
    boost: 1.7,
  },
  {
    name: '1x1, depth 64, 16 channels, ReLU6',
    input: [1, 3, 3, 64],
    outC: 16,
    kernel: 1,
    zeroPoint: -9,
    activation: 'RELU6',
  },
  {
    name: '3x3 SAME (im2col), depth 4 x 9, 32 channels',
    input: [1, 5, 6, 4],
    outC: 32,
    kernel: 3,
    zeroPoint: 3,
  },
  {
    name: 'FULLY_CONNECTED, 3 batches, depth 37, 32 units',
    input: [3, 1, 1, 37],
    outC: 32,
    kernel: 1,
    zeroPoint: -1,
    fullyConnected: true,
  },
];

describe('SIMD int8 gemm with output channels in the lanes', () => {
  for (const [i, c] of CASES.entries()) {
    it(`equals the reference loop: ${c.name}`, () => {
      assertSimdEqualsReference(model(c, 40 + i), 9 + i);
    });
  }
});
