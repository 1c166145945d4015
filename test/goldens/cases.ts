/**
 * Single-op int8 / int16 / float32 models for golden tests of the
 * interpreter, built with the project's GraphBuilder from seeded random
 * shapes, weights and quantization parameters. The models are ours; the
 * expected outputs are not: they are computed by TensorFlow Lite Micro's
 * reference kernels (see test/fixtures/tflm-goldens/README.md) and checked in.
 */
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import {
  BuiltinOperator,
  type BuiltinOptions,
  type Quantization,
  type TensorTypeName,
  type TfliteModel,
} from '../../src/tflite/model';
import { mulberry32 } from '../../src/model/random';

export interface GoldenCase {
  name: string;
  model: TfliteModel;
}

export type Rand = () => number;

export const q = (scale: number, zeroPoint: number): Quantization => ({
  scale: [scale],
  zeroPoint: [zeroPoint],
  quantizedDimension: 0,
});

export function randInt(rand: Rand, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function int8Data(rand: Rand, n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = randInt(rand, -127, 127);
  return a;
}

function int32Data(rand: Rand, n: number, range: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = randInt(rand, -range, range);
  return a;
}

export function float32Data(rand: Rand, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

export function actScale(rand: Rand): number {
  return 0.005 + rand() * 0.1;
}

export function single(
  code: number,
  build: (g: GraphBuilder) => {
    inputs: number[];
    outputs: number[];
    opInputs?: number[];
    options?: BuiltinOptions;
  },
): TfliteModel {
  const g = new GraphBuilder();
  const { inputs, outputs, opInputs, options } = build(g);
  g.addOperator(code, opInputs ?? inputs, outputs, options);
  return g.finish(inputs, outputs, 'tinyml golden case');
}

const ACTS = ['NONE', 'RELU', 'RELU6'] as const;

function fullyConnected(seed: number, type: 'int8' | 'int16'): GoldenCase {
  const rand = mulberry32(seed);
  const batches = randInt(rand, 1, 3);
  const inDepth = randInt(rand, 1, 40);
  const outDepth = randInt(rand, 1, 24);
  const sIn = actScale(rand);
  const sW = 0.002 + rand() * 0.02;
  const sOut = actScale(rand) * 4;
  const zpIn = type === 'int8' ? randInt(rand, -20, 20) : 0;
  const zpOut = type === 'int8' ? randInt(rand, -20, 20) : 0;
  const act = ACTS[seed % 3];
  const model = single(BuiltinOperator.FULLY_CONNECTED, (g) => {
    const x = g.addTensor(
      'x',
      [batches, inDepth],
      type,
      undefined,
      q(type === 'int16' ? sIn / 64 : sIn, zpIn),
    );
    const w = g.addTensor(
      'w',
      [outDepth, inDepth],
      'int8',
      int8Data(rand, outDepth * inDepth),
      q(sW, 0),
    );
    const biasType: TensorTypeName = type === 'int16' ? 'int64' : 'int32';
    const biasScale = (type === 'int16' ? sIn / 64 : sIn) * sW;
    const biasData =
      type === 'int16'
        ? new BigInt64Array(Array.from(int32Data(rand, outDepth, 5000), (v) => BigInt(v)))
        : int32Data(rand, outDepth, 5000);
    const b = g.addTensor('b', [outDepth], biasType, biasData as never, q(biasScale, 0));
    const y = g.addTensor(
      'y',
      [batches, outDepth],
      type,
      undefined,
      q(type === 'int16' ? sOut / 64 : sOut, zpOut),
    );
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, w, b],
      options: { type: 'FullyConnectedOptions', fusedActivationFunction: act },
    };
  });
  return { name: `fully_connected_${type}_${seed}`, model };
}

function conv2d(seed: number, depthwise: boolean): GoldenCase {
  const rand = mulberry32(seed);
  const h = randInt(rand, 3, 12);
  const w = randInt(rand, 3, 12);
  const cin = randInt(rand, 1, 6);
  const mult = depthwise ? randInt(rand, 1, 2) : 1;
  const cout = depthwise ? cin * mult : randInt(rand, 1, 8);
  const kh = randInt(rand, 1, Math.min(3, h));
  const kw = randInt(rand, 1, Math.min(3, w));
  const stride = randInt(rand, 1, 2);
  const padding = rand() < 0.5 ? 'SAME' : 'VALID';
  const outH = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - kh) / stride) + 1;
  const outW = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - kw) / stride) + 1;
  const sIn = actScale(rand);
  const zpIn = randInt(rand, -30, 30);
  const sOut = actScale(rand) * 3;
  const zpOut = randInt(rand, -30, 30);
  const wScales = Array.from({ length: cout }, () => 0.002 + rand() * 0.02);
  const act = ACTS[seed % 3];
  const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cin];
  const model = single(
    depthwise ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D,
    (g) => {
      const x = g.addTensor('x', [1, h, w, cin], 'int8', undefined, q(sIn, zpIn));
      const f = g.addTensor(
        'filter',
        filterShape,
        'int8',
        int8Data(
          rand,
          filterShape.reduce((a, b) => a * b, 1),
        ),
        {
          scale: wScales,
          zeroPoint: wScales.map(() => 0),
          quantizedDimension: depthwise ? 3 : 0,
        },
      );
      const b = g.addTensor('bias', [cout], 'int32', int32Data(rand, cout, 3000), {
        scale: wScales.map((s) => s * sIn),
        zeroPoint: wScales.map(() => 0),
        quantizedDimension: 0,
      });
      const y = g.addTensor('y', [1, outH, outW, cout], 'int8', undefined, q(sOut, zpOut));
      const options: BuiltinOptions = depthwise
        ? {
            type: 'DepthwiseConv2DOptions',
            padding,
            strideW: stride,
            strideH: stride,
            depthMultiplier: mult,
            fusedActivationFunction: act,
          }
        : {
            type: 'Conv2DOptions',
            padding,
            strideW: stride,
            strideH: stride,
            fusedActivationFunction: act,
          };
      return { inputs: [x], outputs: [y], opInputs: [x, f, b], options };
    },
  );
  return { name: `${depthwise ? 'depthwise_conv_2d' : 'conv_2d'}_int8_${seed}`, model };
}

function pool(seed: number, max: boolean): GoldenCase {
  const rand = mulberry32(seed);
  const h = randInt(rand, 2, 10);
  const w = randInt(rand, 2, 10);
  const c = randInt(rand, 1, 5);
  const fh = randInt(rand, 1, Math.min(3, h));
  const fw = randInt(rand, 1, Math.min(3, w));
  const stride = randInt(rand, 1, 2);
  const padding = rand() < 0.5 ? 'SAME' : 'VALID';
  const outH = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - fh) / stride) + 1;
  const outW = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - fw) / stride) + 1;
  const s = actScale(rand);
  const zp = randInt(rand, -20, 20);
  const model = single(max ? BuiltinOperator.MAX_POOL_2D : BuiltinOperator.AVERAGE_POOL_2D, (g) => {
    const x = g.addTensor('x', [1, h, w, c], 'int8', undefined, q(s, zp));
    const y = g.addTensor('y', [1, outH, outW, c], 'int8', undefined, q(s, zp));
    return {
      inputs: [x],
      outputs: [y],
      options: {
        type: 'Pool2DOptions',
        padding,
        strideW: stride,
        strideH: stride,
        filterWidth: fw,
        filterHeight: fh,
        fusedActivationFunction: ACTS[seed % 3],
      },
    };
  });
  return { name: `${max ? 'max' : 'average'}_pool_2d_int8_${seed}`, model };
}

function unaryInt8(
  seed: number,
  code: number,
  name: string,
  outQ: Quantization,
  options?: BuiltinOptions,
): GoldenCase {
  const rand = mulberry32(seed);
  const n = randInt(rand, 1, 4);
  const d = randInt(rand, 2, 20);
  const sIn = 0.01 + rand() * 0.1;
  const zpIn = randInt(rand, -30, 30);
  const model = single(code, (g) => {
    const x = g.addTensor('x', [n, d], 'int8', undefined, q(sIn, zpIn));
    const y = g.addTensor('y', [n, d], 'int8', undefined, outQ);
    return { inputs: [x], outputs: [y], options };
  });
  return { name: `${name}_int8_${seed}`, model };
}

function binaryInt8(seed: number, code: number, name: string, optionsType: string): GoldenCase {
  const rand = mulberry32(seed);
  const shape = [1, randInt(rand, 1, 4), randInt(rand, 1, 6), randInt(rand, 1, 5)];
  // Broadcast the second input along one axis for half of the cases.
  const shape2 = seed % 2 === 0 ? [...shape] : shape.map((v, i) => (i === 3 ? v : 1));
  const model = single(code, (g) => {
    const a = g.addTensor('a', shape, 'int8', undefined, q(actScale(rand), randInt(rand, -30, 30)));
    const b = g.addTensor(
      'b',
      shape2,
      'int8',
      undefined,
      q(actScale(rand), randInt(rand, -30, 30)),
    );
    const y = g.addTensor(
      'y',
      shape,
      'int8',
      undefined,
      q(actScale(rand) * 2, randInt(rand, -30, 30)),
    );
    return {
      inputs: [a, b],
      outputs: [y],
      options: { type: optionsType, fusedActivationFunction: ACTS[seed % 3] },
    };
  });
  return { name: `${name}_int8_${seed}`, model };
}

function mean(seed: number): GoldenCase {
  const rand = mulberry32(seed);
  const shape = [1, randInt(rand, 1, 6), randInt(rand, 1, 6), randInt(rand, 1, 5)];
  const model = single(BuiltinOperator.MEAN, (g) => {
    const x = g.addTensor('x', shape, 'int8', undefined, q(actScale(rand), randInt(rand, -30, 30)));
    const axes = g.addTensor('axes', [2], 'int32', new Int32Array([1, 2]));
    const y = g.addTensor(
      'y',
      [1, 1, 1, shape[3]],
      'int8',
      undefined,
      q(actScale(rand), randInt(rand, -30, 30)),
    );
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, axes],
      options: { type: 'ReducerOptions', keepDims: true },
    };
  });
  return { name: `mean_int8_${seed}`, model };
}

function pad(seed: number): GoldenCase {
  const rand = mulberry32(seed);
  const shape = [1, randInt(rand, 1, 5), randInt(rand, 1, 5), randInt(rand, 1, 4)];
  const pads = [
    0,
    0,
    randInt(rand, 0, 2),
    randInt(rand, 0, 2),
    randInt(rand, 0, 2),
    randInt(rand, 0, 2),
    0,
    0,
  ];
  const out = shape.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
  const s = actScale(rand);
  const zp = randInt(rand, -30, 30);
  const model = single(BuiltinOperator.PAD, (g) => {
    const x = g.addTensor('x', shape, 'int8', undefined, q(s, zp));
    const p = g.addTensor('paddings', [4, 2], 'int32', new Int32Array(pads));
    const y = g.addTensor('y', out, 'int8', undefined, q(s, zp));
    return { inputs: [x], outputs: [y], opInputs: [x, p], options: { type: 'PadOptions' } };
  });
  return { name: `pad_int8_${seed}`, model };
}

function concatenation(seed: number): GoldenCase {
  const rand = mulberry32(seed);
  const rows = randInt(rand, 1, 3);
  const a = randInt(rand, 1, 6);
  const b = randInt(rand, 1, 6);
  const s = actScale(rand);
  const zp = randInt(rand, -30, 30);
  const model = single(BuiltinOperator.CONCATENATION, (g) => {
    const x1 = g.addTensor('x1', [rows, a], 'int8', undefined, q(s, zp));
    const x2 = g.addTensor('x2', [rows, b], 'int8', undefined, q(s, zp));
    const y = g.addTensor('y', [rows, a + b], 'int8', undefined, q(s, zp));
    return { inputs: [x1, x2], outputs: [y], options: { type: 'ConcatenationOptions', axis: 1 } };
  });
  return { name: `concatenation_int8_${seed}`, model };
}

function quantizeOps(seed: number): GoldenCase[] {
  const rand = mulberry32(seed);
  const n = randInt(rand, 1, 30);
  const s = actScale(rand);
  const zp = randInt(rand, -30, 30);
  const quantize = single(BuiltinOperator.QUANTIZE, (g) => {
    const x = g.addTensor('x', [1, n], 'float32');
    const y = g.addTensor('y', [1, n], 'int8', undefined, q(s, zp));
    return { inputs: [x], outputs: [y] };
  });
  const requantize = single(BuiltinOperator.QUANTIZE, (g) => {
    const x = g.addTensor('x', [1, n], 'int8', undefined, q(s, zp));
    const y = g.addTensor(
      'y',
      [1, n],
      'int8',
      undefined,
      q(s * (0.5 + rand()), randInt(rand, -30, 30)),
    );
    return { inputs: [x], outputs: [y] };
  });
  const dequantize = single(BuiltinOperator.DEQUANTIZE, (g) => {
    const x = g.addTensor('x', [1, n], 'int8', undefined, q(s, zp));
    const y = g.addTensor('y', [1, n], 'float32');
    return { inputs: [x], outputs: [y] };
  });
  return [
    { name: `quantize_float32_int8_${seed}`, model: quantize },
    { name: `quantize_int8_int8_${seed}`, model: requantize },
    { name: `dequantize_int8_${seed}`, model: dequantize },
  ];
}

function reshape(seed: number): GoldenCase {
  const rand = mulberry32(seed);
  const a = randInt(rand, 1, 6);
  const b = randInt(rand, 1, 6);
  const s = actScale(rand);
  const zp = randInt(rand, -30, 30);
  const model = single(BuiltinOperator.RESHAPE, (g) => {
    const x = g.addTensor('x', [1, a, b], 'int8', undefined, q(s, zp));
    const shape = g.addTensor('shape', [2], 'int32', new Int32Array([1, a * b]));
    const y = g.addTensor('y', [1, a * b], 'int8', undefined, q(s, zp));
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, shape],
      options: { type: 'ReshapeOptions', newShape: [1, a * b] },
    };
  });
  return { name: `reshape_int8_${seed}`, model };
}

function floatConv(seed: number): GoldenCase {
  const rand = mulberry32(seed);
  const h = randInt(rand, 3, 8);
  const w = randInt(rand, 3, 8);
  const cin = randInt(rand, 1, 4);
  const cout = randInt(rand, 1, 5);
  const model = single(BuiltinOperator.CONV_2D, (g) => {
    const x = g.addTensor('x', [1, h, w, cin], 'float32');
    const f = g.addTensor(
      'filter',
      [cout, 3, 3, cin],
      'float32',
      float32Data(rand, cout * 9 * cin),
    );
    const b = g.addTensor('bias', [cout], 'float32', float32Data(rand, cout));
    const y = g.addTensor('y', [1, h, w, cout], 'float32');
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, f, b],
      options: {
        type: 'Conv2DOptions',
        padding: 'SAME',
        strideW: 1,
        strideH: 1,
        fusedActivationFunction: 'RELU6',
      },
    };
  });
  return { name: `conv_2d_float32_${seed}`, model };
}

export function goldenCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (let s = 1; s <= 6; s++) cases.push(fullyConnected(s, 'int8'));
  for (let s = 1; s <= 3; s++) cases.push(fullyConnected(100 + s, 'int16'));
  for (let s = 1; s <= 8; s++) cases.push(conv2d(200 + s, false));
  for (let s = 1; s <= 8; s++) cases.push(conv2d(300 + s, true));
  for (let s = 1; s <= 4; s++) cases.push(pool(400 + s, true), pool(500 + s, false));
  for (let s = 1; s <= 3; s++) {
    cases.push(
      unaryInt8(600 + s, BuiltinOperator.SOFTMAX, 'softmax', q(1 / 256, -128), {
        type: 'SoftmaxOptions',
        beta: 1,
      }),
    );
    cases.push(unaryInt8(700 + s, BuiltinOperator.LOGISTIC, 'logistic', q(1 / 256, -128)));
    cases.push(unaryInt8(800 + s, BuiltinOperator.TANH, 'tanh', q(1 / 128, 0)));
    cases.push(unaryInt8(900 + s, BuiltinOperator.RELU, 'relu', q(0.02 + s * 0.01, -128 + s)));
    cases.push(unaryInt8(1000 + s, BuiltinOperator.RELU6, 'relu6', q(6 / 255, -128)));
    cases.push(binaryInt8(1100 + s, BuiltinOperator.ADD, 'add', 'AddOptions'));
    cases.push(binaryInt8(1200 + s, BuiltinOperator.MUL, 'mul', 'MulOptions'));
    cases.push(
      mean(1300 + s),
      pad(1400 + s),
      concatenation(1500 + s),
      reshape(1600 + s),
      floatConv(1700 + s),
    );
    cases.push(...quantizeOps(1800 + s));
  }
  return cases;
}
