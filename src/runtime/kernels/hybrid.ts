/**
 * Hybrid ("dynamic-range") FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D:
 * float32 input, output and bias, int8 weights with float scales. TFLM has no
 * such kernels; full TFLite does, and these follow its arithmetic
 * (kernels/fully_connected.cc EvalHybrid, conv.cc EvalHybrid and
 * EvalHybridPerChannel, depthwise_conv.cc EvalHybridPerChannel, with
 * tensor_utils' SymmetricQuantizeFloats / AsymmetricQuantizeFloats and
 * MatrixBatchVectorMultiplyAccumulate):
 *
 * 1. Each batch of the input is quantized to int8 on the fly: symmetric
 *    (scale = max|x| / 127, values in [-127, 127]) or asymmetric (scale and
 *    zero point from [min(0, x), max(0, x)] over [-128, 127], the zero point
 *    picked and nudged as in TFLite's ChooseQuantizationParams).
 * 2. acc = sum w * (q - zero_point) in int32 over the taps inside the image
 *    (padding contributes real 0).
 * 3. FULLY_CONNECTED and CONV_2D: y = act(float(acc) * float(input_scale *
 *    filter_scale[c]) + bias[c]), every step in float32, as TFLite's
 *    MatrixBatchVectorMultiplyAccumulate scales (its reference hybrid conv
 *    multiplies by the two scales one at a time). DEPTHWISE_CONV_2D:
 *    y = act(float(acc) * input_scale * filter_scale[c] + bias[c]) left to
 *    right; TFLite's reference depthwise multiplies the two scales first,
 *    but the real runtime's optimized kernel gives this order's bits (every
 *    depthwise output of person_detect made float and dynamic-range
 *    quantized equals the real runtime's exactly in this order, and differs
 *    in the last bit for 1 in 10^3 or so in the other). The last bit
 *    matters: the next layer quantizes these floats again, and a value one
 *    bit across a rounding boundary moves a whole int8 step.
 *
 * Which scheme: FULLY_CONNECTED is asymmetric when its options say
 * asymmetric_quantize_inputs; CONV_2D is asymmetric per channel when its
 * filter scales differ and symmetric with one scale otherwise (conv.cc
 * is_hybrid_per_channel); DEPTHWISE_CONV_2D is always asymmetric.
 */
import { KernelError, requireQuantization, type NodeContext, type PrepareContext } from '../kernel';
import { floatActivationRange } from '../quant/activation';
import { f32, roundHalfAway } from '../quant/rounding';
import type { RuntimeTensor } from '../tensor';
import type { ActivationName } from '../../tflite/model';
import { tapEnd, tapStart } from './padding';
import type { ConvGeometry } from './conv-params';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { f32Bits } from '../wasm/f32-kernels';
import { runDepthwiseRows } from './float-simd';

export interface HybridData {
  asymmetric: boolean;
  /** Number of independently quantized input slices and the values in each. */
  batches: number;
  batchSize: number;
  /** float(filter scale) per output channel (a per-tensor scale broadcast). */
  filterScale: Float32Array;
  /** Per batch: input scale and zero point, filled at each eval. */
  inputScale: Float32Array;
  inputOffset: Int32Array;
  /** Index of the quantized input's scratch buffer (int8, one per input value). */
  scratch: number;
  activationMin: number;
  activationMax: number;
}

/**
 * Symmetric per-slice quantization (PortableSymmetricQuantizeFloats): returns
 * float(max|x| / 127), or 1 with all zeros when the slice is all zero.
 */
export function symmetricQuantizeFloats(
  x: Float32Array,
  start: number,
  size: number,
  q: Int8Array,
): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < start + size; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = Math.max(Math.abs(lo), Math.abs(hi));
  if (range === 0 || size === 0) {
    q.fill(0, start, start + size);
    return 1;
  }
  const inv = f32(127 / range);
  for (let i = start; i < start + size; i++) {
    const v = roundHalfAway(f32(x[i] * inv));
    q[i] = v > 127 ? 127 : v < -127 ? -127 : v;
  }
  return f32(range / 127);
}

/**
 * Asymmetric per-slice quantization (PortableAsymmetricQuantizeFloats): the
 * scale and zero point in double from [min(0, lo), max(0, hi)], the zero
 * point taken from the end with the smaller error and rounded half away from
 * zero; values as round(zero_point + x * (1 / scale)) in float.
 */
export function asymmetricQuantizeFloats(
  x: Float32Array,
  start: number,
  size: number,
  q: Int8Array,
  out: { scale: number; offset: number },
): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < start + size; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const rmin = Math.min(0, lo);
  const rmax = Math.max(0, hi);
  if (rmin === rmax) {
    q.fill(0, start, start + size);
    out.scale = 1;
    out.offset = 0;
    return;
  }
  const scale = (rmax - rmin) / 255;
  const fromMin = -128 - rmin / scale;
  const fromMax = 127 - rmax / scale;
  const zeroPoint = 128 + Math.abs(rmin / scale) < 127 + Math.abs(rmax / scale) ? fromMin : fromMax;
  const offset = zeroPoint <= -128 ? -128 : zeroPoint >= 127 ? 127 : roundHalfAway(zeroPoint);
  const scaleF = f32(scale);
  const inv = f32(1 / scaleF);
  for (let i = start; i < start + size; i++) {
    const v = roundHalfAway(f32(offset + f32(x[i] * inv)));
    q[i] = v > 127 ? 127 : v < -128 ? -128 : v;
  }
  out.scale = scaleF;
  out.offset = offset;
}

const slice = { scale: 1, offset: 0 };

/** Quantizes every batch slice of `x` into `q`, recording scales and zero points. */
export function quantizeHybridInput(d: HybridData, x: Float32Array, q: Int8Array): void {
  for (let b = 0; b < d.batches; b++) {
    const start = b * d.batchSize;
    if (d.asymmetric) {
      asymmetricQuantizeFloats(x, start, d.batchSize, q, slice);
      d.inputScale[b] = slice.scale;
      d.inputOffset[b] = slice.offset;
    } else {
      d.inputScale[b] = symmetricQuantizeFloats(x, start, d.batchSize, q);
      d.inputOffset[b] = 0;
    }
  }
}

/** act(scaled + bias) in float32: the accumulator already scaled, as the kernel's order has it. */
function hybridOutput(
  scaled: number,
  bias: number,
  activationMin: number,
  activationMax: number,
): number {
  const v = f32(scaled + bias);
  return v < activationMin ? activationMin : v > activationMax ? activationMax : v;
}

/**
 * What every hybrid kernel checks and keeps: the filter's scales, the input
 * slices (`batches` of `batchSize` values), the scheme, an int8 scratch copy
 * of the input.
 */
export function prepareHybrid(
  node: NodeContext,
  ctx: PrepareContext,
  filter: RuntimeTensor,
  bias: RuntimeTensor | null,
  channels: number,
  batches: number,
  batchSize: number,
  scheme: 'asymmetric' | 'symmetric' | 'per-channel-asymmetric',
): HybridData {
  requireQuantization(node, filter);
  const scales = filter.quantization!.scale;
  if (scales.length !== 1 && scales.length !== channels) {
    throw new KernelError(
      node,
      `filter "${filter.name}" has ${scales.length} scales; expected 1 or ${channels} (one per output channel)`,
    );
  }
  if (filter.quantization!.zeroPoint.some((z) => z !== 0)) {
    throw new KernelError(node, `hybrid filter "${filter.name}" must be symmetric (zero point 0)`);
  }
  if (bias && bias.type !== 'float32') {
    throw new KernelError(
      node,
      `hybrid bias "${bias.name}" has type ${bias.type}; expected float32`,
    );
  }
  const filterScale = new Float32Array(channels);
  for (let c = 0; c < channels; c++) filterScale[c] = scales.length === 1 ? scales[0] : scales[c];
  const differ = filterScale.some((s) => s !== filterScale[0]);
  const activation = node.options?.fusedActivationFunction as ActivationName | undefined;
  if (activation && !['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'].includes(activation)) {
    throw new KernelError(
      node,
      `fused activation ${activation} is not supported in hybrid kernels`,
    );
  }
  const [activationMin, activationMax] = floatActivationRange(activation);
  const n = batches * batchSize;
  return {
    asymmetric: scheme === 'asymmetric' || (scheme === 'per-channel-asymmetric' && differ),
    batches,
    batchSize,
    filterScale,
    inputScale: new Float32Array(batches),
    inputOffset: new Int32Array(batches),
    scratch: ctx.requestScratch('int8', n),
    activationMin,
    activationMax,
  };
}

/** Hybrid FULLY_CONNECTED over [batches, accumDepth] with [outputDepth, accumDepth] weights. */
export function hybridFullyConnected(
  d: HybridData,
  outputDepth: number,
  q: Int8Array,
  w: Int8Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const depth = d.batchSize;
  for (let b = 0; b < d.batches; b++) {
    const inBase = b * depth;
    const inScale = d.inputScale[b];
    const offset = d.inputOffset[b];
    for (let o = 0; o < outputDepth; o++) {
      const wBase = o * depth;
      let acc = 0;
      for (let i = 0; i < depth; i++) acc += w[wBase + i] * (q[inBase + i] - offset);
      const scaled = f32(f32(acc) * f32(inScale * d.filterScale[o]));
      const bv = bias ? bias[o] : 0;
      y[b * outputDepth + o] = hybridOutput(scaled, bv, d.activationMin, d.activationMax);
    }
  }
}

/**
 * Calls `pixel` for every output pixel of a convolution window walk, with
 * the ranges of filter taps that fall inside the image (taps in the padding
 * are skipped: they would add a real 0).
 */
function forEachOutputPixel(
  p: ConvGeometry,
  pixel: (
    b: number,
    inY0: number,
    inX0: number,
    ky0: number,
    ky1: number,
    kx0: number,
    kx1: number,
    outBase: number,
  ) => void,
): void {
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const ky0 = tapStart(inY0, p.dilationHeight, p.filterHeight);
      const ky1 = tapEnd(inY0, p.dilationHeight, p.filterHeight, p.inputHeight);
      for (let ox = 0; ox < p.outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const kx0 = tapStart(inX0, p.dilationWidth, p.filterWidth);
        const kx1 = tapEnd(inX0, p.dilationWidth, p.filterWidth, p.inputWidth);
        const outBase = ((b * p.outputHeight + oy) * p.outputWidth + ox) * p.outputDepth;
        pixel(b, inY0, inX0, ky0, ky1, kx0, kx1, outBase);
      }
    }
  }
}

/** Hybrid CONV_2D (one group) over NHWC with an [outDepth, fh, fw, inDepth] filter. */
export function hybridConv(
  d: HybridData,
  p: ConvGeometry,
  q: Int8Array,
  w: Int8Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth, outputDepth } = p;
  forEachOutputPixel(p, (b, inY0, inX0, ky0, ky1, kx0, kx1, outBase) => {
    const offset = d.inputOffset[b];
    for (let oc = 0; oc < outputDepth; oc++) {
      let acc = 0;
      for (let ky = ky0; ky < ky1; ky++) {
        const iy = inY0 + p.dilationHeight * ky;
        for (let kx = kx0; kx < kx1; kx++) {
          const ix = inX0 + p.dilationWidth * kx;
          const inBase = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth;
          const wBase = ((oc * filterHeight + ky) * filterWidth + kx) * inputDepth;
          for (let ic = 0; ic < inputDepth; ic++) {
            acc += w[wBase + ic] * (q[inBase + ic] - offset);
          }
        }
      }
      const scaled = f32(f32(acc) * f32(d.inputScale[b] * d.filterScale[oc]));
      const bv = bias ? bias[oc] : 0;
      y[outBase + oc] = hybridOutput(scaled, bv, d.activationMin, d.activationMax);
    }
  });
}

/** Hybrid DEPTHWISE_CONV_2D with a [1, fh, fw, inDepth * multiplier] filter. */
export function hybridDepthwise(
  d: HybridData,
  p: ConvGeometry & { depthMultiplier: number },
  q: Int8Array,
  w: Int8Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterWidth, outputDepth, depthMultiplier } = p;
  forEachOutputPixel(p, (b, inY0, inX0, ky0, ky1, kx0, kx1, outBase) => {
    const offset = d.inputOffset[b];
    for (let oc = 0; oc < outputDepth; oc++) {
      const ic = Math.trunc(oc / depthMultiplier);
      let acc = 0;
      for (let ky = ky0; ky < ky1; ky++) {
        const iy = inY0 + p.dilationHeight * ky;
        for (let kx = kx0; kx < kx1; kx++) {
          const ix = inX0 + p.dilationWidth * kx;
          const x = q[((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic];
          acc += w[(ky * filterWidth + kx) * outputDepth + oc] * (x - offset);
        }
      }
      // (acc * input scale) * filter scale, one rounding each: see the header
      const scaled = f32(f32(f32(acc) * d.inputScale[b]) * d.filterScale[oc]);
      const bv = bias ? bias[oc] : 0;
      y[outBase + oc] = hybridOutput(scaled, bv, d.activationMin, d.activationMax);
    }
  });
}

/**
 * The WebAssembly SIMD path of hybrid FULLY_CONNECTED and CONV_2D (one
 * group): wasm/int8-kernels.ts gemm_hybrid computes the same int32 sums and
 * the same float32 steps as hybridFullyConnected/hybridConv. Rows sharing
 * one input quantization (a batch) run in one call; the per-channel scale
 * float(input_scale * filter_scale) is written for each batch.
 */
export interface HybridGemm {
  channels: number;
  depth: number;
  depth8: number;
  weights: number;
  rowsum: number;
  scale: number;
  bias: number;
  scaleView: Float32Array;
  runtime?: SimdRuntime;
}

const ceil4 = (n: number) => Math.ceil(n / 4) * 4;

/** Whether the SIMD path applies: constant weights and bias. */
export function hybridGemmUsable(
  ctx: PrepareContext,
  filter: RuntimeTensor,
  bias: RuntimeTensor | null,
): boolean {
  return ctx.simd && filter.isConstant && (!bias || bias.isConstant);
}

export function prepareHybridGemm(
  ctx: PrepareContext,
  channels: number,
  depth: number,
): HybridGemm {
  const depth8 = Math.ceil(depth / 8) * 8;
  ctx.reservePersistent(ceil4(channels) * depth8);
  for (let i = 0; i < 3; i++) ctx.reservePersistent(ceil4(channels) * 4);
  return {
    channels,
    depth,
    depth8,
    weights: 0,
    rowsum: 0,
    scale: 0,
    bias: 0,
    scaleView: new Float32Array(0),
  };
}

/** Copies the weights (rows of depth8), their row sums and the bias into the SIMD memory. */
export function bindHybridGemm(
  g: HybridGemm,
  simd: SimdRuntime,
  weights: Int8Array,
  bias: Float32Array | null,
): void {
  const c4 = ceil4(g.channels);
  g.weights = simd.alloc(c4 * g.depth8);
  const w = simd.int8(g.weights, c4 * g.depth8);
  const rowsum = new Int32Array(c4);
  for (let o = 0; o < g.channels; o++) {
    const row = weights.subarray(o * g.depth, (o + 1) * g.depth);
    w.set(row, o * g.depth8);
    for (let k = 0; k < g.depth; k++) rowsum[o] += row[k];
  }
  g.rowsum = simd.int32Array(rowsum);
  g.scale = simd.alloc(c4 * 4);
  g.scaleView = new Float32Array(simd.buffer, g.scale, c4);
  g.bias = simd.alloc(c4 * 4);
  if (bias) new Float32Array(simd.buffer, g.bias, c4).set(bias.subarray(0, g.channels));
  g.runtime = simd;
}

/** gemm_hybrid over `rows` rows of batch `b`'s quantized input at byte offset `col`. */
export function runHybridGemm(
  g: HybridGemm,
  d: HybridData,
  b: number,
  col: number,
  colStride: number,
  rows: number,
  out: number,
  depthwise = false,
): void {
  const inScale = d.inputScale[b];
  // depthwise: (acc * input scale) * filter scale, so the filter scales alone; else their product
  for (let o = 0; o < g.channels; o++) {
    g.scaleView[o] = depthwise ? d.filterScale[o] : f32(inScale * d.filterScale[o]);
  }
  g.runtime!.kernels.gemmHybrid(
    col,
    colStride,
    rows,
    g.weights,
    g.depth8,
    g.channels,
    g.rowsum,
    d.inputOffset[b],
    g.scale,
    g.bias,
    f32Bits(d.activationMin),
    f32Bits(d.activationMax),
    out,
    g.channels * 4,
    depthwise ? f32Bits(inScale) : 0,
  );
}

/** The WebAssembly SIMD path of hybrid DEPTHWISE_CONV_2D (multiplier 1, channels a multiple of 4). */
export interface HybridDepthwise {
  channels: number;
  taps: number;
  weights: number;
  fscale: number;
  bias: number;
  runtime?: SimdRuntime;
}

export function prepareHybridDepthwise(
  ctx: PrepareContext,
  channels: number,
  taps: number,
): HybridDepthwise {
  ctx.reservePersistent(taps * channels + 16); // the kernel's 8-byte loads read 4 past the end
  ctx.reservePersistent(channels * 4);
  ctx.reservePersistent(channels * 4);
  return { channels, taps, weights: 0, fscale: 0, bias: 0 };
}

export function bindHybridDepthwise(
  g: HybridDepthwise,
  simd: SimdRuntime,
  d: HybridData,
  weights: Int8Array,
  bias: Float32Array | null,
): void {
  const n = g.taps * g.channels;
  g.weights = simd.alloc(n + 16);
  simd.int8(g.weights, n).set(weights.subarray(0, n));
  g.fscale = simd.alloc(g.channels * 4);
  new Float32Array(simd.buffer, g.fscale, g.channels).set(d.filterScale);
  g.bias = simd.alloc(g.channels * 4);
  if (bias) new Float32Array(simd.buffer, g.bias, g.channels).set(bias.subarray(0, g.channels));
  g.runtime = simd;
}

/** dw_hybrid row by row over every batch of the quantized input `q`. */
export function runHybridDepthwise(
  g: HybridDepthwise,
  d: HybridData,
  p: ConvGeometry,
  q: Int8Array,
  y: Float32Array,
): void {
  const minBits = f32Bits(d.activationMin);
  const maxBits = f32Bits(d.activationMax);
  const extra = (b: number) => [
    g.fscale,
    f32Bits(d.inputScale[b]),
    d.inputOffset[b],
    minBits,
    maxBits,
  ];
  const rt = g.runtime!;
  runDepthwiseRows(rt.kernels.dwHybrid, p, q.byteOffset, 1, g.weights, g.bias, y.byteOffset, extra);
}
