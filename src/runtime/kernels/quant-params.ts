/**
 * Quantization data shared by the kernels' prepare(): the per-channel
 * multipliers of convolutions and fully connected layers
 * (kernel_util.cc PopulateConvolutionQuantizationParams, and
 * fully_connected_common.cc CalculateOpDataFullyConnected).
 */
import { KernelError, type NodeContext } from '../kernel';
import { quantizeMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import type { RuntimeTensor } from '../tensor';

export interface ChannelMultipliers {
  multiplier: Int32Array;
  shift: Int32Array;
}

/**
 * One (multiplier, shift) per output channel from
 * input_scale * filter_scale[c] / output_scale, computed in double from the
 * float scales; a per-tensor filter scale is broadcast to every channel.
 */
export function perChannelMultipliers(
  node: NodeContext,
  inputScale: number,
  filter: RuntimeTensor,
  outputScale: number,
  channels: number,
): ChannelMultipliers {
  const scales = filter.quantization?.scale ?? [];
  if (scales.length !== 1 && scales.length !== channels) {
    throw new KernelError(
      node,
      `filter "${filter.name}" has ${scales.length} scales; expected 1 or ${channels} (one per output channel)`,
    );
  }
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const filterScale = scales.length === 1 ? scales[0] : scales[c];
    const q = quantizeMultiplier((inputScale * filterScale) / outputScale);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  return { multiplier, shift };
}

/**
 * The per-tensor multiplier of GetQuantizedConvolutionMultipler: the product
 * of the two scales is taken in float before it is widened to double.
 */
export function perTensorConvMultiplier(
  inputScale: number,
  filterScale: number,
  outputScale: number,
): { multiplier: number; shift: number } {
  return quantizeMultiplier(f32(inputScale * filterScale) / outputScale);
}

/** Bias values as numbers (int32 or int64 tensors), checked to be exact doubles. */
export function biasValues(
  node: NodeContext,
  bias: RuntimeTensor | null,
  count: number,
): Float64Array {
  const out = new Float64Array(count);
  if (!bias) return out;
  if (bias.data.length !== count) {
    throw new KernelError(
      node,
      `bias "${bias.name}" has ${bias.data.length} values; expected ${count}`,
    );
  }
  for (let i = 0; i < count; i++) {
    const v = Number(bias.data[i]);
    // TFLM's 64-bit requantization assumes |acc| < 2^47; larger biases are not meaningful.
    if (Math.abs(v) >= 2 ** 47) {
      throw new KernelError(node, `bias "${bias.name}"[${i}] = ${v} is outside +-2^47`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * The accumulator's start per output channel with the input offset folded
 * in: bias[o] + inputOffset * sum_k w(o, k), for constant weights without a
 * zero point. The reference sums (w) * (x + inputOffset) + bias; integer sums
 * are exact in any order, so starting from this and adding w * x is the same
 * result. Weight (o, k) sits at o * outputStride + k * tapStride.
 */
export function foldInputOffset(
  bias: Float64Array,
  inputOffset: number,
  weights: Int8Array,
  outputDepth: number,
  taps: number,
  outputStride: number,
  tapStride: number,
): Float64Array {
  const out = new Float64Array(outputDepth);
  for (let o = 0; o < outputDepth; o++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += weights[o * outputStride + k * tapStride];
    out[o] = bias[o] + inputOffset * sum;
  }
  return out;
}
