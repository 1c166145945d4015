/**
 * Golden cases for the ops added after the first kernel set (activations,
 * SUB, MAXIMUM/MINIMUM, data movement, ARG_MAX/MIN, GATHER, resizing): one
 * single-op model per case from seeded random shapes, parameters and
 * quantization, in float32 and int8 (int16 where TFLM has it). As for
 * cases.ts, the expected outputs come from TFLite Micro's reference kernels
 * (compute.ts), never from the interpreter.
 */
import { BuiltinOperator, type BuiltinOptions, type Quantization } from '../../src/tflite/model';
import { mulberry32 } from '../../src/model/random';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import {
  actScale,
  float32Data,
  int8Data,
  q,
  randInt,
  single,
  type GoldenCase,
  type Rand,
} from './cases';

type DataType = 'float32' | 'int8' | 'int16';

/** Activation quantization of a tensor of `type` (none for float32; int16 symmetric). */
function actQ(rand: Rand, type: DataType): Quantization | undefined {
  if (type === 'float32') return undefined;
  if (type === 'int16') return q(actScale(rand) / 128, 0);
  return q(actScale(rand), randInt(rand, -40, 40));
}

function randShape(rand: Rand, rank: number, max = 5): number[] {
  return Array.from({ length: rank }, () => randInt(rand, 1, max));
}

function pick<T>(rand: Rand, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

const ACTS = ['NONE', 'RELU', 'RELU6'] as const;

/** A one-input op whose output has the input's shape. */
function unary(
  seed: number,
  code: number,
  name: string,
  type: DataType,
  outQ: (rand: Rand, inQ: Quantization | undefined) => Quantization | undefined,
  options?: BuiltinOptions,
  fixedShape?: number[],
): GoldenCase {
  const rand = mulberry32(seed);
  const shape = fixedShape ?? randShape(rand, randInt(rand, 2, 4));
  const inQ = actQ(rand, type);
  const model = single(code, (g) => {
    const x = g.addTensor('x', shape, type, undefined, inQ);
    const y = g.addTensor('y', shape, type, undefined, outQ(rand, inQ));
    return { inputs: [x], outputs: [y], options };
  });
  return { name: `${name}_${type}_${seed}`, model };
}

function hardSwish(seed: number, type: DataType, shape?: number[]): GoldenCase {
  return unary(
    seed,
    BuiltinOperator.HARD_SWISH,
    'hard_swish',
    type,
    (rand, inQ) => (inQ ? q(inQ.scale[0] * (0.4 + rand()), randInt(rand, -60, 20)) : undefined),
    undefined,
    shape,
  );
}

function leakyRelu(seed: number, type: DataType, shape?: number[]): GoldenCase {
  const alpha = seed % 4 === 3 ? -0.35 : 0.05 + (seed % 5) * 0.07;
  return unary(
    seed,
    BuiltinOperator.LEAKY_RELU,
    'leaky_relu',
    type,
    (rand, inQ) =>
      inQ && type === 'int16'
        ? q(inQ.scale[0] * (0.5 + rand()), 0)
        : inQ
          ? q(inQ.scale[0] * (0.5 + rand()), randInt(rand, -40, 40))
          : undefined,
    { type: 'LeakyReluOptions', alpha },
    shape,
  );
}

function prelu(seed: number, type: DataType, fixedShape?: number[]): GoldenCase {
  const rand = mulberry32(seed);
  const shape = fixedShape ?? [1, randInt(rand, 1, 5), randInt(rand, 1, 5), randInt(rand, 1, 6)];
  const c = shape[3];
  const alphaShape = seed % 2 === 0 ? [1, 1, c] : [c];
  const inQ = actQ(rand, type);
  const model = single(BuiltinOperator.PRELU, (g) => {
    const x = g.addTensor('x', shape, type, undefined, inQ);
    const alpha =
      type === 'float32'
        ? g.addTensor('alpha', alphaShape, 'float32', float32Data(rand, c, 0.5))
        : g.addTensor(
            'alpha',
            alphaShape,
            'int8',
            int8Data(rand, c),
            q(0.001 + rand() * 0.004, randInt(rand, -20, 20)),
          );
    const outQ =
      type === 'float32'
        ? undefined
        : q(inQ!.scale[0] * (0.6 + rand()), type === 'int16' ? 0 : randInt(rand, -40, 40));
    const y = g.addTensor('y', shape, type, undefined, outQ);
    return { inputs: [x], outputs: [y], opInputs: [x, alpha] };
  });
  return { name: `prelu_${type}_${seed}`, model };
}

/** SUB, MAXIMUM, MINIMUM: two activations, the second broadcast along all but the last axis for odd seeds. */
function binaryOp(
  seed: number,
  code: number,
  name: string,
  type: DataType,
  options: (rand: Rand) => BuiltinOptions | undefined,
  sharedQuantization: boolean,
  fixedShape?: number[],
): GoldenCase {
  const rand = mulberry32(seed);
  const shape = fixedShape ?? [1, randInt(rand, 1, 4), randInt(rand, 1, 6), randInt(rand, 1, 5)];
  const shape2 = seed % 2 === 0 ? [...shape] : shape.map((v, i) => (i === 3 ? v : 1));
  const qa = actQ(rand, type);
  const qb = sharedQuantization ? qa : actQ(rand, type);
  const qy = sharedQuantization ? qa : actQ(rand, type);
  const model = single(code, (g) => {
    const a = g.addTensor('a', shape, type, undefined, qa);
    const b = g.addTensor('b', shape2, type, undefined, qb);
    const y = g.addTensor('y', shape, type, undefined, qy);
    return { inputs: [a, b], outputs: [y], options: options(rand) };
  });
  return { name: `${name}_${type}_${seed}`, model };
}

/** A model with one activation input `x` of `shape`, constant int32 parameters and outputs. */
function movement(
  seed: number,
  name: string,
  type: DataType,
  code: number,
  shape: number[],
  params: { name: string; values: number[]; shape?: number[] }[],
  outShapes: number[][],
  options?: BuiltinOptions,
  paramsFirst = false,
): GoldenCase {
  const rand = mulberry32(seed + 1);
  const quant = actQ(rand, type);
  const model = single(code, (g) => {
    const x = g.addTensor('x', shape, type, undefined, quant);
    const ps = params.map((p) =>
      g.addTensor(p.name, p.shape ?? [p.values.length], 'int32', new Int32Array(p.values)),
    );
    const ys = outShapes.map((s, i) => g.addTensor(`y${i}`, s, type, undefined, quant));
    return {
      inputs: [x],
      outputs: ys,
      opInputs: paramsFirst ? [...ps, x] : [x, ...ps],
      options,
    };
  });
  return { name: `${name}_${type}_${seed}`, model };
}

function stridedSlice(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 2, 4);
  const shape = randShape(rand, rank, 7);
  const begin: number[] = [];
  const end: number[] = [];
  const strides: number[] = [];
  let beginMask = 0;
  let endMask = 0;
  let shrinkMask = 0;
  const outShape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const n = shape[d];
    const stride = pick(rand, [1, 1, 2, -1, 3]);
    begin.push(randInt(rand, -n, n - 1));
    end.push(randInt(rand, -n, n));
    strides.push(stride);
    if (rand() < 0.25) beginMask |= 1 << d;
    if (rand() < 0.25) endMask |= 1 << d;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const norm = (v: number) => (v < 0 ? v + n : v);
    const shrink = stride > 0 && rand() < 0.2 && outShape.length + (rank - d) > 1;
    let start = stride > 0 ? clamp(norm(begin[d]), 0, n) : clamp(norm(begin[d]), -1, n - 1);
    if (beginMask & (1 << d)) start = stride > 0 ? 0 : n - 1;
    if (shrink) {
      // TFLM shrinks to begin's element; keep it inside the axis.
      begin[d] = randInt(rand, -n, n - 1);
      beginMask &= ~(1 << d);
      shrinkMask |= 1 << d;
      continue;
    }
    let stop = stride > 0 ? clamp(norm(end[d]), 0, n) : clamp(norm(end[d]), -1, n - 1);
    if (endMask & (1 << d)) stop = stride > 0 ? n : -1;
    outShape.push(Math.max(0, Math.ceil((stop - start) / stride)));
  }
  if (outShape.some((d) => d === 0)) return stridedSlice(seed + 1000, type);
  return movement(
    seed,
    'strided_slice',
    type,
    BuiltinOperator.STRIDED_SLICE,
    shape,
    [
      { name: 'begin', values: begin },
      { name: 'end', values: end },
      { name: 'strides', values: strides },
    ],
    [outShape],
    {
      type: 'StridedSliceOptions',
      beginMask,
      endMask,
      shrinkAxisMask: shrinkMask,
    },
  );
}

function transpose(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 2, 5);
  const shape = randShape(rand, rank, 4);
  const perm = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = randInt(rand, 0, i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return movement(
    seed,
    'transpose',
    type,
    BuiltinOperator.TRANSPOSE,
    shape,
    [{ name: 'perm', values: perm }],
    [perm.map((p) => shape[p])],
    { type: 'TransposeOptions' },
  );
}

function expandDims(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 3));
  const axis = randInt(rand, -shape.length - 1, shape.length);
  const a = axis < 0 ? axis + shape.length + 1 : axis;
  return movement(
    seed,
    'expand_dims',
    type,
    BuiltinOperator.EXPAND_DIMS,
    shape,
    [{ name: 'axis', values: [axis], shape: [1] }],
    [[...shape.slice(0, a), 1, ...shape.slice(a)]],
    { type: 'ExpandDimsOptions' },
  );
}

function slice(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 4), 6);
  const begin = shape.map((n) => randInt(rand, 0, n - 1));
  const size = shape.map((n, i) => (rand() < 0.3 ? -1 : randInt(rand, 1, n - begin[i])));
  return movement(
    seed,
    'slice',
    type,
    BuiltinOperator.SLICE,
    shape,
    [
      { name: 'begin', values: begin },
      { name: 'size', values: size },
    ],
    [size.map((s, i) => (s === -1 ? shape[i] - begin[i] : s))],
    { type: 'SliceOptions' },
  );
}

function split(seed: number, type: DataType, variable: boolean): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 1, 4);
  const shape = randShape(rand, rank, 4);
  const axis = randInt(rand, 0, rank - 1);
  const parts = randInt(rand, 2, 3);
  const sizes: number[] = [];
  if (variable) {
    shape[axis] = parts + randInt(rand, 0, 4);
    let left = shape[axis];
    for (let k = 0; k < parts - 1; k++) {
      const s = randInt(rand, 1, left - (parts - 1 - k));
      sizes.push(s);
      left -= s;
    }
    sizes.push(left);
  } else {
    shape[axis] = parts * randInt(rand, 1, 3);
    for (let k = 0; k < parts; k++) sizes.push(shape[axis] / parts);
  }
  const signedAxis = rand() < 0.3 ? axis - rank : axis;
  const outs = sizes.map((s) => shape.map((d, i) => (i === axis ? s : d)));
  return variable
    ? movement(
        seed,
        'split_v',
        type,
        BuiltinOperator.SPLIT_V,
        shape,
        [
          { name: 'size_splits', values: sizes },
          { name: 'axis', values: [signedAxis], shape: [] },
        ],
        outs,
        { type: 'SplitVOptions' },
      )
    : movement(
        seed,
        'split',
        type,
        BuiltinOperator.SPLIT,
        shape,
        [{ name: 'axis', values: [signedAxis], shape: [] }],
        outs,
        { type: 'SplitOptions', numSplits: parts },
        true,
      );
}

function unpack(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 2, 4);
  const shape = randShape(rand, rank, 4);
  const axis = randInt(rand, 0, rank - 1);
  const outShape = shape.filter((_, i) => i !== axis);
  return movement(
    seed,
    'unpack',
    type,
    BuiltinOperator.UNPACK,
    shape,
    [],
    Array.from({ length: shape[axis] }, () => outShape),
    { type: 'UnpackOptions', num: shape[axis], axis: rand() < 0.3 ? axis - rank : axis },
  );
}

function pack(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 3), 4);
  const n = randInt(rand, 2, 3);
  const axis = randInt(rand, 0, shape.length);
  const quant = actQ(rand, type);
  const model = single(BuiltinOperator.PACK, (g) => {
    const xs = Array.from({ length: n }, (_, k) =>
      g.addTensor(`x${k}`, shape, type, undefined, quant),
    );
    const y = g.addTensor(
      'y',
      [...shape.slice(0, axis), n, ...shape.slice(axis)],
      type,
      undefined,
      quant,
    );
    return { inputs: xs, outputs: [y], options: { type: 'PackOptions', valuesCount: n, axis } };
  });
  return { name: `pack_${type}_${seed}`, model };
}

function shapeOp(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 4));
  const model = single(BuiltinOperator.SHAPE, (g) => {
    const x = g.addTensor('x', shape, type, undefined, actQ(rand, type));
    const y = g.addTensor('y', [shape.length], 'int32');
    return { inputs: [x], outputs: [y], options: { type: 'ShapeOptions' } };
  });
  return { name: `shape_${type}_${seed}`, model };
}

function argMinMax(seed: number, type: DataType, max: boolean): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 1, 4);
  const shape = randShape(rand, rank, 6);
  const axis = randInt(rand, 0, rank - 1);
  const signed = rand() < 0.3 ? axis - rank : axis;
  const model = single(max ? BuiltinOperator.ARG_MAX : BuiltinOperator.ARG_MIN, (g) => {
    const x = g.addTensor('x', shape, type, undefined, actQ(rand, type));
    const a = g.addTensor('axis', [1], 'int32', new Int32Array([signed]));
    const y = g.addTensor(
      'y',
      shape.filter((_, i) => i !== axis),
      'int32',
    );
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, a],
      options: { type: max ? 'ArgMaxOptions' : 'ArgMinOptions', outputType: 'int32' },
    };
  });
  return { name: `${max ? 'arg_max' : 'arg_min'}_${type}_${seed}`, model };
}

function gather(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 1, 3);
  const shape = randShape(rand, rank, 6);
  const axis = randInt(rand, 0, rank - 1);
  const coordShape = seed % 2 === 0 ? [randInt(rand, 1, 5)] : [2, randInt(rand, 1, 3)];
  const count = coordShape.reduce((a, b) => a * b, 1);
  const coords = Array.from({ length: count }, () => randInt(rand, 0, shape[axis] - 1));
  return movement(
    seed,
    'gather',
    type,
    BuiltinOperator.GATHER,
    shape,
    [{ name: 'positions', values: coords, shape: coordShape }],
    [[...shape.slice(0, axis), ...coordShape, ...shape.slice(axis + 1)]],
    { type: 'GatherOptions', axis: rand() < 0.3 ? axis - rank : axis, batchDims: 0 },
  );
}

function resizeNearest(seed: number, type: DataType, bilinear = false): GoldenCase {
  const rand = mulberry32(seed);
  const shape = [
    randInt(rand, 1, 2),
    randInt(rand, 1, 6),
    randInt(rand, 1, 6),
    randInt(rand, 1, 3),
  ];
  const outH = randInt(rand, 1, 12);
  const outW = randInt(rand, 1, 12);
  const mode = seed % 3;
  return movement(
    seed,
    bilinear ? 'resize_bilinear' : 'resize_nearest_neighbor',
    type,
    bilinear ? BuiltinOperator.RESIZE_BILINEAR : BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
    shape,
    [{ name: 'size', values: [outH, outW] }],
    [[shape[0], outH, outW, shape[3]]],
    {
      type: bilinear ? 'ResizeBilinearOptions' : 'ResizeNearestNeighborOptions',
      alignCorners: mode === 1,
      halfPixelCenters: mode === 2,
    },
  );
}

function spaceToBatch(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank4 = seed % 3 !== 0;
  const block = rank4 ? [randInt(rand, 1, 3), randInt(rand, 2, 3)] : [randInt(rand, 2, 3)];
  const b = randInt(rand, 1, 2);
  const c = randInt(rand, 1, 3);
  const spatial = block.map(() => randInt(rand, 1, 7));
  const pads: number[] = [];
  block.forEach((bl, i) => {
    const top = randInt(rand, 0, 2);
    const total = Math.ceil((spatial[i] + top) / bl) * bl;
    pads.push(top, total - spatial[i] - top);
  });
  const out = block.map((bl, i) => (spatial[i] + pads[2 * i] + pads[2 * i + 1]) / bl);
  const blocks = block.reduce((x, y) => x * y, 1);
  return movement(
    seed,
    'space_to_batch_nd',
    type,
    BuiltinOperator.SPACE_TO_BATCH_ND,
    [b, ...spatial, c],
    [
      { name: 'block_shape', values: block },
      { name: 'paddings', values: pads, shape: [block.length, 2] },
    ],
    [[b * blocks, ...out, c]],
    { type: 'SpaceToBatchNDOptions' },
  );
}

function batchToSpace(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const rank4 = seed % 3 !== 0;
  const block = rank4 ? [randInt(rand, 1, 3), randInt(rand, 2, 3)] : [randInt(rand, 2, 3)];
  const blocks = block.reduce((x, y) => x * y, 1);
  const b = randInt(rand, 1, 2);
  const c = randInt(rand, 1, 3);
  const spatial = block.map(() => randInt(rand, 1, 4));
  const crops: number[] = [];
  block.forEach((bl, i) => {
    const full = spatial[i] * bl;
    const top = randInt(rand, 0, Math.min(2, full - 1));
    crops.push(top, randInt(rand, 0, Math.min(2, full - 1 - top)));
  });
  const out = block.map((bl, i) => spatial[i] * bl - crops[2 * i] - crops[2 * i + 1]);
  return movement(
    seed,
    'batch_to_space_nd',
    type,
    BuiltinOperator.BATCH_TO_SPACE_ND,
    [b * blocks, ...spatial, c],
    [
      { name: 'block_shape', values: block },
      { name: 'crops', values: crops, shape: [block.length, 2] },
    ],
    [[b, ...out, c]],
    { type: 'BatchToSpaceNDOptions' },
  );
}

function depthToSpace(seed: number, type: DataType): GoldenCase {
  const rand = mulberry32(seed);
  const bs = randInt(rand, 2, 3);
  const shape = [
    randInt(rand, 1, 2),
    randInt(rand, 1, 4),
    randInt(rand, 1, 4),
    bs * bs * randInt(rand, 1, 3),
  ];
  return movement(
    seed,
    'depth_to_space',
    type,
    BuiltinOperator.DEPTH_TO_SPACE,
    shape,
    [],
    [[shape[0], shape[1] * bs, shape[2] * bs, shape[3] / (bs * bs)]],
    { type: 'DepthToSpaceOptions', blockSize: bs },
  );
}

function abs(seed: number, type: DataType, shape?: number[]): GoldenCase {
  return unary(
    seed,
    BuiltinOperator.ABS,
    'abs',
    type,
    (rand, inQ) =>
      !inQ
        ? undefined
        : seed % 2 === 0
          ? inQ
          : q(inQ.scale[0] * (0.5 + rand()), type === 'int16' ? 0 : randInt(rand, -128, -60)),
    undefined,
    shape,
  );
}

/** A float op defined for non-negative inputs, fed through ABS (inputs are random in +-3). */
function afterAbs(seed: number, code: number, name: string): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 3));
  const g = new GraphBuilder();
  const x = g.addTensor('x', shape, 'float32');
  const a = g.addTensor('abs', shape, 'float32');
  const y = g.addTensor('y', shape, 'float32');
  g.addOperator(BuiltinOperator.ABS, [x], [a]);
  g.addOperator(code, [a], [y]);
  return { name: `${name}_float32_${seed}`, model: g.finish([x], [y], 'tinyml golden case') };
}

function floatUnary(seed: number, code: number, name: string): GoldenCase {
  return unary(seed, code, name, 'float32', () => undefined);
}

function castOp(seed: number, from: DataType, to: 'int32' | 'float32' | 'int8'): GoldenCase {
  const rand = mulberry32(seed);
  const shape = randShape(rand, randInt(rand, 1, 3));
  const model = single(BuiltinOperator.CAST, (g) => {
    const x = g.addTensor('x', shape, from, undefined, actQ(rand, from));
    const y = g.addTensor('y', shape, to);
    return {
      inputs: [x],
      outputs: [y],
      options: { type: 'CastOptions', inDataType: from, outDataType: to },
    };
  });
  return { name: `cast_${from}_${to}_${seed}`, model };
}

/** REDUCE_MAX (quantization shared, as TFLM requires) or SUM (rescaling) over random constant axes. */
function reduce(seed: number, type: DataType, max: boolean): GoldenCase {
  const rand = mulberry32(seed);
  const rank = randInt(rand, 1, 4);
  const shape = randShape(rand, rank, 5);
  const axes = shape.flatMap((_, i) => (rand() < 0.5 ? [rand() < 0.3 ? i - rank : i] : []));
  if (axes.length === 0) axes.push(randInt(rand, 0, rank - 1));
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const keepDims = rand() < 0.5;
  const outShape = keepDims
    ? shape.map((d, i) => (reduced.has(i) ? 1 : d))
    : shape.filter((_, i) => !reduced.has(i));
  const inQ = actQ(rand, type);
  const outQ =
    max || !inQ
      ? inQ
      : q(inQ.scale[0] * (1 + rand() * 8), type === 'int16' ? 0 : randInt(rand, -40, 40));
  const model = single(max ? BuiltinOperator.REDUCE_MAX : BuiltinOperator.SUM, (g) => {
    const x = g.addTensor('x', shape, type, undefined, inQ);
    const a = g.addTensor('axes', [axes.length], 'int32', new Int32Array(axes));
    const y = g.addTensor('y', outShape, type, undefined, outQ);
    return {
      inputs: [x],
      outputs: [y],
      opInputs: [x, a],
      options: { type: 'ReducerOptions', keepDims },
    };
  });
  return { name: `${max ? 'reduce_max' : 'sum'}_${type}_${seed}`, model };
}

/**
 * TRANSPOSE_CONV: input [1, h, w, cin], filter [cout, kh, kw, cin], output
 * the size a convolution with the same options would map back to the input
 * (SAME: h * stride; VALID: (h - 1) * stride + kh); int8 with per-channel
 * filter scales and an int32 bias, float32 with a float bias; some without bias.
 */
function transposeConv(seed: number, type: 'int8' | 'float32'): GoldenCase {
  const rand = mulberry32(seed);
  const h = randInt(rand, 1, 6);
  const w = randInt(rand, 1, 6);
  const cin = randInt(rand, 1, 5);
  const cout = randInt(rand, 1, 6);
  const kh = randInt(rand, 1, 5);
  const kw = randInt(rand, 1, 5);
  const strideH = randInt(rand, 1, 2);
  const strideW = randInt(rand, 1, 3);
  const padding = seed % 2 === 0 ? 'SAME' : 'VALID';
  const outH = padding === 'SAME' ? h * strideH : (h - 1) * strideH + kh;
  const outW = padding === 'SAME' ? w * strideW : (w - 1) * strideW + kw;
  const withBias = seed % 3 !== 0;
  const act = pick(rand, ACTS);
  const filterShape = [cout, kh, kw, cin];
  const filterCount = cout * kh * kw * cin;
  const model = single(BuiltinOperator.TRANSPOSE_CONV, (g) => {
    const shape = g.addTensor('output_shape', [4], 'int32', new Int32Array([1, outH, outW, cout]));
    let x: number;
    let f: number;
    let b: number | undefined;
    let y: number;
    if (type === 'float32') {
      x = g.addTensor('x', [1, h, w, cin], 'float32');
      f = g.addTensor('filter', filterShape, 'float32', float32Data(rand, filterCount, 0.5));
      if (withBias) b = g.addTensor('bias', [cout], 'float32', float32Data(rand, cout, 0.5));
      y = g.addTensor('y', [1, outH, outW, cout], 'float32');
    } else {
      const sIn = actScale(rand);
      const wScales = Array.from({ length: cout }, () => 0.002 + rand() * 0.02);
      x = g.addTensor('x', [1, h, w, cin], 'int8', undefined, q(sIn, randInt(rand, -30, 30)));
      f = g.addTensor('filter', filterShape, 'int8', int8Data(rand, filterCount), {
        scale: wScales,
        zeroPoint: wScales.map(() => 0),
        quantizedDimension: 0,
      });
      if (withBias) {
        const biasData = new Int32Array(cout).map(() => randInt(rand, -3000, 3000));
        b = g.addTensor('bias', [cout], 'int32', biasData, {
          scale: wScales.map((s) => s * sIn),
          zeroPoint: wScales.map(() => 0),
          quantizedDimension: 0,
        });
      }
      const yQ = q(actScale(rand) * 3, randInt(rand, -30, 30));
      y = g.addTensor('y', [1, outH, outW, cout], 'int8', undefined, yQ);
    }
    return {
      inputs: [x],
      outputs: [y],
      opInputs: b === undefined ? [shape, f, x] : [shape, f, x, b],
      options: {
        type: 'TransposeConvOptions',
        padding,
        strideW,
        strideH,
        fusedActivationFunction: act,
      },
    };
  });
  return { name: `transpose_conv_${type}_${seed}`, model };
}

export function moreOpCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  const both = ['int8', 'float32'] as const;
  for (let s = 1; s <= 3; s++) {
    for (const t of both) {
      const base = t === 'int8' ? 0 : 50;
      cases.push(hardSwish(3000 + base + s, t));
      cases.push(leakyRelu(3100 + base + s, t));
      cases.push(prelu(3200 + base + s, t));
      cases.push(
        binaryOp(
          3300 + base + s,
          BuiltinOperator.SUB,
          'sub',
          t,
          (r) => ({
            type: 'SubOptions',
            fusedActivationFunction: pick(r, ACTS),
          }),
          false,
        ),
      );
      cases.push(
        binaryOp(3400 + base + s, BuiltinOperator.MAXIMUM, 'maximum', t, () => undefined, true),
        binaryOp(3500 + base + s, BuiltinOperator.MINIMUM, 'minimum', t, () => undefined, true),
      );
      cases.push(stridedSlice(3600 + base + s, t));
      cases.push(transpose(3700 + base + s, t));
      cases.push(slice(3800 + base + s, t));
      cases.push(split(3900 + base + s, t, false), split(4000 + base + s, t, true));
      cases.push(pack(4100 + base + s, t), unpack(4200 + base + s, t));
      cases.push(argMinMax(4300 + base + s, t, true), argMinMax(4400 + base + s, t, false));
      cases.push(gather(4500 + base + s, t));
      cases.push(resizeNearest(4600 + base + s, t), resizeNearest(7600 + base + s, t, true));
      cases.push(resizeNearest(7700 + base + s, t, true));
      cases.push(spaceToBatch(4900 + base + s, t), batchToSpace(6000 + base + s, t));
      cases.push(depthToSpace(5900 + base + s, t));
      cases.push(abs(6100 + base + s, t));
      cases.push(reduce(7800 + base + s, t, true), reduce(7900 + base + s, t, false));
      cases.push(
        binaryOp(
          6200 + base + s,
          BuiltinOperator.SQUARED_DIFFERENCE,
          'squared_difference',
          t,
          () => undefined,
          false,
        ),
      );
      if (s === 1) cases.push(expandDims(4700 + base + s, t), shapeOp(4800 + base + s, t));
    }
  }
  for (let s = 1; s <= 2; s++) {
    cases.push(
      afterAbs(6300 + s, BuiltinOperator.SQRT, 'sqrt'),
      afterAbs(6400 + s, BuiltinOperator.RSQRT, 'rsqrt'),
      floatUnary(6500 + s, BuiltinOperator.SQUARE, 'square'),
      floatUnary(6600 + s, BuiltinOperator.FLOOR, 'floor'),
    );
  }
  for (let s = 1; s <= 3; s++) {
    cases.push(
      unary(8000 + s, BuiltinOperator.ELU, 'elu', 'int8', (rand, inQ) =>
        q(inQ!.scale[0] * (0.5 + rand()), randInt(rand, -100, 0)),
      ),
      floatUnary(8100 + s, BuiltinOperator.ELU, 'elu'),
      floatUnary(8200 + s, BuiltinOperator.EXP, 'exp'),
      binaryOp(
        8300 + s,
        BuiltinOperator.DIV,
        'div',
        'float32',
        (r) => ({ type: 'DivOptions', fusedActivationFunction: pick(r, ACTS) }),
        false,
      ),
    );
  }
  // LOG_SOFTMAX (int8 output fixed at 16/256, 127) and L2_NORMALIZATION
  // (int8 output 1/128, 0 as the converter writes it).
  const logSoftmaxQ = (): Quantization => q(16 / 256, 127);
  const l2Q = (): Quantization => q(1 / 128, 0);
  const l2Options: BuiltinOptions = { type: 'L2NormOptions' };
  for (let s = 1; s <= 3; s++) {
    cases.push(
      unary(8400 + s, BuiltinOperator.LOG_SOFTMAX, 'log_softmax', 'int8', logSoftmaxQ),
      floatUnary(8450 + s, BuiltinOperator.LOG_SOFTMAX, 'log_softmax'),
      unary(8500 + s, BuiltinOperator.L2_NORMALIZATION, 'l2_normalization', 'int8', l2Q, l2Options),
      unary(
        8550 + s,
        BuiltinOperator.L2_NORMALIZATION,
        'l2_normalization',
        'float32',
        () => undefined,
        l2Options,
      ),
    );
  }
  // Wide rows: 64 values per row, so the int8 paths meet diff_min and large norms.
  cases.push(
    unary(
      8404,
      BuiltinOperator.LOG_SOFTMAX,
      'log_softmax',
      'int8',
      logSoftmaxQ,
      undefined,
      [8, 64],
    ),
    unary(
      8454,
      BuiltinOperator.LOG_SOFTMAX,
      'log_softmax',
      'float32',
      () => undefined,
      undefined,
      [4, 64],
    ),
    unary(
      8504,
      BuiltinOperator.L2_NORMALIZATION,
      'l2_normalization',
      'int8',
      l2Q,
      l2Options,
      [8, 64],
    ),
    unary(
      8505,
      BuiltinOperator.L2_NORMALIZATION,
      'l2_normalization',
      'int8',
      l2Q,
      l2Options,
      [1, 2, 3, 1],
    ),
  );
  for (let s = 1; s <= 8; s++) {
    cases.push(transposeConv(8600 + s, 'int8'), transposeConv(8650 + s, 'float32'));
  }
  cases.push(
    unary(
      8004,
      BuiltinOperator.ELU,
      'elu',
      'int8',
      (rand, inQ) => q(inQ!.scale[0], inQ!.zeroPoint[0]),
      undefined,
      [2, 256],
    ),
    castOp(6701, 'float32', 'int32'),
    castOp(6702, 'float32', 'int8'),
    castOp(6703, 'int8', 'float32'),
    castOp(6704, 'int8', 'int32'),
  );
  // Sweeps: 512 int8 values per run, so each arithmetic kernel sees nearly
  // every input value (and pair pattern) under a few quantizations.
  const sweep = [2, 256];
  for (let s = 1; s <= 3; s++) {
    cases.push(hardSwish(7000 + s, 'int8', sweep), leakyRelu(7100 + s, 'int8', sweep));
    cases.push(abs(7200 + s, 'int8', sweep), prelu(7500 + s, 'int8', [1, 4, 8, 16]));
    cases.push(
      binaryOp(
        7300 + s,
        BuiltinOperator.SUB,
        'sub',
        'int8',
        (r) => ({ type: 'SubOptions', fusedActivationFunction: pick(r, ACTS) }),
        false,
        [2, 4, 64],
      ),
      binaryOp(
        7400 + s,
        BuiltinOperator.SQUARED_DIFFERENCE,
        'squared_difference',
        'int8',
        () => undefined,
        false,
        [2, 4, 64],
      ),
    );
  }
  // int16 variants where TFLM has them.
  for (let s = 1; s <= 2; s++) {
    cases.push(leakyRelu(5000 + s, 'int16'));
    cases.push(prelu(5100 + s, 'int16'));
    cases.push(
      binaryOp(
        5200 + s,
        BuiltinOperator.SUB,
        'sub',
        'int16',
        () => ({ type: 'SubOptions' }),
        false,
      ),
    );
    cases.push(
      binaryOp(5300 + s, BuiltinOperator.MAXIMUM, 'maximum', 'int16', () => undefined, true),
    );
    cases.push(transpose(5400 + s, 'int16'), stridedSlice(5500 + s, 'int16'));
    cases.push(abs(5600 + s, 'int16'), reduce(5800 + s, 'int16', false));
    cases.push(
      binaryOp(
        5700 + s,
        BuiltinOperator.SQUARED_DIFFERENCE,
        'squared_difference',
        'int16',
        () => undefined,
        false,
      ),
    );
  }
  return cases;
}
