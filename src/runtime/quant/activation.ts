/**
 * Clamping ranges of fused activations (TFLite kernel_util.cc
 * CalculateActivationRange / CalculateActivationRangeQuantized).
 *
 * The quantized bounds quantize 0, 6 or +-1 with the output's scale and zero
 * point in float, as Quantize() in kernel_util.cc does:
 * zero_point + (int32)TfLiteRound(f / scale), the division in float.
 */
import type { ActivationName } from '../../tflite/model';
import { f32, roundHalfAway, typeRange } from './rounding';

export function floatActivationRange(activation: ActivationName | undefined): [number, number] {
  switch (activation) {
    case 'RELU':
      return [0, Infinity];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-Infinity, Infinity];
  }
}

function quantize(scale: number, zeroPoint: number, f: number): number {
  return zeroPoint + roundHalfAway(f32(f / scale));
}

/** [quantizedActivationMin, quantizedActivationMax] for an int8/int16 output. */
export function quantizedActivationRange(
  activation: ActivationName | undefined,
  outputType: string,
  scale: number,
  zeroPoint: number,
): [number, number] {
  const [qmin, qmax] = typeRange(outputType);
  switch (activation) {
    case 'RELU':
      return [Math.max(qmin, quantize(scale, zeroPoint, 0)), qmax];
    case 'RELU6':
      return [
        Math.max(qmin, quantize(scale, zeroPoint, 0)),
        Math.min(qmax, quantize(scale, zeroPoint, 6)),
      ];
    case 'RELU_N1_TO_1':
      return [
        Math.max(qmin, quantize(scale, zeroPoint, -1)),
        Math.min(qmax, quantize(scale, zeroPoint, 1)),
      ];
    default:
      return [qmin, qmax];
  }
}
