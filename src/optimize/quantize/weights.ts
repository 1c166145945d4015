/**
 * Constant tensors of a quantized model: symmetric int8 weights (per tensor
 * or per channel) and integer biases whose scale is input scale × weight
 * scale, as the TFLite quantization specification requires for
 * FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D.
 */
import { clamp, INT32, INT8_NARROW, roundHalfAway, symmetricParams } from './arithmetic';

export interface QuantizedWeights {
  values: Int8Array;
  /** One scale per channel along `axis`, or one for the whole tensor. */
  scales: number[];
  /** The quantized dimension (0 for a per-tensor weight, as TF writes it). */
  axis: number;
}

/** Element strides of a row-major shape. */
function channelLayout(shape: readonly number[], axis: number): { count: number; inner: number } {
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { count: shape[axis], inner };
}

/** Channel index of flat element `i` along `axis`. */
function channelOf(i: number, layout: { count: number; inner: number }): number {
  return Math.floor(i / layout.inner) % layout.count;
}

/**
 * Symmetric int8 weights in [-127, 127] with zero point 0 (spec: "weights
 * are symmetric ... range [-127, 127]"). `axis` null quantizes per tensor;
 * otherwise one scale per slice along `axis` (dimension 0, the output
 * channel, for CONV_2D and FULLY_CONNECTED; dimension 3 for
 * DEPTHWISE_CONV_2D, whose weights are [1, kh, kw, out]).
 */
export function quantizeWeights(
  values: Float32Array,
  shape: readonly number[],
  axis: number | null,
): QuantizedWeights {
  const perChannel = axis !== null;
  const layout = perChannel ? channelLayout(shape, axis) : { count: 1, inner: values.length };
  const absMax = new Float64Array(layout.count);
  for (let i = 0; i < values.length; i++) {
    const c = perChannel ? channelOf(i, layout) : 0;
    const a = Math.abs(values[i]);
    if (a > absMax[c]) absMax[c] = a;
  }
  const scales = Array.from(absMax, (m) => symmetricParams(-m, m, INT8_NARROW.max).scale);
  return { values: quantizeWithScales(values, shape, axis, scales), scales, axis: axis ?? 0 };
}

/** Quantizes weights with given (float32) scales, q = round(w / scale) in [-127, 127]. */
export function quantizeWithScales(
  values: Float32Array,
  shape: readonly number[],
  axis: number | null,
  scales: readonly number[],
): Int8Array {
  const layout = axis !== null ? channelLayout(shape, axis) : { count: 1, inner: values.length };
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scales[axis !== null ? channelOf(i, layout) : 0];
    out[i] = clamp(roundHalfAway(values[i] / s), INT8_NARROW.min, INT8_NARROW.max);
  }
  return out;
}

export interface QuantizedBias {
  values: Int32Array | BigInt64Array;
  scales: number[];
  /** Weight scales, raised where a bias would not fit its integer type. */
  weightScales: number[];
  /** Channels whose weight scale had to be raised. */
  adjustedChannels: number[];
}

const INT64_LIMIT = 2 ** 62; // far inside int64, and exact in a double

/**
 * Bias of FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D: scale_c =
 * inputScale × weightScale_c, zero point 0 (spec: "restriction: (scale,
 * zero_point) = (input0_scale * input1_scale[...], 0)"), stored as int32
 * for int8 activations and int64 for 16x8 (as TF's 16x8 quantizer writes
 * them; TFLM's int16 kernels take both).
 *
 * A bias larger than intMax × bias scale would be clipped; like TF's
 * quantizer (AdjustWeightsForBiasScale), the channel's weight scale is then
 * raised until the bias fits, and the caller re-quantizes those weights.
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: readonly number[],
  bits: 32 | 64,
): QuantizedBias {
  const perChannel = weightScales.length > 1;
  const limit = bits === 32 ? INT32.max : INT64_LIMIT;
  const ws = [...weightScales];
  const adjustedChannels: number[] = [];
  for (let c = 0; c < bias.length; c++) {
    const w = perChannel ? c : 0;
    const needed = Math.abs(bias[c]) / (inputScale * limit);
    if (needed > ws[w]) {
      // Raise by a hair more than needed so rounding cannot push it back over.
      ws[w] = Math.fround(needed * (1 + 1e-6));
      if (!adjustedChannels.includes(w)) adjustedChannels.push(w);
    }
  }
  const scales = (perChannel ? ws : [ws[0]]).map((s) => Math.fround(inputScale * s));
  const scaleOf = (c: number) => scales[perChannel ? c : 0];
  let values: Int32Array | BigInt64Array;
  if (bits === 32) {
    values = new Int32Array(bias.length);
    for (let c = 0; c < bias.length; c++) {
      values[c] = clamp(roundHalfAway(bias[c] / scaleOf(c)), INT32.min, INT32.max);
    }
  } else {
    values = new BigInt64Array(bias.length);
    for (let c = 0; c < bias.length; c++) {
      values[c] = BigInt(clamp(roundHalfAway(bias[c] / scaleOf(c)), -INT64_LIMIT, INT64_LIMIT));
    }
  }
  return { values, scales, weightScales: ws, adjustedChannels };
}
