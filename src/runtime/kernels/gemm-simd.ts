/**
 * The WebAssembly SIMD path shared by int8 CONV_2D and FULLY_CONNECTED: both
 * are out[row][o] = requantize(bias[o] + sum_k w[o][k] * (x[row][k] + in_off))
 * (wasm/int8-kernels.ts gemm_int8). Rows are pixels (or batches) whose k
 * inputs are contiguous: a 1x1 stride-1 convolution and a fully connected
 * layer read the input tensor in place; other convolutions first copy each
 * output row's receptive fields into an arena scratch buffer (im2col), taps
 * outside the image written as the input's zero point, which the input
 * offset turns into 0 as the reference's skipped taps. Layers with a
 * multiple of 16 output channels take gemm_int8_lanes (wasm/gemm-lanes.ts:
 * output channels in the lanes, no horizontal sums), the others gemm_int8.
 */
import type { PrepareContext } from '../kernel';
import { packLanesWeights } from '../wasm/gemm-lanes';
import { packRequantParams, requantParamsBytes } from '../wasm/requantize';
import type { SimdRuntime } from '../wasm/simd-runtime';

export interface SimdGemm {
  /** Real inputs per row (fh * fw * input depth) and its multiple of 8. */
  depth: number;
  depth8: number;
  channels: number;
  /** gemm_int8_lanes (channels a multiple of 16) rather than gemm_int8. */
  lanes: boolean;
  /** Pointers into the SIMD memory, set by bind(). */
  weights: number;
  params: number;
}

function channels4(channels: number): number {
  return Math.ceil(channels / 4) * 4;
}

export function prepareSimdGemm(ctx: PrepareContext, channels: number, depth: number): SimdGemm {
  const depth8 = Math.ceil(depth / 8) * 8;
  ctx.reservePersistent(channels4(channels) * depth8);
  ctx.reservePersistent(requantParamsBytes(channels));
  return {
    depth,
    depth8,
    channels,
    lanes: channels % 16 === 0 && depth8 <= 64,
    weights: 0,
    params: 0,
  };
}

/**
 * Copies `weights` ([channels][depth] int8) into groups of four channels,
 * [depth8 / 8][4][8] each, zero beyond the real depth (and zero channels up
 * to a multiple of four), or into
 * gemm_int8_lanes' blocks of 16 channels, and the packed
 * per-channel bias and multipliers, into the SIMD memory. The input offset
 * joins the bias here: bias + input_offset * sum_k w[o][k].
 */
export function bindSimdGemm(
  g: SimdGemm,
  simd: SimdRuntime,
  weights: Int8Array,
  bias: ArrayLike<number>,
  multiplier: Int32Array,
  shift: Int32Array,
  inputOffset: number,
): void {
  g.weights = simd.alloc(channels4(g.channels) * g.depth8);
  const w = simd.int8(g.weights, channels4(g.channels) * g.depth8);
  if (g.lanes) packLanesWeights(weights, g.channels, g.depth, g.depth8, w);
  else {
    // gemm_int8: per group of four channels, blocks of 8 inputs of each channel in turn
    for (let o = 0; o < g.channels; o++) {
      const row = (o >> 2) * 4 * g.depth8 + (o & 3) * 8;
      for (let k = 0; k < g.depth; k++) w[row + (k >> 3) * 32 + (k & 7)] = weights[o * g.depth + k];
    }
  }
  const folded = new Int32Array(g.channels);
  // |acc| <= |folded bias| + 128 * sum |w|: the inputs are int8 (the offset is in the bias)
  const accBound = new Float64Array(g.channels);
  for (let o = 0; o < g.channels; o++) {
    let sum = 0;
    let sumAbs = 0;
    for (let k = 0; k < g.depth; k++) {
      sum += weights[o * g.depth + k];
      sumAbs += Math.abs(weights[o * g.depth + k]);
    }
    folded[o] = (bias[o] + inputOffset * sum) | 0;
    accBound[o] = Math.abs(bias[o] + inputOffset * sum) + 128 * sumAbs;
  }
  const packed = packRequantParams(folded, multiplier, shift, g.channels, accBound);
  g.params = simd.alloc(packed.length);
  new Uint8Array(simd.buffer, g.params, packed.length).set(packed);
}

/** Runs gemm_int8 (or gemm_int8_lanes) over `rows` rows of `input` (stride `inputStride` bytes) into `output` (stride `channels`). */
export function runSimdGemm(
  simd: SimdRuntime,
  g: SimdGemm,
  input: number,
  inputStride: number,
  rows: number,
  outputOffset: number,
  min: number,
  max: number,
  output: number,
): void {
  const gemm = g.lanes ? simd.kernels.gemmLanes : simd.kernels.gemm;
  gemm(
    input,
    inputStride,
    rows,
    g.weights,
    g.depth8,
    g.channels,
    g.params,
    0, // folded into the bias by bindSimdGemm
    outputOffset,
    min,
    max,
    output,
    g.channels,
  );
}
