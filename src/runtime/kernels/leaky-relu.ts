/**
 * LEAKY_RELU (micro/kernels/leaky_relu_common.cc, reference/leaky_relu.h).
 *
 * float: x > 0 ? x : x * alpha (in float).
 * int8 / int16: with v = x - in_zp,
 *   y = clamp(out_zp + (v >= 0 ? M_id * v : M_alpha * v)),
 * M_id = in_scale / out_scale and M_alpha = in_scale * alpha / out_scale,
 * both computed in float and widened, as TFLM does; a negative alpha's
 * multiplier is applied to |M_alpha| and the result negated (TFLM keeps the
 * multiplier non-negative for MultiplyByQuantizedMultiplier).
 */
import { input, numberOption, output, requireQuantization, type Kernel } from '../kernel';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32, typeRange } from '../quant/rounding';
import { checkSameShape } from './logistic';
import { expectSameTypes } from './index-map';

export interface LeakyReluQuantParams {
  inputOffset: number;
  outputOffset: number;
  identityMultiplier: number;
  identityShift: number;
  alphaMultiplier: number;
  alphaShift: number;
  min: number;
  max: number;
}

export function leakyReluQuantized(
  p: LeakyReluQuantParams,
  x: Int8Array | Int16Array,
  y: Int8Array | Int16Array,
): void {
  const negative = p.alphaMultiplier < 0;
  const alphaMultiplier = negative ? -p.alphaMultiplier : p.alphaMultiplier;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] - p.inputOffset;
    let r = p.outputOffset;
    if (v >= 0) {
      r += multiplyByQuantizedMultiplier(v, p.identityMultiplier, p.identityShift);
    } else {
      const s = multiplyByQuantizedMultiplier(v, alphaMultiplier, p.alphaShift);
      r += negative ? -s : s;
    }
    y[i] = r < p.min ? p.min : r > p.max ? p.max : r;
  }
}

export function leakyReluFloat(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : f32(x[i] * alpha);
}

type LeakyReluData =
  { kind: 'float'; alpha: number } | { kind: 'quantized'; p: LeakyReluQuantParams };

export const leakyRelu: Kernel<LeakyReluData> = {
  prepare(node) {
    checkSameShape(node);
    expectSameTypes(node, 'float32', 'int8', 'int16');
    const x = input(node, 0);
    const y = output(node, 0);
    const alpha = f32(numberOption(node, 'alpha', 0));
    if (x.type === 'float32') return { kind: 'float', alpha };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    const a = quantizeMultiplier(f32(f32(inQ.scale * alpha) / outQ.scale));
    const id = quantizeMultiplier(f32(inQ.scale / outQ.scale));
    const [min, max] = typeRange(y.type);
    return {
      kind: 'quantized',
      p: {
        inputOffset: inQ.zeroPoint,
        outputOffset: outQ.zeroPoint,
        identityMultiplier: id.multiplier,
        identityShift: id.shift,
        alphaMultiplier: a.multiplier,
        alphaShift: a.shift,
        min,
        max,
      },
    };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') leakyReluFloat(data.alpha, x as Float32Array, y as Float32Array);
    else leakyReluQuantized(data.p, x as Int8Array, y as Int8Array);
  },
};
