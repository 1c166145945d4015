/**
 * The WebAssembly SIMD path shared by int8 CONV_2D and FULLY_CONNECTED: both
 * are out[row][o] = requantize(bias[o] + sum_k w[o][k] * (x[row][k] + in_off))
 * (wasm/int8-kernels.ts gemm_int8). Rows are pixels (or batches) whose k
 * inputs are contiguous: a 1x1 stride-1 convolution and a fully connected
 * layer read the input tensor in place; other convolutions first copy each
 * output row's receptive fields into an arena scratch buffer (im2col), taps
 * outside the image written as the input's zero point, which the input
 * offset turns into 0 as the reference's skipped taps.
 */
import type { PrepareContext } from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';

export interface SimdGemm {
  /** Real inputs per row (fh * fw * input depth) and its multiple of 8. */
  depth: number;
  depth8: number;
  channels: number;
  /** Pointers into the SIMD memory, set by bind(). */
  weights: number;
  bias: number;
  multiplier: number;
  leftShift: number;
  rightShift: number;
}

export function prepareSimdGemm(ctx: PrepareContext, channels: number, depth: number): SimdGemm {
  const depth8 = Math.ceil(depth / 8) * 8;
  ctx.reservePersistent(channels * depth8);
  for (let i = 0; i < 4; i++) ctx.reservePersistent(channels * 4);
  return {
    depth,
    depth8,
    channels,
    weights: 0,
    bias: 0,
    multiplier: 0,
    leftShift: 0,
    rightShift: 0,
  };
}

/**
 * Copies `weights` ([channels][depth] int8) into rows of depth8 padded with
 * zeros, and the per-channel bias and multipliers, into the SIMD memory.
 */
export function bindSimdGemm(
  g: SimdGemm,
  simd: SimdRuntime,
  weights: Int8Array,
  bias: ArrayLike<number>,
  multiplier: Int32Array,
  shift: Int32Array,
): void {
  g.weights = simd.alloc(g.channels * g.depth8);
  const w = simd.int8(g.weights, g.channels * g.depth8);
  for (let o = 0; o < g.channels; o++) {
    w.set(weights.subarray(o * g.depth, (o + 1) * g.depth), o * g.depth8);
  }
  g.bias = simd.int32Array(Int32Array.from(bias, (v) => v | 0));
  g.multiplier = simd.int32Array(multiplier);
  g.leftShift = simd.int32Array(Int32Array.from(shift, (s) => (s > 0 ? s : 0)));
  g.rightShift = simd.int32Array(Int32Array.from(shift, (s) => (s > 0 ? 0 : -s)));
}

/** Runs gemm_int8 over `rows` rows of `input` (stride `inputStride` bytes) into `output` (stride `channels`). */
export function runSimdGemm(
  simd: SimdRuntime,
  g: SimdGemm,
  input: number,
  inputStride: number,
  rows: number,
  inputOffset: number,
  outputOffset: number,
  min: number,
  max: number,
  output: number,
): void {
  simd.kernels.gemm(
    input,
    inputStride,
    rows,
    g.weights,
    g.depth8,
    g.channels,
    g.bias,
    g.multiplier,
    g.leftShift,
    g.rightShift,
    inputOffset,
    outputOffset,
    min,
    max,
    output,
    g.channels,
  );
}
