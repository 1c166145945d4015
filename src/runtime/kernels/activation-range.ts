/**
 * Clamping ranges of fused activations (TFLite kernel_util
 * CalculateActivationRange): float bounds here; the quantized bounds are
 * computed in quant-utils.
 */
import type { ActivationName } from '../../tflite/model';

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
