/**
 * The int8 3x3 depthwise on WebAssembly SIMD over a zero-point framed copy of
 * the input (kernels/depthwise-conv-2d-int8.ts framedDepthwise, wasm
 * copy-kernels.ts pad_int8) against the portable reference loop (which
 * reproduces TFLM's goldens): value for value where taps fall in the padding
 * on every side (SAME, stride 1 and 2 with odd and even sizes, dilation 2),
 * channel counts off the eight-lane blocks, a one-channel input read by every
 * output channel, two batches, and input zero points at both ends.
 */
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type PaddingName } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { mulberry32 } from '../../../src/model/random';
import { assertSimdEqualsReference } from '../../helpers/simd-compare';
import { computePaddingHeightWidth } from '../../../src/runtime/kernels/padding';

interface DepthwiseCase {
  name: string;
  input: [number, number, number, number];
  multiplier: number;
  stride: number;
  dilation: number;
  padding: PaddingName;
  zeroPoint: number;
}

function model(c: DepthwiseCase, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const [n, h, w, inC] = c.input;
  const outC = inC * c.multiplier;
  const { outHeight, outWidth } = computePaddingHeightWidth(
    c.stride,
    c.stride,
    c.dilation,
    c.dilation,
    h,
    w,
    3,
    3,
    c.padding,
  );
  const q = (scale: number[], zeroPoint: number, dim = 0) => ({
    scale,
    zeroPoint: scale.map(() => zeroPoint),
    quantizedDimension: dim,
  });
  const g = new GraphBuilder();
  const x = g.addTensor('x', c.input, 'int8', undefined, q([0.05], c.zeroPoint));
  // no -128: the unrolled kernel's condition
  const weights = Int8Array.from({ length: 9 * outC }, () => Math.floor(rand() * 255) - 127);
  const sW = Array.from({ length: outC }, () => 0.002 + rand() * 0.01);
  const wt = g.addTensor('w', [1, 3, 3, outC], 'int8', weights, q(sW, 0, 3));
  const bias = Int32Array.from({ length: outC }, () => Math.floor(rand() * 4000) - 2000);
  const b = g.addTensor(
    'b',
    [outC],
    'int32',
    bias,
    q(
      sW.map((s) => s * 0.05),
      0,
    ),
  );
  const y = g.addTensor('y', [n, outHeight, outWidth, outC], 'int8', undefined, q([0.08], 4));
  g.addOperator(
    BuiltinOperator.DEPTHWISE_CONV_2D,
    [x, wt, b],
    [y],
    {
      type: 'DepthwiseConv2DOptions',
      padding: c.padding,
      strideW: c.stride,
      strideH: c.stride,
      dilationWFactor: c.dilation,
      dilationHFactor: c.dilation,
      depthMultiplier: c.multiplier,
      fusedActivationFunction: 'NONE',
    },
    3,
  );
  return writeModel(g.finish([x], [y], c.name));
}

const CASES: DepthwiseCase[] = [
  {
    name: 'SAME stride 1, 5 channels',
    input: [1, 5, 7, 5],
    multiplier: 1,
    stride: 1,
    dilation: 1,
    padding: 'SAME',
    zeroPoint: -128,
  },
  {
    name: 'SAME stride 2 even size (padding bottom/right only), 12 channels, two batches',
    input: [2, 8, 10, 12],
    multiplier: 1,
    stride: 2,
    dilation: 1,
    padding: 'SAME',
    zeroPoint: 127,
  },
  {
    name: 'SAME stride 2 odd size, 16 channels',
    input: [1, 7, 9, 16],
    multiplier: 1,
    stride: 2,
    dilation: 1,
    padding: 'SAME',
    zeroPoint: -3,
  },
  {
    name: 'SAME dilation 2, 8 channels',
    input: [1, 6, 9, 8],
    multiplier: 1,
    stride: 1,
    dilation: 2,
    padding: 'SAME',
    zeroPoint: 10,
  },
  {
    name: 'one input channel x 6, SAME stride 2',
    input: [1, 9, 8, 1],
    multiplier: 6,
    stride: 2,
    dilation: 1,
    padding: 'SAME',
    zeroPoint: -60,
  },
  {
    name: 'one input channel x 8, SAME stride 1, 1x1 image',
    input: [1, 1, 1, 1],
    multiplier: 8,
    stride: 1,
    dilation: 1,
    padding: 'SAME',
    zeroPoint: 0,
  },
];

describe('SIMD 3x3 depthwise over a framed input', () => {
  for (const [i, c] of CASES.entries()) {
    it(`equals the reference loop: ${c.name}`, () => {
      assertSimdEqualsReference(model(c, 70 + i), 3 + i);
    });
  }
});
