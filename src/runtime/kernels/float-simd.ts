/**
 * The WebAssembly SIMD paths of float32 CONV_2D, FULLY_CONNECTED and
 * DEPTHWISE_CONV_2D (wasm/f32-kernels.ts). A convolution with one group and
 * a fully connected layer are out[row][o] = act(sum_k x[row][k] * w[o][k] +
 * bias[o]): rows are pixels (or batches) whose k inputs are contiguous — a
 * 1x1 stride-1 convolution and a fully connected layer read the input in
 * place; other convolutions first copy each output row's receptive fields
 * into a scratch row (im2col), taps outside the image as 0, which adds
 * nothing as the reference's skipped taps. Depthwise convolutions with
 * multiplier 1 run row by row on the tensors in place; those of a
 * one-channel input (MobileNet's first layer in person_detect) are the
 * convolution of that channel with `channels` filters, so they take the
 * gemm path with the weights transposed.
 *
 * These paths need constant weights and bias (copied once into the SIMD
 * memory in their layouts) and an input in the arena, and the depthwise
 * rows a multiple of four channels; anything else stays on the JavaScript
 * kernels.
 */
import type { PrepareContext } from '../kernel';
import type { ConvGeometry } from './conv-params';
import { tapEnd, tapStart } from './padding';
import type { RuntimeTensor } from '../tensor';
import { f32Bits } from '../wasm/f32-kernels';
import type { SimdRuntime } from '../wasm/simd-runtime';

export interface FloatSimd {
  channels: number;
  /** Values per gemm row (fh * fw * input depth), or taps * channels for depthwise. */
  depth: number;
  minBits: number;
  maxBits: number;
  /** Pointers into the SIMD memory, set by bind(). */
  weights: number;
  bias: number;
  runtime?: SimdRuntime;
}

function channels8(channels: number): number {
  return Math.ceil(channels / 8) * 8;
}

/** Whether the float SIMD path can run this operator's tensors. */
export function floatSimdUsable(
  ctx: PrepareContext,
  x: RuntimeTensor,
  w: RuntimeTensor,
  bias: RuntimeTensor | null,
  channels: number,
  multipleOf4: boolean,
): boolean {
  return (
    ctx.simd &&
    !x.isConstant &&
    w.isConstant &&
    (!bias || bias.isConstant) &&
    channels > 0 &&
    (!multipleOf4 || channels % 4 === 0)
  );
}

/** Reserves the packed weights and the padded bias of a gemm or depthwise layer. */
export function prepareFloatSimd(
  ctx: PrepareContext,
  channels: number,
  depth: number,
  activationMin: number,
  activationMax: number,
): FloatSimd {
  ctx.reservePersistent(channels8(channels) * depth * 4);
  ctx.reservePersistent(channels8(channels) * 4);
  return {
    channels,
    depth,
    minBits: f32Bits(activationMin),
    maxBits: f32Bits(activationMax),
    weights: 0,
    bias: 0,
  };
}

function bindBias(s: FloatSimd, simd: SimdRuntime, bias: Float32Array | null): void {
  s.bias = simd.alloc(channels8(s.channels) * 4);
  const b = new Float32Array(simd.buffer, s.bias, channels8(s.channels));
  if (bias) b.set(bias.subarray(0, s.channels));
  s.runtime = simd;
}

/** gemm weights ([channels][depth]) packed as [group of 8][k][8], zero past the last channel. */
export function bindFloatGemm(
  s: FloatSimd,
  simd: SimdRuntime,
  weights: Float32Array,
  bias: Float32Array | null,
): void {
  const { channels, depth } = s;
  s.weights = simd.alloc(channels8(channels) * depth * 4);
  const w = new Float32Array(simd.buffer, s.weights, channels8(channels) * depth);
  for (let o = 0; o < channels; o++) {
    const base = (o >> 3) * depth * 8 + (o & 7);
    for (let k = 0; k < depth; k++) w[base + k * 8] = weights[o * depth + k];
  }
  bindBias(s, simd, bias);
}

/** Depthwise weights [1][fh][fw][channels] as gemm weights [channels][fh * fw] (a one-channel input). */
export function bindFloatDepthwiseAsGemm(
  s: FloatSimd,
  simd: SimdRuntime,
  weights: Float32Array,
  bias: Float32Array | null,
): void {
  const t = new Float32Array(s.channels * s.depth);
  for (let o = 0; o < s.channels; o++) {
    for (let k = 0; k < s.depth; k++) t[o * s.depth + k] = weights[k * s.channels + o];
  }
  bindFloatGemm(s, simd, t, bias);
}

/** Depthwise weights keep TFLite's [1][fh][fw][channels] layout. */
export function bindFloatDepthwise(
  s: FloatSimd,
  simd: SimdRuntime,
  weights: Float32Array,
  bias: Float32Array | null,
): void {
  s.weights = simd.alloc(channels8(s.channels) * s.depth * 4);
  new Float32Array(simd.buffer, s.weights, s.depth * s.channels).set(
    weights.subarray(0, s.depth * s.channels),
  );
  bindBias(s, simd, bias);
}

/** Runs gemm_f32 over `rows` rows at byte offset `input` (stride `depth`) into `output` (stride `channels`). */
export function runFloatGemm(s: FloatSimd, input: number, rows: number, output: number): void {
  s.runtime!.kernels.gemmF32(
    input,
    s.depth * 4,
    rows,
    s.weights,
    s.depth,
    s.channels,
    s.bias,
    s.minBits,
    s.maxBits,
    output,
    s.channels * 4,
  );
}

/** One output row's receptive fields, [ox][ky][kx][ic], taps outside the image as 0. */
export function im2colFloat(
  p: ConvGeometry,
  x: Float32Array,
  b: number,
  oy: number,
  col: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = p;
  const depth = filterHeight * filterWidth * inputDepth;
  const iy0 = oy * p.strideHeight - p.padHeight;
  for (let ox = 0; ox < p.outputWidth; ox++) {
    const ix0 = ox * p.strideWidth - p.padWidth;
    let k = ox * depth;
    for (let ky = 0; ky < filterHeight; ky++) {
      const iy = iy0 + p.dilationHeight * ky;
      for (let kx = 0; kx < filterWidth; kx++) {
        const ix = ix0 + p.dilationWidth * kx;
        // plain loops: subarray() would allocate per tap
        if (iy < 0 || iy >= inputHeight || ix < 0 || ix >= inputWidth) {
          for (let ic = 0; ic < inputDepth; ic++) col[k++] = 0;
        } else {
          const at = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth;
          for (let ic = 0; ic < inputDepth; ic++) col[k++] = x[at + ic];
        }
      }
    }
  }
}

/**
 * Runs a depthwise row kernel (dw_f32, dw_hybrid) over every output row:
 * (input of the batch, inW, c, weights, fw, sw, dh, dw, iy0, ky0, ky1, padW,
 * output row, 0, outW, bias, ...extra(batch)); `inputBytes` per input value.
 */
export function runDepthwiseRows(
  kernel: (...args: number[]) => void,
  p: ConvGeometry,
  input: number,
  inputBytes: number,
  weights: number,
  bias: number,
  output: number,
  extra: (batch: number) => number[],
): void {
  const c = p.outputDepth;
  const inBatch = p.inputHeight * p.inputWidth * c * inputBytes;
  const rowBytes = p.outputWidth * c * 4;
  for (let b = 0; b < p.batches; b++) {
    const more = extra(b);
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const iy0 = oy * p.strideHeight - p.padHeight;
      kernel(
        input + b * inBatch,
        p.inputWidth,
        c,
        weights,
        p.filterWidth,
        p.strideWidth,
        p.dilationHeight,
        p.dilationWidth,
        iy0,
        tapStart(iy0, p.dilationHeight, p.filterHeight),
        tapEnd(iy0, p.dilationHeight, p.filterHeight, p.inputHeight),
        p.padWidth,
        output + (b * p.outputHeight + oy) * rowBytes,
        0,
        p.outputWidth,
        bias,
        ...more,
      );
    }
  }
}
