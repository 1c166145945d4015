/**
 * L2_NORMALIZATION over the last dimension (micro/kernels/l2norm.cc,
 * reference/l2normalization.h, reference/integer_ops/l2normalization.h).
 *
 * float: x / max(sqrt(sum x^2), 1e-6), in float32.
 * int8: the squared norm of (x - zero point) is summed in int32, its inverse
 * square root comes from GetInvSqrtQuantizedMultiplierExp (five
 * Newton-Raphson steps in Q3.28), and each output is (x - zero point) times
 * that multiplier with 7 more bits of left shift, i.e. in units of 1/128,
 * clamped to int8. TFLM does not look at the output's quantization (the
 * converter gives it scale 1/128 and zero point 0), so neither does this.
 * Only rank <= 4, as in TFLM. TFLM also refuses a fused activation other
 * than NONE in L2NormOptions; the project's schema subset does not decode that
 * table (the converter never sets it), so it is not checked here.
 */
import { input, KernelError, quantParams, type Kernel } from '../kernel';
import {
  one,
  rescale,
  saturatingRoundingDoublingHighMul as mul,
  saturatingRoundingMultiplyByPOT,
} from '../quant/fixed-point';
import { multiplyByQuantizedMultiplier } from '../quant/multiplier';
import { f32, INT32_MAX } from '../quant/rounding';
import { expectSameTypes } from './index-map';
import { checkSameShape } from './logistic';
import { lastAxisShape, type SoftmaxShape } from './softmax';

const EPSILON = f32(1e-6);
const OUTPUT_SHIFT = 7;
const HALF_THREE_Q3 = (1 << 28) + (1 << 27); // 1.5 in Q3.28
const HALF_SQRT_2 = 1518500250; // sqrt(2) / 2 in Q0.31

type L2Data =
  { kind: 'float'; shape: SoftmaxShape } | { kind: 'int8'; shape: SoftmaxShape; zeroPoint: number };

/**
 * TFLite GetInvSqrtQuantizedMultiplierExp(input, kReverseShift = -1):
 * 1 / sqrt(input) as a multiplier and a shift for MultiplyByQuantizedMultiplier.
 */
export function invSqrtQuantizedMultiplier(value: number): { multiplier: number; shift: number } {
  if (value <= 1) return { multiplier: INT32_MAX, shift: 0 };
  let x = value;
  let shift = 11;
  while (x >= 1 << 29) {
    x = Math.trunc(x / 4);
    shift++;
  }
  const maxLeftShiftBits = Math.clz32(x) - 1;
  const leftShiftBitPairs = (maxLeftShiftBits >>> 1) - 1;
  shift -= leftShiftBitPairs;
  x <<= 2 * leftShiftBitPairs;
  const input3 = x >> 1; // Q3.28
  const halfInput = saturatingRoundingMultiplyByPOT(input3, -1);
  let r = one(3);
  for (let i = 0; i < 5; i++) {
    // x * x * x: Q3 * Q3 = Q6, Q6 * Q3 = Q9, back to Q3.
    const r3 = rescale(mul(mul(r, r), r), 9, 3);
    // 1.5 * r and input/2 * r^3: Q3 * Q3 = Q6, back to Q3.
    r = rescale((mul(HALF_THREE_Q3, r) - mul(halfInput, r3)) | 0, 6, 3);
  }
  let multiplier = mul(r, HALF_SQRT_2);
  if (shift < 0) {
    multiplier <<= -shift;
    shift = 0;
  }
  return { multiplier, shift: -shift };
}

export function l2NormalizationFloat(
  { outer, depth }: SoftmaxShape,
  x: Float32Array,
  y: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let squared = 0;
    for (let c = 0; c < depth; c++) squared = f32(squared + f32(x[base + c] * x[base + c]));
    const norm = Math.max(f32(Math.sqrt(squared)), EPSILON);
    for (let c = 0; c < depth; c++) y[base + c] = x[base + c] / norm;
  }
}

export function l2NormalizationInt8(
  { outer, depth }: SoftmaxShape,
  zeroPoint: number,
  x: Int8Array,
  y: Int8Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let acc = 0;
    for (let c = 0; c < depth; c++) {
      const v = x[base + c] - zeroPoint;
      acc = (acc + v * v) | 0;
    }
    const { multiplier, shift } = invSqrtQuantizedMultiplier(acc);
    for (let c = 0; c < depth; c++) {
      const v = multiplyByQuantizedMultiplier(
        x[base + c] - zeroPoint,
        multiplier,
        shift + OUTPUT_SHIFT,
      );
      y[base + c] = v > 127 ? 127 : v < -128 ? -128 : v;
    }
  }
}

export const l2Normalization: Kernel<L2Data> = {
  prepare(node) {
    checkSameShape(node);
    expectSameTypes(node, 'float32', 'int8');
    const x = input(node, 0);
    if (x.shape.length === 0 || x.shape.length > 4) {
      throw new KernelError(node, `input rank ${x.shape.length} is outside 1..4`);
    }
    const shape = lastAxisShape(x.shape);
    if (x.type === 'float32') return { kind: 'float', shape };
    return { kind: 'int8', shape, zeroPoint: quantParams(x).zeroPoint };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      l2NormalizationFloat(data.shape, x as Float32Array, y as Float32Array);
    } else {
      l2NormalizationInt8(data.shape, data.zeroPoint, x as Int8Array, y as Int8Array);
    }
  },
};
