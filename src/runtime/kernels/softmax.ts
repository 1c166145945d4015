/**
 * SOFTMAX over the last dimension (kernels/internal/reference/softmax.h,
 * micro/kernels/softmax_common.cc).
 *
 * float: exp(beta * (x - max)) / sum, in float32 like the reference.
 * int8 -> int8 / int16: gemmlowp fixed point. The input difference to the row
 * maximum is scaled by beta * input_scale into Q5.26 (differences below
 * diff_min give exactly 0), exp() of it in Q0.31 is summed in Q12.19, the
 * reciprocal of the sum comes from a Newton-Raphson division, and each output
 * is exp * reciprocal shifted to the output's 1/256 (int8, zero point -128)
 * or 1/65536 (int16, zero point -32768) scale.
 * int16 -> int16: exp and 1/(1 + x) from 513-entry interpolated tables.
 */
import {
  expectType,
  input,
  KernelError,
  numberOption,
  output,
  requireQuantization,
  sameShape,
  type Kernel,
  type NodeContext,
} from '../kernel';
import {
  expOnNegativeValues,
  getReciprocalScale,
  rescale,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../quant/fixed-point';
import { lutLookupInt16, populateInt16Lut } from '../quant/lut';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierGreaterThanOne,
  quantizeMultiplier,
  quantizeMultiplierGreaterThanOne,
} from '../quant/multiplier';
import { f32 } from '../quant/rounding';

export interface SoftmaxShape {
  outer: number;
  depth: number;
}

export interface SoftmaxFloatParams extends SoftmaxShape {
  beta: number;
}

export interface SoftmaxQuantParams extends SoftmaxShape {
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
  outputBits: 8 | 16;
}

export interface SoftmaxInt16Params extends SoftmaxShape {
  inputMultiplier: number;
  inputLeftShift: number;
  expLut: Int16Array;
  oneOverOnePlusXLut: Int16Array;
}

const SCALED_DIFF_INTEGER_BITS = 5;

/** A shape as rows along its last axis (rank >= 1). */
export function lastAxisShape(shape: readonly number[]): SoftmaxShape {
  const depth = shape[shape.length - 1];
  const count = shape.reduce((a, b) => a * b, 1);
  return { depth, outer: depth === 0 ? 0 : count / depth };
}
const ACCUMULATION_INTEGER_BITS = 12;

export function softmaxFloat(p: SoftmaxFloatParams, x: Float32Array, y: Float32Array): void {
  const { beta, outer, depth } = p;
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let max = -3.4028234663852886e38;
    for (let i = 0; i < depth; i++) if (x[base + i] > max) max = x[base + i];
    let sum = 0;
    for (let i = 0; i < depth; i++) {
      const e = f32(Math.exp(f32(f32(x[base + i] - max) * beta)));
      y[base + i] = e;
      sum = f32(sum + e);
    }
    for (let i = 0; i < depth; i++) y[base + i] = y[base + i] / sum;
  }
}

/** The largest int8 value of x[base, base + depth). */
export function rowMax(x: Int8Array, base: number, depth: number): number {
  let max = -128;
  for (let c = 0; c < depth; c++) if (x[base + c] > max) max = x[base + c];
  return max;
}

/**
 * The sum of exp(beta * scale * (x - max)) over a row in Q12.19, as the int8
 * SOFTMAX and LOG_SOFTMAX kernels compute it: each difference scaled into
 * Q5.26, exp() in Q0.31, differences below diffMin left out.
 */
export function sumOfExpsQ12(
  x: Int8Array,
  base: number,
  depth: number,
  maxInRow: number,
  p: Pick<SoftmaxQuantParams, 'inputMultiplier' | 'inputLeftShift' | 'diffMin'>,
): number {
  let sum = 0;
  for (let c = 0; c < depth; c++) {
    const diff = x[base + c] - maxInRow;
    if (diff >= p.diffMin) {
      const scaled = multiplyByQuantizedMultiplierGreaterThanOne(
        diff,
        p.inputMultiplier,
        p.inputLeftShift,
      );
      const e = expOnNegativeValues(scaled, SCALED_DIFF_INTEGER_BITS);
      sum = (sum + rescale(e, 0, ACCUMULATION_INTEGER_BITS)) | 0;
    }
  }
  return sum;
}

/** int8 input, int8 or int16 output (reference_ops::Softmax<int8_t, OutputT>). */
export function softmaxQuantized(
  p: SoftmaxQuantParams,
  x: Int8Array,
  y: Int8Array | Int16Array,
): void {
  const { outer, depth, inputMultiplier, inputLeftShift, diffMin, outputBits } = p;
  const outMin = outputBits === 8 ? -128 : -32768;
  const outMax = outputBits === 8 ? 127 : 32767;
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    const maxInRow = rowMax(x, base, depth);
    const sumOfExps = sumOfExpsQ12(x, base, depth, maxInRow, p);
    const shiftedScale = getReciprocalScale(sumOfExps);
    const numBitsOverUnit = ACCUMULATION_INTEGER_BITS - Math.clz32(sumOfExps);
    const exponent = numBitsOverUnit + 31 - outputBits;
    if (exponent < 0 || exponent > 31) {
      throw new Error(`softmax: reciprocal exponent ${exponent} is outside [0, 31]`);
    }
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - maxInRow;
      if (diff >= diffMin) {
        const scaled = multiplyByQuantizedMultiplierGreaterThanOne(
          diff,
          inputMultiplier,
          inputLeftShift,
        );
        const e = expOnNegativeValues(scaled, SCALED_DIFF_INTEGER_BITS);
        const unsat = roundingDivideByPOT(
          saturatingRoundingDoublingHighMul(shiftedScale, e),
          exponent,
        );
        const shifted = unsat + outMin;
        y[base + c] = shifted < outMin ? outMin : shifted > outMax ? outMax : shifted;
      } else {
        y[base + c] = outMin;
      }
    }
  }
}

/** int16 input and output (reference_ops::SoftmaxInt16); y doubles as the exp cache. */
export function softmaxInt16(p: SoftmaxInt16Params, x: Int16Array, y: Int16Array): void {
  const { outer, depth, inputMultiplier, inputLeftShift, expLut, oneOverOnePlusXLut } = p;
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let maxInRow = -32768;
    for (let c = 0; c < depth; c++) if (x[base + c] > maxInRow) maxInRow = x[base + c];
    let sumOfExps = 0; // Q16.15
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - maxInRow;
      // [-65535, 0] is scaled to [-10, 0]; recentre to [-32768, 32767].
      const scaled = multiplyByQuantizedMultiplier(diff, inputMultiplier, inputLeftShift) + 32767;
      const sat = scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled;
      const e = lutLookupInt16(sat, expLut);
      y[base + c] = e;
      sumOfExps = (sumOfExps + e) | 0;
    }
    const headroomPlusOne = Math.clz32(sumOfExps);
    // ((int64)sum << (headroom_plus_one - 1)) + 2^13) >> 14, exact below 2^53.
    const shiftedSum = Math.floor((sumOfExps * 2 ** (headroomPlusOne - 1) + 8192) / 16384) | 0;
    const symShiftedSum = shiftedSum - 98304; // -((1 << 15) + (1 << 16))
    const sat = symShiftedSum < -32768 ? -32768 : symShiftedSum > 32767 ? 32767 : symShiftedSum;
    const reciprocalScale = lutLookupInt16(sat, oneOverOnePlusXLut);
    const rightShift = 31 - headroomPlusOne;
    const round = 2 ** (rightShift - 1);
    for (let c = 0; c < depth; c++) {
      const r = Math.floor((y[base + c] * reciprocalScale + round) / 2 ** rightShift);
      y[base + c] = r < 0 ? 0 : r > 32767 ? 32767 : r;
    }
  }
}

type SoftmaxData =
  | { kind: 'float'; p: SoftmaxFloatParams }
  | { kind: 'quantized'; p: SoftmaxQuantParams }
  | { kind: 'int16'; p: SoftmaxInt16Params };

export function calculateInputRadius(
  inputIntegerBits: number,
  inputLeftShift: number,
  totalSignedBits = 31,
): number {
  return Math.floor(
    ((2 ** inputIntegerBits - 1) * 2 ** (totalSignedBits - inputIntegerBits)) / 2 ** inputLeftShift,
  );
}

function prepareQuantized(
  node: NodeContext,
  shape: SoftmaxShape,
  beta: number,
): SoftmaxQuantParams {
  const x = input(node, 0);
  const y = output(node, 0);
  const inQ = requireQuantization(node, x);
  const outQ = requireQuantization(node, y);
  if (y.type === 'int16') {
    if (outQ.zeroPoint !== -32768 || Math.abs(outQ.scale - 1 / 65536) > 0.001 / 65536) {
      throw new KernelError(
        node,
        `int16 output must have scale 1/65536 and zero point -32768, got ${outQ.scale} and ${outQ.zeroPoint}`,
      );
    }
  } else if (outQ.zeroPoint !== -128 || outQ.scale !== 1 / 256) {
    throw new KernelError(
      node,
      `int8 output must have scale 1/256 and zero point -128, got ${outQ.scale} and ${outQ.zeroPoint}`,
    );
  }
  // PreprocessSoftmaxScaling: beta * scale in Q5.26, capped at 2^31 - 1.
  const real = Math.min(beta * inQ.scale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2147483647);
  if (!(real > 1)) {
    throw new KernelError(
      node,
      `beta * input scale (${beta} * ${inQ.scale}) is too small for the int8 kernel`,
    );
  }
  const { multiplier, shift } = quantizeMultiplierGreaterThanOne(real);
  return {
    ...shape,
    inputMultiplier: multiplier,
    inputLeftShift: shift,
    diffMin: -calculateInputRadius(SCALED_DIFF_INTEGER_BITS, shift),
    outputBits: y.type === 'int16' ? 16 : 8,
  };
}

function prepareInt16(node: NodeContext, shape: SoftmaxShape, beta: number): SoftmaxInt16Params {
  const x = input(node, 0);
  const y = output(node, 0);
  const inQ = requireQuantization(node, x);
  const outQ = requireQuantization(node, y);
  if (
    inQ.zeroPoint !== 0 ||
    outQ.zeroPoint !== 0 ||
    Math.abs(outQ.scale - 1 / 32768) > 0.001 / 32768
  ) {
    throw new KernelError(
      node,
      `int16 softmax needs zero points 0 and output scale 1/32768, got input zero point ${inQ.zeroPoint}, output ${outQ.scale} / ${outQ.zeroPoint}`,
    );
  }
  const range = 65535;
  // exp is only needed on [-10, 0]; 1 / (1 + x) on [0, 1].
  const expLut = populateInt16Lut(10 / range, 32767, 2 / range, 0, Math.exp);
  const oneOverOnePlusXLut = populateInt16Lut(1 / range, -32768, 2 / range, 0, (v) => 1 / (1 + v));
  const { multiplier, shift } = quantizeMultiplier((inQ.scale * beta) / (10 / 65535));
  return {
    ...shape,
    inputMultiplier: multiplier,
    inputLeftShift: shift,
    expLut,
    oneOverOnePlusXLut,
  };
}

export const softmax: Kernel<SoftmaxData> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    if (!sameShape(x.shape, y.shape) || x.shape.length === 0) {
      throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] must match`);
    }
    const shape = lastAxisShape(x.shape);
    const beta = numberOption(node, 'beta', 1);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (x.type === 'float32') {
      expectType(node, y, 'float32');
      return { kind: 'float', p: { ...shape, beta: f32(beta) } };
    }
    if (x.type === 'int8') {
      expectType(node, y, 'int8', 'int16');
      return { kind: 'quantized', p: prepareQuantized(node, shape, beta) };
    }
    expectType(node, y, 'int16');
    return { kind: 'int16', p: prepareInt16(node, shape, beta) };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') softmaxFloat(data.p, x as Float32Array, y as Float32Array);
    else if (data.kind === 'quantized') softmaxQuantized(data.p, x as Int8Array, y as Int8Array);
    else softmaxInt16(data.p, x as Int16Array, y as Int16Array);
  },
};
