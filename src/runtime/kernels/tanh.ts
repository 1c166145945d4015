/**
 * TANH (kernels/internal/reference/tanh.h, integer_ops/tanh.h).
 *
 * float: std::tanh in float32.
 * int8: gemmlowp fixed point on Q4.27 (see sigmoid-params.ts); output scale
 * 1/128 with zero point 0.
 * int16: TFLite's sigmoid table read at 2x (tanh(x) = 2 sigmoid(2x) - 1);
 * output scale 2^-15.
 */
import {
  expectType,
  input,
  KernelError,
  output,
  requireQuantization,
  type Kernel,
} from '../kernel';
import { roundingDivideByPOT, tanh as fixedTanh } from '../quant/fixed-point';
import { multiplyByQuantizedMultiplier } from '../quant/multiplier';
import { SIGMOID_TABLE_UINT16 } from '../quant/sigmoid-table';
import { checkSameShape } from './logistic';
import {
  checkedLog2,
  int16SigmoidParams,
  int8SigmoidParams,
  type Int16SigmoidParams,
  type Int8SigmoidParams,
} from './sigmoid-params';

/**
 * `count` elements, read from x at `xStart` (an LSTM takes the tanh of one
 * batch's cell state into part of a scratch buffer).
 */
export function tanhFloat(x: Float32Array, y: Float32Array, count = x.length, xStart = 0): void {
  for (let i = 0; i < count; i++) y[i] = Math.tanh(x[xStart + i]);
}

export function tanhInt8(p: Int8SigmoidParams, x: Int8Array, y: Int8Array): void {
  const { inputZeroPoint, inputRangeRadius, inputMultiplier, inputLeftShift } = p;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] - inputZeroPoint;
    if (v <= -inputRangeRadius) {
      y[i] = -128;
    } else if (v >= inputRangeRadius) {
      y[i] = 127;
    } else {
      const inQ4 = multiplyByQuantizedMultiplier(v, inputMultiplier, inputLeftShift);
      const out = roundingDivideByPOT(fixedTanh(inQ4, 4), 24);
      y[i] = out < -128 ? -128 : out > 127 ? 127 : out;
    }
  }
}

export function tanhInt16(
  p: Int16SigmoidParams,
  x: Int16Array,
  y: Int16Array,
  count = x.length,
  xStart = 0,
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
    const v = (x[xStart + i] * multiplier + round) >> leftShift;
    const abs = v < 0 ? -v : v;
    const uh = abs >>> 8;
    let result: number;
    if (uh >= 255) {
      result = 0xffff << 8;
    } else {
      const ua = table[uh];
      result = (ua << 8) + (abs & 0xff) * (table[uh + 1] - ua);
    }
    result = v >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    y[i] = result >> 8;
  }
}

type TanhData =
  | { kind: 'float' }
  | { kind: 'int8'; p: Int8SigmoidParams }
  | { kind: 'int16'; p: Int16SigmoidParams };

export const tanh: Kernel<TanhData> = {
  prepare(node) {
    checkSameShape(node);
    const x = input(node, 0);
    const y = output(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (x.type === 'float32') return { kind: 'float' };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    if (x.type === 'int8') return { kind: 'int8', p: int8SigmoidParams(inQ.scale, inQ.zeroPoint) };
    const [outLog2, outPot] = checkedLog2(outQ.scale);
    if (inQ.zeroPoint !== 0 || outQ.zeroPoint !== 0 || !outPot || outLog2 !== -15) {
      throw new KernelError(
        node,
        `int16 tanh needs zero points 0 and output scale 2^-15, got output scale ${outQ.scale}`,
      );
    }
    return { kind: 'int16', p: int16SigmoidParams(inQ.scale, true) };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') tanhFloat(x as Float32Array, y as Float32Array);
    else if (data.kind === 'int8') tanhInt8(data.p, x as Int8Array, y as Int8Array);
    else tanhInt16(data.p, x as Int16Array, y as Int16Array);
  },
};
