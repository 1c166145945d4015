/**
 * LOGISTIC: 1 / (1 + exp(-x)) (kernels/internal/reference/logistic.h,
 * integer_ops/logistic.h).
 *
 * float: in float32, 1 above 16.619047 and exp(x) below -9, as the reference.
 * int8: gemmlowp fixed point on Q4.27 (see sigmoid-params.ts); output scale
 * 1/256 with zero point -128.
 * int16: TFLite's 256-entry sigmoid table with linear interpolation; output
 * scale 2^-15.
 */
import {
  expectType,
  input,
  KernelError,
  output,
  requireQuantization,
  sameShape,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { logistic as fixedLogistic, roundingDivideByPOT } from '../quant/fixed-point';
import { multiplyByQuantizedMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import { SIGMOID_TABLE_UINT16 } from '../quant/sigmoid-table';
import {
  checkedLog2,
  int16SigmoidParams,
  int8SigmoidParams,
  type Int16SigmoidParams,
  type Int8SigmoidParams,
} from './sigmoid-params';

const CUTOFF_UPPER = f32(16.619047164916992);
const CUTOFF_LOWER = -9;

/** `count` elements from the start (an LSTM gate uses part of its scratch buffer). */
export function logisticFloat(x: Float32Array, y: Float32Array, count = x.length): void {
  for (let i = 0; i < count; i++) {
    const v = x[i];
    if (v > CUTOFF_UPPER) y[i] = 1;
    else if (v < CUTOFF_LOWER) y[i] = Math.exp(v);
    else y[i] = 1 / f32(1 + f32(Math.exp(-v)));
  }
}

export function logisticInt8(p: Int8SigmoidParams, x: Int8Array, y: Int8Array): void {
  const { inputZeroPoint, inputRangeRadius, inputMultiplier, inputLeftShift } = p;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] - inputZeroPoint;
    if (v <= -inputRangeRadius) {
      y[i] = -128;
    } else if (v >= inputRangeRadius) {
      y[i] = 127;
    } else {
      const inQ4 = multiplyByQuantizedMultiplier(v, inputMultiplier, inputLeftShift);
      const outQ0 = fixedLogistic(inQ4, 4);
      const out = roundingDivideByPOT(outQ0, 23) - 128;
      y[i] = out < -128 ? -128 : out > 127 ? 127 : out;
    }
  }
}

export function logisticInt16(
  p: Int16SigmoidParams,
  x: Int16Array,
  y: Int16Array,
  count = x.length,
): void {
  let multiplier = p.inputMultiplier;
  let leftShift = p.inputLeftShift;
  if (multiplier === 0) {
    multiplier = 3 << leftShift;
    leftShift = 0;
  }
  const round = leftShift > 0 ? 1 << (leftShift - 1) : 0;
  const table = SIGMOID_TABLE_UINT16;
  for (let i = 0; i < count; i++) {
    const v = (x[i] * multiplier + round) >> leftShift;
    const abs = v < 0 ? -v : v;
    const uh = abs >>> 9;
    let result: number;
    if (uh >= 255) {
      result = 0x7fff << 10;
    } else {
      const ua = table[uh];
      result = (ua << 9) + (abs & 0x1ff) * (table[uh + 1] - ua);
    }
    result = v >= 0 ? result + (1 << 9) : (1 << 25) - result + (1 << 9) - 1;
    y[i] = result >>> 10;
  }
}

type LogisticData =
  | { kind: 'float' }
  | { kind: 'int8'; p: Int8SigmoidParams }
  | { kind: 'int16'; p: Int16SigmoidParams };

export function checkSameShape(node: NodeContext): void {
  const x = input(node, 0);
  const y = output(node, 0);
  if (!sameShape(x.shape, y.shape)) {
    throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] differ`);
  }
  if (x.type !== y.type) {
    throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
  }
}

export const logistic: Kernel<LogisticData> = {
  prepare(node) {
    checkSameShape(node);
    const x = input(node, 0);
    const y = output(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (x.type === 'float32') return { kind: 'float' };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    if (x.type === 'int8') {
      if (outQ.zeroPoint !== -128) {
        throw new KernelError(node, `int8 output zero point must be -128, got ${outQ.zeroPoint}`);
      }
      return { kind: 'int8', p: int8SigmoidParams(inQ.scale, inQ.zeroPoint) };
    }
    const [outLog2, outPot] = checkedLog2(outQ.scale);
    if (inQ.zeroPoint !== 0 || outQ.zeroPoint !== 0 || !outPot || outLog2 !== -15) {
      throw new KernelError(
        node,
        `int16 logistic needs zero points 0 and output scale 2^-15, got output scale ${outQ.scale}`,
      );
    }
    return { kind: 'int16', p: int16SigmoidParams(inQ.scale, false) };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') logisticFloat(x as Float32Array, y as Float32Array);
    else if (data.kind === 'int8') logisticInt8(data.p, x as Int8Array, y as Int8Array);
    else logisticInt16(data.p, x as Int16Array, y as Int16Array);
  },
};
