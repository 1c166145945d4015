/**
 * RELU: max(x, 0) (micro/kernels/activations_common.cc). The quantized form
 * also rescales from the input's to the output's quantization:
 * y = clamp(out_zp + MultiplyByQuantizedMultiplier(x - in_zp, in_scale / out_scale)),
 * with the lower bound at the output's quantized 0.
 */
import { expectType, input, output, requireQuantization, type Kernel } from '../kernel';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32, roundHalfAway, typeRange } from '../quant/rounding';
import { checkSameShape } from './logistic';

export interface ReluQuantParams {
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
}

export function reluFloat(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] < 0 ? 0 : x[i];
}

export function reluQuantized(
  p: ReluQuantParams,
  x: Int8Array | Int16Array,
  y: Int8Array | Int16Array,
): void {
  const { inputOffset, outputOffset, outputMultiplier, outputShift } = p;
  const min = p.quantizedActivationMin;
  const max = p.quantizedActivationMax;
  for (let i = 0; i < x.length; i++) {
    const v =
      outputOffset +
      multiplyByQuantizedMultiplier(x[i] - inputOffset, outputMultiplier, outputShift);
    y[i] = v < min ? min : v > max ? max : v;
  }
}

type ReluData = { kind: 'float' } | { kind: 'quantized'; p: ReluQuantParams };

export const relu: Kernel<ReluData> = {
  prepare(node) {
    checkSameShape(node);
    const x = input(node, 0);
    const y = output(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (x.type === 'float32') return { kind: 'float' };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    // The ratio of the two scales is taken in float (CalculateReluOpData).
    const { multiplier, shift } = quantizeMultiplier(f32(inQ.scale / outQ.scale));
    const [qmin, qmax] = typeRange(y.type);
    return {
      kind: 'quantized',
      p: {
        inputOffset: inQ.zeroPoint,
        outputOffset: outQ.zeroPoint,
        outputMultiplier: multiplier,
        outputShift: shift,
        quantizedActivationMin: Math.max(qmin, outQ.zeroPoint + roundHalfAway(f32(0 / outQ.scale))),
        quantizedActivationMax: qmax,
      },
    };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') reluFloat(x as Float32Array, y as Float32Array);
    else reluQuantized(data.p, x as Int8Array, y as Int8Array);
  },
};
