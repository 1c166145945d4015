/**
 * LOG_SOFTMAX over the last dimension (micro/kernels/log_softmax.cc,
 * reference/log_softmax.h).
 *
 * float: x - max - log(sum(exp(x - max))), in float32 like the reference.
 * int8: the output is fixed at scale 16/256 and zero point 127 (TFLM refuses
 * anything else). The difference to the row maximum is scaled by
 * input_scale into Q5.26 (beta is always 1), exp() of it in Q0.31 is summed
 * in Q12.19 (differences below diff_min are left out), ln of the sum comes
 * back in Q5.26, and each output is (scaled diff - ln sum) shifted to Q4 plus
 * 127. Differences at or below max(diff_min - 1, the reverse-scaled lowest
 * representable value) give -128.
 */
import { input, KernelError, output, requireQuantization, type Kernel } from '../kernel';
import { logXForXGreaterThanOrEqualTo1, roundingDivideByPOT } from '../quant/fixed-point';
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplierGreaterThanOne,
  quantizeMultiplierSmallerThanOneExp,
} from '../quant/multiplier';
import { f32, INT32_MIN } from '../quant/rounding';
import { expectSameTypes } from './index-map';
import { checkSameShape } from './logistic';
import {
  calculateInputRadius,
  lastAxisShape,
  rowMax,
  sumOfExpsQ12,
  type SoftmaxShape,
} from './softmax';

const INPUT_INTEGER_BITS = 5;
const OUTPUT_INTEGER_BITS = 4;
/** The Q12.19 of the sum of exps. */
const ACCUMULATION_INTEGER_BITS = 12;

export interface LogSoftmaxQuantParams extends SoftmaxShape {
  inputMultiplier: number;
  inputLeftShift: number;
  reverseScalingDivisor: number;
  /** <= 0: the reverse scaling's shift as MultiplyByQuantizedMultiplier takes it. */
  reverseScalingShift: number;
  diffMin: number;
}

type LogSoftmaxData =
  { kind: 'float'; shape: SoftmaxShape } | { kind: 'int8'; p: LogSoftmaxQuantParams };

export function logSoftmaxFloat(
  { outer, depth }: SoftmaxShape,
  x: Float32Array,
  y: Float32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let max = -3.4028234663852886e38;
    for (let c = 0; c < depth; c++) if (x[base + c] > max) max = x[base + c];
    let sum = 0;
    for (let c = 0; c < depth; c++) sum = f32(sum + f32(Math.exp(f32(x[base + c] - max))));
    const logSum = f32(Math.log(sum));
    for (let c = 0; c < depth; c++) y[base + c] = f32(x[base + c] - max) - logSum;
  }
}

export function logSoftmaxInt8(p: LogSoftmaxQuantParams, x: Int8Array, y: Int8Array): void {
  const { outer, depth, inputMultiplier, inputLeftShift, diffMin } = p;
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    const maxInRow = rowMax(x, base, depth);
    // TFLM's MultiplyByQuantizedMultiplier with a left shift is the
    // GreaterThanOne variant SOFTMAX uses: the sums agree.
    const sumOfExps = sumOfExpsQ12(x, base, depth, maxInRow, p);
    const logSum = logXForXGreaterThanOrEqualTo1(
      sumOfExps,
      ACCUMULATION_INTEGER_BITS,
      INPUT_INTEGER_BITS,
    );
    const adjustedDiffMin = Math.max(
      diffMin - 1,
      multiplyByQuantizedMultiplier(
        (logSum + INT32_MIN) | 0,
        p.reverseScalingDivisor,
        p.reverseScalingShift,
      ),
    );
    for (let c = 0; c < depth; c++) {
      const diff = x[base + c] - maxInRow;
      if (diff > adjustedDiffMin) {
        const scaled = multiplyByQuantizedMultiplier(diff, inputMultiplier, inputLeftShift);
        const out =
          roundingDivideByPOT(
            (scaled - logSum) | 0,
            31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS,
          ) + 127;
        y[base + c] = out > 127 ? 127 : out < -128 ? -128 : out;
      } else {
        y[base + c] = -128;
      }
    }
  }
}

export const logSoftmax: Kernel<LogSoftmaxData> = {
  prepare(node) {
    checkSameShape(node);
    expectSameTypes(node, 'float32', 'int8');
    const x = input(node, 0);
    if (x.shape.length === 0) throw new KernelError(node, 'input must have at least one dimension');
    const shape = lastAxisShape(x.shape);
    if (x.type === 'float32') return { kind: 'float', shape };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, output(node, 0));
    if (outQ.scale !== 16 / 256 || outQ.zeroPoint !== 127) {
      throw new KernelError(
        node,
        `int8 output must have scale 16/256 and zero point 127, got ${outQ.scale} and ${outQ.zeroPoint}`,
      );
    }
    // PreprocessLogSoftmaxScalingExp with beta 1.
    const real = Math.min(inQ.scale * 2 ** (31 - INPUT_INTEGER_BITS), 2147483647);
    if (!(real > 1)) {
      throw new KernelError(node, `input scale ${inQ.scale} is too small for the int8 kernel`);
    }
    const { multiplier, shift } = quantizeMultiplierGreaterThanOne(real);
    const reverse = quantizeMultiplierSmallerThanOneExp(2 ** (31 - shift) / multiplier);
    return {
      kind: 'int8',
      p: {
        ...shape,
        inputMultiplier: multiplier,
        inputLeftShift: shift,
        reverseScalingDivisor: reverse.multiplier,
        reverseScalingShift: reverse.shift,
        diffMin: -calculateInputRadius(INPUT_INTEGER_BITS, shift),
      },
    };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      logSoftmaxFloat(data.shape, x as Float32Array, y as Float32Array);
    } else {
      logSoftmaxInt8(data.p, x as Int8Array, y as Int8Array);
    }
  },
};
