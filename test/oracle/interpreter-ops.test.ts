/**
 * Every kernel against the real TFLite runtime, on single-op models written
 * with the project's own GraphBuilder/writer and filled with seeded data:
 * float32 within 1e-5 (relative), int8 within one quantization step (XNNPACK
 * and TFLite's optimized kernels may round differently from TFLM's reference
 * kernels, which the interpreter follows), with the number of differing
 * values reported per case.
 */
import { strict as assert } from 'node:assert';
import { GraphBuilder, type ConstData } from '../../src/tflite/convert/graph-builder';
import {
  BuiltinOperator,
  type BuiltinOptions,
  type Quantization,
  type TensorTypeName,
} from '../../src/tflite/model';
import { writeModel } from '../../src/tflite/writer';
import { Interpreter } from '../../src/runtime/interpreter';
import { mulberry32 } from '../../src/model/random';
import { TfliteOracle } from './tflite-runtime';

type Rand = () => number;

interface TensorSpec {
  shape: number[];
  type: TensorTypeName;
  q?: [number, number] | { scales: number[]; dim: number };
  data?: ConstData;
}

interface Case {
  name: string;
  op: number;
  version?: number;
  inputs: (TensorSpec | null)[];
  output: TensorSpec;
  options?: BuiltinOptions;
}

function quant(q: TensorSpec['q']): Quantization | undefined {
  if (!q) return undefined;
  if (Array.isArray(q)) return { scale: [q[0]], zeroPoint: [q[1]], quantizedDimension: 0 };
  return { scale: q.scales, zeroPoint: q.scales.map(() => 0), quantizedDimension: q.dim };
}

function build(c: Case): Uint8Array {
  const g = new GraphBuilder();
  const ids = c.inputs.map((t, i) =>
    t ? g.addTensor(`in${i}`, t.shape, t.type, t.data, quant(t.q)) : -1,
  );
  const out = g.addTensor('out', c.output.shape, c.output.type, undefined, quant(c.output.q));
  g.addOperator(c.op, ids, [out], c.options, c.version ?? 1);
  const modelInputs = ids.filter((id, i) => id >= 0 && !c.inputs[i]!.data);
  return writeModel(g.finish(modelInputs, [out], c.name));
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const floats = (r: Rand, n: number, s = 1) =>
  Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
const int8s = (r: Rand, n: number) =>
  Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
const weights8 = (r: Rand, n: number) =>
  Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127);
const int32s = (r: Rand, n: number, s: number) =>
  Int32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * s));

function convCases(r: Rand): Case[] {
  const cases: Case[] = [];
  const configs = [
    { k: 3, stride: 1, pad: 'SAME', dil: 1, act: 'NONE', inC: 3, outC: 8 },
    { k: 3, stride: 2, pad: 'VALID', dil: 1, act: 'RELU6', inC: 8, outC: 5 },
    { k: 1, stride: 1, pad: 'SAME', dil: 1, act: 'RELU', inC: 16, outC: 12 },
    { k: 5, stride: 1, pad: 'SAME', dil: 2, act: 'NONE', inC: 4, outC: 6 },
  ];
  for (const cfg of configs) {
    const inShape = [1, 9, 11, cfg.inC];
    const eff = (cfg.k - 1) * cfg.dil + 1;
    const o = (n: number) =>
      cfg.pad === 'SAME' ? Math.ceil(n / cfg.stride) : Math.ceil((n - eff + 1) / cfg.stride);
    const outShape = [1, o(9), o(11), cfg.outC];
    const wShape = [cfg.outC, cfg.k, cfg.k, cfg.inC];
    const options = {
      type: 'Conv2DOptions',
      padding: cfg.pad,
      strideW: cfg.stride,
      strideH: cfg.stride,
      dilationWFactor: cfg.dil,
      dilationHFactor: cfg.dil,
      fusedActivationFunction: cfg.act,
    };
    const label = `${cfg.k}x${cfg.k} stride ${cfg.stride} ${cfg.pad} dilation ${cfg.dil} ${cfg.act}`;
    cases.push({
      name: `CONV_2D float ${label}`,
      op: BuiltinOperator.CONV_2D,
      inputs: [
        { shape: inShape, type: 'float32' },
        { shape: wShape, type: 'float32', data: floats(r, count(wShape), 0.5) },
        { shape: [cfg.outC], type: 'float32', data: floats(r, cfg.outC) },
      ],
      output: { shape: outShape, type: 'float32' },
      options,
    });
    const inScale = 0.05;
    const wScales = Array.from({ length: cfg.outC }, () => 0.002 + r() * 0.01);
    cases.push({
      name: `CONV_2D int8 per-channel ${label}`,
      op: BuiltinOperator.CONV_2D,
      version: 3,
      inputs: [
        { shape: inShape, type: 'int8', q: [inScale, -3] },
        {
          shape: wShape,
          type: 'int8',
          q: { scales: wScales, dim: 0 },
          data: weights8(r, count(wShape)),
        },
        {
          shape: [cfg.outC],
          type: 'int32',
          q: { scales: wScales.map((s) => s * inScale), dim: 0 },
          data: int32s(r, cfg.outC, 2000),
        },
      ],
      output: { shape: outShape, type: 'int8', q: [0.02 * Math.sqrt(cfg.k * cfg.k * cfg.inC), 5] },
      options,
    });
  }
  return cases;
}

function depthwiseCases(r: Rand): Case[] {
  const cases: Case[] = [];
  for (const cfg of [
    { k: 3, stride: 1, pad: 'SAME', mult: 1, act: 'RELU6', inC: 8 },
    { k: 3, stride: 2, pad: 'VALID', mult: 2, act: 'NONE', inC: 3 },
    { k: 5, stride: 2, pad: 'SAME', mult: 1, act: 'RELU', inC: 4 },
  ]) {
    const outC = cfg.inC * cfg.mult;
    const o = (n: number) =>
      cfg.pad === 'SAME' ? Math.ceil(n / cfg.stride) : Math.ceil((n - cfg.k + 1) / cfg.stride);
    const inShape = [1, 10, 12, cfg.inC];
    const outShape = [1, o(10), o(12), outC];
    const wShape = [1, cfg.k, cfg.k, outC];
    const options = {
      type: 'DepthwiseConv2DOptions',
      padding: cfg.pad,
      strideW: cfg.stride,
      strideH: cfg.stride,
      depthMultiplier: cfg.mult,
      fusedActivationFunction: cfg.act,
    };
    const label = `${cfg.k}x${cfg.k} stride ${cfg.stride} ${cfg.pad} multiplier ${cfg.mult} ${cfg.act}`;
    cases.push({
      name: `DEPTHWISE_CONV_2D float ${label}`,
      op: BuiltinOperator.DEPTHWISE_CONV_2D,
      inputs: [
        { shape: inShape, type: 'float32' },
        { shape: wShape, type: 'float32', data: floats(r, count(wShape)) },
        { shape: [outC], type: 'float32', data: floats(r, outC) },
      ],
      output: { shape: outShape, type: 'float32' },
      options,
    });
    const wScales = Array.from({ length: outC }, () => 0.004 + r() * 0.01);
    cases.push({
      name: `DEPTHWISE_CONV_2D int8 per-channel ${label}`,
      op: BuiltinOperator.DEPTHWISE_CONV_2D,
      version: 3,
      inputs: [
        { shape: inShape, type: 'int8', q: [0.04, 10] },
        {
          shape: wShape,
          type: 'int8',
          q: { scales: wScales, dim: 3 },
          data: weights8(r, count(wShape)),
        },
        {
          shape: [outC],
          type: 'int32',
          q: { scales: wScales.map((s) => s * 0.04), dim: 0 },
          data: int32s(r, outC, 3000),
        },
      ],
      output: { shape: outShape, type: 'int8', q: [0.06 * cfg.k, -7] },
      options,
    });
  }
  return cases;
}

function fullyConnectedCases(r: Rand): Case[] {
  return [
    {
      name: 'FULLY_CONNECTED float RELU',
      op: BuiltinOperator.FULLY_CONNECTED,
      inputs: [
        { shape: [2, 20], type: 'float32' },
        { shape: [7, 20], type: 'float32', data: floats(r, 140) },
        { shape: [7], type: 'float32', data: floats(r, 7) },
      ],
      output: { shape: [2, 7], type: 'float32' },
      options: { type: 'FullyConnectedOptions', fusedActivationFunction: 'RELU' },
    },
    {
      name: 'FULLY_CONNECTED int8 per-tensor',
      op: BuiltinOperator.FULLY_CONNECTED,
      version: 4,
      inputs: [
        { shape: [3, 32], type: 'int8', q: [0.07, -12] },
        { shape: [9, 32], type: 'int8', q: [0.011, 0], data: weights8(r, 288) },
        { shape: [9], type: 'int32', q: [0.07 * 0.011, 0], data: int32s(r, 9, 4000) },
      ],
      output: { shape: [3, 9], type: 'int8', q: [0.15, 3] },
      options: { type: 'FullyConnectedOptions', fusedActivationFunction: 'NONE' },
    },
    {
      name: 'FULLY_CONNECTED int8 without bias, RELU6',
      op: BuiltinOperator.FULLY_CONNECTED,
      version: 4,
      inputs: [
        { shape: [1, 50], type: 'int8', q: [0.02, 0] },
        { shape: [10, 50], type: 'int8', q: [0.013, 0], data: weights8(r, 500) },
        null,
      ],
      output: { shape: [1, 10], type: 'int8', q: [0.03, -128] },
      options: { type: 'FullyConnectedOptions', fusedActivationFunction: 'RELU6' },
    },
  ];
}

function poolCases(): Case[] {
  const cases: Case[] = [];
  for (const [op, opName] of [
    [BuiltinOperator.AVERAGE_POOL_2D, 'AVERAGE_POOL_2D'],
    [BuiltinOperator.MAX_POOL_2D, 'MAX_POOL_2D'],
  ] as const) {
    for (const cfg of [
      { f: 2, s: 2, pad: 'VALID', out: [1, 5, 6, 3] },
      { f: 3, s: 2, pad: 'SAME', out: [1, 6, 7, 3] },
    ]) {
      const options = {
        type: 'Pool2DOptions',
        padding: cfg.pad,
        strideW: cfg.s,
        strideH: cfg.s,
        filterWidth: cfg.f,
        filterHeight: cfg.f,
      };
      const label = `${cfg.f}x${cfg.f} stride ${cfg.s} ${cfg.pad}`;
      cases.push({
        name: `${opName} float ${label}`,
        op,
        inputs: [{ shape: [1, 11, 13, 3], type: 'float32' }],
        output: { shape: cfg.out, type: 'float32' },
        options,
      });
      cases.push({
        name: `${opName} int8 ${label}`,
        op,
        version: 2,
        inputs: [{ shape: [1, 11, 13, 3], type: 'int8', q: [0.1, 4] }],
        output: { shape: cfg.out, type: 'int8', q: [0.1, 4] },
        options,
      });
    }
  }
  return cases;
}

function elementwiseCases(r: Rand): Case[] {
  const cases: Case[] = [];
  for (const [op, name, options] of [
    [BuiltinOperator.ADD, 'ADD', { type: 'AddOptions', fusedActivationFunction: 'NONE' }],
    [BuiltinOperator.MUL, 'MUL', { type: 'MulOptions', fusedActivationFunction: 'RELU' }],
  ] as const) {
    for (const [a, b] of [
      [
        [1, 4, 5, 3],
        [1, 4, 5, 3],
      ],
      [[1, 4, 5, 3], [3]],
      [
        [2, 1, 5, 1],
        [1, 4, 1, 3],
      ],
    ]) {
      const out = a.map((d, i) =>
        Math.max(d, [...new Array(a.length - b.length).fill(1), ...b][i]),
      );
      const label = `[${a}] x [${b}]`;
      cases.push({
        name: `${name} float ${label}`,
        op,
        inputs: [
          { shape: a, type: 'float32' },
          { shape: b, type: 'float32' },
        ],
        output: { shape: out, type: 'float32' },
        options,
      });
      cases.push({
        name: `${name} int8 ${label}`,
        op,
        version: 2,
        inputs: [
          { shape: a, type: 'int8', q: [0.05, -5] },
          { shape: b, type: 'int8', q: [0.03, 9] },
        ],
        output: { shape: out, type: 'int8', q: [name === 'ADD' ? 0.07 : 0.05, -2] },
        options,
      });
    }
  }
  void r;
  return cases;
}

function activationCases(): Case[] {
  const shape = [2, 3, 17];
  const cases: Case[] = [];
  const unary = (
    op: number,
    name: string,
    outQ: [number, number],
    options?: BuiltinOptions,
    inQ: [number, number] = [0.06, -10],
  ) => {
    cases.push({
      name: `${name} float`,
      op,
      inputs: [{ shape, type: 'float32' }],
      output: { shape, type: 'float32' },
      options,
    });
    cases.push({
      name: `${name} int8`,
      op,
      version: 2,
      inputs: [{ shape, type: 'int8', q: inQ }],
      output: { shape, type: 'int8', q: outQ },
      options,
    });
  };
  unary(BuiltinOperator.SOFTMAX, 'SOFTMAX beta 1', [1 / 256, -128], {
    type: 'SoftmaxOptions',
    beta: 1,
  });
  unary(
    BuiltinOperator.SOFTMAX,
    'SOFTMAX beta 0.5',
    [1 / 256, -128],
    { type: 'SoftmaxOptions', beta: 0.5 },
    [0.2, 3],
  );
  unary(BuiltinOperator.LOGISTIC, 'LOGISTIC', [1 / 256, -128]);
  unary(BuiltinOperator.TANH, 'TANH', [1 / 128, 0]);
  unary(BuiltinOperator.RELU, 'RELU', [0.03, -128]);
  unary(BuiltinOperator.RELU6, 'RELU6', [0.06, -10]);
  return cases;
}

function shapeCases(r: Rand): Case[] {
  return [
    {
      name: 'MEAN float axes [1, 2] keep_dims',
      op: BuiltinOperator.MEAN,
      inputs: [
        { shape: [1, 5, 6, 4], type: 'float32' },
        { shape: [2], type: 'int32', data: Int32Array.from([1, 2]) },
      ],
      output: { shape: [1, 1, 1, 4], type: 'float32' },
      options: { type: 'ReducerOptions', keepDims: true },
    },
    {
      name: 'MEAN int8 axes [1, 2] keep_dims',
      op: BuiltinOperator.MEAN,
      version: 2,
      inputs: [
        { shape: [1, 5, 6, 4], type: 'int8', q: [0.1, 3] },
        { shape: [2], type: 'int32', data: Int32Array.from([1, 2]) },
      ],
      output: { shape: [1, 1, 1, 4], type: 'int8', q: [0.07, -1] },
      options: { type: 'ReducerOptions', keepDims: true },
    },
    {
      name: 'MEAN int8 axis -1',
      op: BuiltinOperator.MEAN,
      version: 2,
      inputs: [
        { shape: [2, 3, 7], type: 'int8', q: [0.1, 3] },
        { shape: [1], type: 'int32', data: Int32Array.from([-1]) },
      ],
      output: { shape: [2, 3], type: 'int8', q: [0.1, 3] },
      options: { type: 'ReducerOptions', keepDims: false },
    },
    {
      name: 'PAD float',
      op: BuiltinOperator.PAD,
      inputs: [
        { shape: [1, 3, 4, 2], type: 'float32' },
        { shape: [4, 2], type: 'int32', data: Int32Array.from([0, 0, 1, 2, 2, 0, 0, 1]) },
      ],
      output: { shape: [1, 6, 6, 3], type: 'float32' },
    },
    {
      name: 'PAD int8 (pads with the zero point)',
      op: BuiltinOperator.PAD,
      version: 2,
      inputs: [
        { shape: [1, 3, 4, 2], type: 'int8', q: [0.1, -17] },
        { shape: [4, 2], type: 'int32', data: Int32Array.from([0, 0, 2, 1, 1, 1, 0, 0]) },
      ],
      output: { shape: [1, 6, 6, 2], type: 'int8', q: [0.1, -17] },
    },
    {
      name: 'CONCATENATION float axis 3',
      op: BuiltinOperator.CONCATENATION,
      inputs: [
        { shape: [1, 2, 3, 2], type: 'float32' },
        { shape: [1, 2, 3, 5], type: 'float32' },
      ],
      output: { shape: [1, 2, 3, 7], type: 'float32' },
      options: { type: 'ConcatenationOptions', axis: 3 },
    },
    {
      name: 'CONCATENATION int8 axis 1',
      op: BuiltinOperator.CONCATENATION,
      version: 2,
      inputs: [
        { shape: [2, 3, 4], type: 'int8', q: [0.1, 1] },
        { shape: [2, 1, 4], type: 'int8', q: [0.1, 1] },
        { shape: [2, 2, 4], type: 'int8', q: [0.1, 1] },
      ],
      output: { shape: [2, 6, 4], type: 'int8', q: [0.1, 1] },
      options: { type: 'ConcatenationOptions', axis: 1 },
    },
    {
      name: 'QUANTIZE float -> int8',
      op: BuiltinOperator.QUANTIZE,
      inputs: [{ shape: [4, 30], type: 'float32' }],
      output: { shape: [4, 30], type: 'int8', q: [0.0078125, 3] },
    },
    {
      name: 'QUANTIZE int8 -> int8 (requantize)',
      op: BuiltinOperator.QUANTIZE,
      version: 2,
      inputs: [{ shape: [4, 30], type: 'int8', q: [0.05, 7] }],
      output: { shape: [4, 30], type: 'int8', q: [0.031, -9] },
    },
    {
      name: 'DEQUANTIZE int8 -> float',
      op: BuiltinOperator.DEQUANTIZE,
      version: 2,
      inputs: [{ shape: [4, 30], type: 'int8', q: [0.05, 7] }],
      output: { shape: [4, 30], type: 'float32' },
    },
    {
      name: 'RESHAPE int8',
      op: BuiltinOperator.RESHAPE,
      inputs: [
        { shape: [2, 3, 4], type: 'int8', q: [0.1, 0] },
        { shape: [2], type: 'int32', data: Int32Array.from([6, 4]) },
      ],
      output: { shape: [6, 4], type: 'int8', q: [0.1, 0] },
    },
    {
      name: 'SQUEEZE float',
      op: BuiltinOperator.SQUEEZE,
      inputs: [{ shape: [1, 3, 1, 4], type: 'float32' }],
      output: { shape: [3, 4], type: 'float32' },
      options: { type: 'SqueezeOptions', squeezeDims: [0, 2] },
    },
  ].map((c) => {
    void r;
    return c as Case;
  });
}

function inputValues(c: Case, r: Rand): number[][] {
  return c.inputs
    .filter((t): t is TensorSpec => !!t && !t.data)
    .map((t) =>
      t.type === 'float32'
        ? Array.from(floats(r, count(t.shape), 3))
        : Array.from(int8s(r, count(t.shape))),
    );
}

describe('kernels against the real TFLite runtime (single-op models)', function () {
  this.timeout(120000);
  const rand = mulberry32(7);
  const cases = [
    ...convCases(rand),
    ...depthwiseCases(rand),
    ...fullyConnectedCases(rand),
    ...poolCases(),
    ...elementwiseCases(rand),
    ...activationCases(),
    ...shapeCases(rand),
  ];
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const c of cases) {
    it(c.name, async () => {
      const bytes = build(c);
      const interp = new Interpreter(bytes);
      const inputs = inputValues(c, mulberry32(c.name.length * 7919));
      inputs.forEach((v, i) => interp.setInput(i, v));
      interp.invoke();
      const result = await oracle.run(bytes, inputs);
      const ours = Array.from(interp.outputs[0].data as ArrayLike<number>);
      const theirs = result.outputs[0].data;
      assert.equal(ours.length, theirs.length);
      const isFloat = c.output.type === 'float32';
      let differ = 0;
      for (let k = 0; k < ours.length; k++) {
        const d = Math.abs(ours[k] - theirs[k]);
        const tol = isFloat ? 1e-5 * Math.max(1, Math.abs(theirs[k])) : 1;
        assert.ok(d <= tol, `${c.name} [${k}]: ${ours[k]} vs ${theirs[k]}`);
        if (d > 0) differ++;
      }
      if (!isFloat && differ > 0)
        console.log(`      ${differ} of ${ours.length} values one step off`);
    });
  }
});
