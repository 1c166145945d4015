/**
 * DEPTHWISE_CONV_2D over NHWC tensors with a [1, fh, fw, inDepth * multiplier]
 * filter: output channel ic * multiplier + m sees input channel ic only
 * (kernels/internal/reference/depthwiseconv_float.h, integer_ops/
 * depthwise_conv.h; micro/kernels/depthwise_conv_common.cc).
 *
 * int8 is per-channel like CONV_2D (see conv-2d.ts for why the input offset of
 * interior pixels can join the bias); int16 activations accumulate in int64
 * with an int64 bias and no offsets.
 */
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  optionalInput,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
} from '../quant/multiplier';
import { convGeometry, type ConvGeometry } from './conv-params';
import { im2colInt8 } from './conv-2d';
import { tapEnd, tapStart } from './padding';
import { biasValues, perChannelMultipliers } from './quant-params';
import type { SimdRuntime } from '../wasm/simd-runtime';
import {
  runDepthwiseRows,
  bindFloatDepthwise,
  bindFloatDepthwiseAsGemm,
  im2colFloat,
  runFloatGemm,
  floatSimdUsable,
  prepareFloatSimd,
  type FloatSimd,
} from './float-simd';
import {
  bindHybridDepthwise,
  bindHybridGemm,
  hybridDepthwise,
  hybridGemmUsable,
  prepareHybrid,
  prepareHybridDepthwise,
  prepareHybridGemm,
  quantizeHybridInput,
  runHybridDepthwise,
  runHybridGemm,
  type HybridData,
  type HybridDepthwise,
  type HybridGemm,
} from './hybrid';
import { packRequantParams, requantParamsBytes } from '../wasm/int8-kernels';

export interface DepthwiseParams extends ConvGeometry {
  depthMultiplier: number;
}

export interface DepthwiseFloatParams extends DepthwiseParams {
  activationMin: number;
  activationMax: number;
}

export interface DepthwiseQuantParams extends DepthwiseParams {
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: Int32Array;
  outputShift: Int32Array;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
  bias: Float64Array;
  accBase: Float64Array;
  int64Accumulator: boolean;
}

export function depthwiseConvFloat(
  p: DepthwiseFloatParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = p;
  const { outputHeight, outputWidth, outputDepth, depthMultiplier } = p;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const ky0 = tapStart(inY0, p.dilationHeight, filterHeight);
      const ky1 = tapEnd(inY0, p.dilationHeight, filterHeight, inputHeight);
      for (let ox = 0; ox < outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const kx0 = tapStart(inX0, p.dilationWidth, filterWidth);
        const kx1 = tapEnd(inX0, p.dilationWidth, filterWidth, inputWidth);
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let ic = 0; ic < inputDepth; ic++) {
          for (let m = 0; m < depthMultiplier; m++) {
            const oc = m + ic * depthMultiplier;
            let total = 0;
            for (let ky = ky0; ky < ky1; ky++) {
              const iy = inY0 + p.dilationHeight * ky;
              for (let kx = kx0; kx < kx1; kx++) {
                const ix = inX0 + p.dilationWidth * kx;
                total +=
                  x[((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic] *
                  w[(ky * filterWidth + kx) * outputDepth + oc];
              }
            }
            if (bias) total += bias[oc];
            y[outBase + oc] = Math.min(Math.max(total, p.activationMin), p.activationMax);
          }
        }
      }
    }
  }
}

export function depthwiseConvQuantized(
  p: DepthwiseQuantParams,
  x: Int8Array | Int16Array,
  w: Int8Array,
  y: Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = p;
  const { outputHeight, outputWidth, outputDepth, depthMultiplier, inputOffset } = p;
  const { outputMultiplier, outputShift, bias, accBase, outputOffset, int64Accumulator } = p;
  const min = p.quantizedActivationMin;
  const max = p.quantizedActivationMax;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const ky0 = tapStart(inY0, p.dilationHeight, filterHeight);
      const ky1 = tapEnd(inY0, p.dilationHeight, filterHeight, inputHeight);
      for (let ox = 0; ox < outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const kx0 = tapStart(inX0, p.dilationWidth, filterWidth);
        const kx1 = tapEnd(inX0, p.dilationWidth, filterWidth, inputWidth);
        const interior = ky0 === 0 && ky1 === filterHeight && kx0 === 0 && kx1 === filterWidth;
        const offset = interior ? 0 : inputOffset;
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let ic = 0; ic < inputDepth; ic++) {
          for (let m = 0; m < depthMultiplier; m++) {
            const oc = m + ic * depthMultiplier;
            let acc = interior ? accBase[oc] : bias[oc];
            for (let ky = ky0; ky < ky1; ky++) {
              const iy = inY0 + p.dilationHeight * ky;
              for (let kx = kx0; kx < kx1; kx++) {
                const ix = inX0 + p.dilationWidth * kx;
                acc +=
                  w[(ky * filterWidth + kx) * outputDepth + oc] *
                  (x[((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic] + offset);
              }
            }
            let scaled = int64Accumulator
              ? multiplyByQuantizedMultiplier64(acc, outputMultiplier[oc], outputShift[oc])
              : multiplyByQuantizedMultiplier(acc | 0, outputMultiplier[oc], outputShift[oc]);
            scaled += outputOffset;
            y[outBase + oc] = scaled < min ? min : scaled > max ? max : scaled;
          }
        }
      }
    }
  }
}

/** The SIMD path (wasm/int8-kernels.ts dw_int8) for int8 with depth multiplier 1. */
interface DepthwiseSimd {
  channels8: number;
  weights: number;
  /** 3x3 filters only: weights blocked [channels8 / 8][9][8] for dw3x3_int8, else 0. */
  blocked: number;
  /** Packed bias and multipliers (packRequantParams). */
  params: number;
  /** The same with the input offset folded into the bias, for dw3x3_int8. */
  params3x3: number;
  runtime?: SimdRuntime;
}

type DepthwiseData =
  | {
      kind: 'hybrid';
      p: DepthwiseParams;
      h: HybridData;
      simd?: HybridDepthwise;
      /** A one-channel input: gemm_hybrid over im2col rows (scratch slot `col`). */
      gemm?: HybridGemm;
      col?: number;
    }
  | { kind: 'float'; p: DepthwiseFloatParams; simd?: FloatSimd; im2col?: number }
  | { kind: 'quantized'; p: DepthwiseQuantParams; simd?: DepthwiseSimd };

function depthwiseParams(node: NodeContext, g: ConvGeometry): DepthwiseParams {
  const w = input(node, 1);
  if (w.shape[0] !== 1 || w.shape[3] !== g.outputDepth) {
    throw new KernelError(
      node,
      `filter [${w.shape}] must be [1, h, w, ${g.outputDepth}] for ${g.outputDepth} output channels`,
    );
  }
  // Old converters leave depth_multiplier 0; the shapes determine it.
  let depthMultiplier = numberOption(node, 'depthMultiplier', 0);
  if (g.inputDepth > 0 && depthMultiplier * g.inputDepth !== g.outputDepth) {
    depthMultiplier = g.outputDepth / g.inputDepth;
  }
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1) {
    throw new KernelError(
      node,
      `output depth ${g.outputDepth} is not a multiple of the input depth ${g.inputDepth}`,
    );
  }
  return { ...g, depthMultiplier };
}

function prepareQuantized(node: NodeContext, d: DepthwiseParams): DepthwiseQuantParams {
  const x = input(node, 0);
  const w = input(node, 1);
  const bias = optionalInput(node, 2);
  const y = output(node, 0);
  expectType(node, w, 'int8');
  const inQ = requireQuantization(node, x);
  requireQuantization(node, w);
  const outQ = requireQuantization(node, y);
  const { multiplier, shift } = perChannelMultipliers(
    node,
    inQ.scale,
    w,
    outQ.scale,
    d.outputDepth,
  );
  const int64Accumulator = x.type === 'int16';
  if (bias) expectType(node, bias, x.type === 'int16' ? 'int64' : 'int32');
  if (bias && !bias.isConstant) throw new KernelError(node, `bias "${bias.name}" must be constant`);
  if (!w.isConstant) throw new KernelError(node, `filter "${w.name}" must be constant`);
  const biasData = biasValues(node, bias, d.outputDepth);
  const inputOffset = x.type === 'int16' ? 0 : -inQ.zeroPoint;
  const accBase = new Float64Array(d.outputDepth);
  const wd = w.data as Int8Array;
  const taps = d.filterHeight * d.filterWidth;
  for (let oc = 0; oc < d.outputDepth; oc++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += wd[k * d.outputDepth + oc];
    accBase[oc] = biasData[oc] + inputOffset * sum;
  }
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    outQ.scale,
    outQ.zeroPoint,
  );
  return {
    ...d,
    inputOffset,
    outputOffset: x.type === 'int16' ? 0 : outQ.zeroPoint,
    outputMultiplier: multiplier,
    outputShift: shift,
    quantizedActivationMin,
    quantizedActivationMax,
    bias: biasData,
    accBase,
    int64Accumulator,
  };
}

export const depthwiseConv2d: Kernel<DepthwiseData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const d = depthwiseParams(node, convGeometry(node));
    if (x.type === 'float32' && w.type === 'int8') {
      // Dynamic-range weights (hybrid.ts): always per channel, asymmetric per batch image.
      const perBatch = d.inputHeight * d.inputWidth * d.inputDepth;
      const b = optionalInput(node, 2);
      const h = prepareHybrid(node, ctx, w, b, d.outputDepth, d.batches, perBatch, 'asymmetric');
      const simdable = d.depthMultiplier === 1 && d.outputDepth % 4 === 0;
      const taps = d.filterHeight * d.filterWidth;
      if (d.inputDepth === 1 && hybridGemmUsable(ctx, w, b)) {
        const gemm = prepareHybridGemm(ctx, d.outputDepth, taps);
        const col = ctx.requestSimdScratch('int8', d.outputWidth * gemm.depth8);
        return { kind: 'hybrid', p: d, h, gemm, col };
      }
      if (!simdable || !hybridGemmUsable(ctx, w, b)) return { kind: 'hybrid', p: d, h };
      const simd = prepareHybridDepthwise(ctx, d.outputDepth, d.filterHeight * d.filterWidth);
      return { kind: 'hybrid', p: d, h, simd };
    }
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      const [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
      const p = { ...d, activationMin, activationMax };
      const bias = optionalInput(node, 2);
      const oneChannel = d.inputDepth === 1;
      // dw_f32 reads and writes whole vectors of four channels; the gemm path takes any count
      if (
        (d.depthMultiplier !== 1 && !oneChannel) ||
        !floatSimdUsable(ctx, x, w, bias, d.outputDepth, !oneChannel)
      ) {
        return { kind: 'float', p };
      }
      const taps = d.filterHeight * d.filterWidth;
      const s = prepareFloatSimd(ctx, d.outputDepth, taps, activationMin, activationMax);
      if (!oneChannel) return { kind: 'float', p, simd: s };
      // a one-channel input: the convolution of that channel with every filter (gemm, float-simd.ts)
      return {
        kind: 'float',
        p,
        simd: s,
        im2col: ctx.requestSimdScratch('float32', d.outputWidth * taps),
      };
    }
    const p = prepareQuantized(node, d);
    // Depth multiplier 1, or one input channel that every output channel reads.
    const simdable = d.depthMultiplier === 1 || d.inputDepth === 1;
    if (!ctx.simd || x.type !== 'int8' || !simdable) return { kind: 'quantized', p };
    const channels8 = Math.ceil(d.outputDepth / 8) * 8;
    ctx.reservePersistent(d.filterHeight * d.filterWidth * channels8);
    ctx.reservePersistent(requantParamsBytes(channels8));
    // the unrolled 3x3 kernel sums tap products in pairs in i16, which needs no weight -128
    const w8 = w.data as Int8Array;
    const is3x3 = d.filterHeight === 3 && d.filterWidth === 3 && !w8.includes(-128);
    if (is3x3) ctx.reservePersistent(9 * 2 * channels8);
    if (is3x3) ctx.reservePersistent(requantParamsBytes(channels8));
    const simd: DepthwiseSimd = {
      channels8,
      weights: 0,
      blocked: is3x3 ? 1 : 0,
      params: 0,
      params3x3: 0,
    };
    return { kind: 'quantized', p, simd };
  },
  bind(node, data, simd) {
    if (data.kind === 'hybrid' && data.simd) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      bindHybridDepthwise(data.simd, simd, data.h, node.inputs[1]!.data as Int8Array, b);
    }
    if (data.kind === 'hybrid' && data.gemm) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      // [1][fh][fw][channels] as gemm rows [channels][fh * fw]
      const w = node.inputs[1]!.data as Int8Array;
      const { channels, depth } = data.gemm;
      const t = new Int8Array(channels * depth);
      for (let o = 0; o < channels; o++) {
        for (let k = 0; k < depth; k++) t[o * depth + k] = w[k * channels + o];
      }
      bindHybridGemm(data.gemm, simd, t, b);
    }
    if (data.kind === 'float' && data.simd) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      const w = node.inputs[1]!.data as Float32Array;
      if (data.im2col === undefined) bindFloatDepthwise(data.simd, simd, w, b);
      else bindFloatDepthwiseAsGemm(data.simd, simd, w, b);
    }
    if (data.kind !== 'quantized') return;
    const p = data.p;
    if (!data.simd) return;
    const s = data.simd;
    const taps = p.filterHeight * p.filterWidth;
    s.weights = simd.alloc(taps * s.channels8);
    const w = simd.int8(s.weights, taps * s.channels8);
    const src = node.inputs[1]!.data as Int8Array;
    for (let t = 0; t < taps; t++) {
      w.set(src.subarray(t * p.outputDepth, (t + 1) * p.outputDepth), t * s.channels8);
    }
    if (s.blocked) {
      s.blocked = simd.alloc(9 * 2 * s.channels8);
      const b = new Int16Array(simd.buffer, s.blocked, 9 * s.channels8);
      const folded = new Int32Array(p.outputDepth);
      for (let ch = 0; ch < p.outputDepth; ch++) {
        const block = ch >> 3;
        let sum = 0;
        for (let t = 0; t < 9; t++) {
          b[block * 72 + t * 8 + (ch & 7)] = src[t * p.outputDepth + ch];
          sum += src[t * p.outputDepth + ch];
        }
        folded[ch] = (p.bias[ch] + p.inputOffset * sum) | 0;
      }
      const packed3x3 = packRequantParams(folded, p.outputMultiplier, p.outputShift, p.outputDepth);
      s.params3x3 = simd.alloc(packed3x3.length);
      new Uint8Array(simd.buffer, s.params3x3, packed3x3.length).set(packed3x3);
    }
    const packed = packRequantParams(p.bias, p.outputMultiplier, p.outputShift, p.outputDepth);
    s.params = simd.alloc(packed.length);
    new Uint8Array(simd.buffer, s.params, packed.length).set(packed);
    s.runtime = simd;
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const w = node.inputs[1]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'hybrid') {
      const q = node.scratch[data.h.scratch] as Int8Array;
      quantizeHybridInput(data.h, x as Float32Array, q);
      if (data.simd?.runtime) {
        runHybridDepthwise(data.simd, data.h, data.p, q, y as Float32Array);
        return;
      }
      if (data.gemm?.runtime) {
        const col = node.scratch[data.col!] as Int8Array;
        hybridOneChannelSimd(data.p, data.h, data.gemm, col, q, y as Float32Array);
        return;
      }
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      hybridDepthwise(data.h, data.p, q, w as Int8Array, b, y as Float32Array);
    } else if (data.kind === 'float' && data.simd?.runtime) {
      if (data.im2col === undefined) {
        depthwiseFloatSimd(data.p, data.simd, x as Float32Array, y as Float32Array);
      } else {
        const col = node.scratch[data.im2col] as Float32Array;
        depthwiseOneChannelSimd(data.p, data.simd, col, x as Float32Array, y as Float32Array);
      }
    } else if (data.kind === 'float') {
      const bias = node.inputs[2];
      depthwiseConvFloat(
        data.p,
        x as Float32Array,
        w as Float32Array,
        bias ? (bias.data as Float32Array) : null,
        y as Float32Array,
      );
    } else if (data.simd?.runtime) {
      depthwiseSimd(data.p, data.simd, x as Int8Array, y as Int8Array);
    } else {
      depthwiseConvQuantized(data.p, x as Int8Array, w as Int8Array, y as Int8Array);
    }
  },
};

function depthwiseSimd(
  p: DepthwiseQuantParams,
  s: DepthwiseSimd,
  x: Int8Array,
  y: Int8Array,
): void {
  const kernels = s.runtime!.kernels;
  // depth multiplier 1, or a single input channel read by every output channel
  const single = p.depthMultiplier !== 1;
  const dw = single ? kernels.dwC1 : kernels.dw;
  const dw3x3 = single ? kernels.dw3x3C1 : kernels.dw3x3;
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * p.outputDepth;
  // Output columns whose 3x3 taps are all inside the image: [oxA, oxB).
  const dwx = p.dilationWidth;
  const oxA = Math.min(Math.ceil(p.padWidth / p.strideWidth), p.outputWidth);
  const oxB = Math.max(
    oxA,
    Math.min(
      p.outputWidth,
      Math.floor((p.inputWidth - 1 - 2 * dwx + p.padWidth) / p.strideWidth) + 1,
    ),
  );
  const generic = (input: number, iy0: number, out: number, ox0: number, ox1: number) => {
    if (ox1 <= ox0) return;
    dw(
      input,
      p.inputHeight,
      p.inputWidth,
      p.outputDepth,
      s.channels8,
      s.weights,
      p.filterHeight,
      p.filterWidth,
      p.strideWidth,
      p.dilationHeight,
      dwx,
      iy0,
      p.padWidth,
      out,
      ox0,
      ox1,
      s.params,
      p.inputOffset,
      p.outputOffset,
      p.quantizedActivationMin,
      p.quantizedActivationMax,
    );
  };
  for (let b = 0; b < p.batches; b++) {
    const input = x.byteOffset + b * inBatch;
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const iy0 = oy * p.strideHeight - p.padHeight;
      const out = y.byteOffset + (b * p.outputHeight + oy) * outRow;
      const rowInside = iy0 >= 0 && iy0 + 2 * p.dilationHeight < p.inputHeight;
      if (!s.blocked || !rowInside) {
        generic(input, iy0, out, 0, p.outputWidth);
        continue;
      }
      generic(input, iy0, out, 0, oxA);
      dw3x3(
        input,
        p.inputWidth,
        p.outputDepth,
        s.channels8,
        s.blocked,
        p.strideWidth,
        p.dilationHeight,
        dwx,
        iy0,
        p.padWidth,
        out,
        oxA,
        oxB,
        s.params3x3,
        p.inputOffset,
        p.outputOffset,
        p.quantizedActivationMin,
        p.quantizedActivationMax,
      );
      generic(input, iy0, out, oxB, p.outputWidth);
    }
  }
}

/** Float depthwise, multiplier 1: one dw_f32 call per output row (wasm/f32-kernels.ts). */
function depthwiseFloatSimd(
  p: DepthwiseFloatParams,
  s: FloatSimd,
  x: Float32Array,
  y: Float32Array,
): void {
  const rt = s.runtime!;
  const bits = [s.minBits, s.maxBits];
  runDepthwiseRows(
    rt.kernels.dwF32,
    p,
    x.byteOffset,
    4,
    s.weights,
    s.bias,
    y.byteOffset,
    () => bits,
  );
}

/** Float depthwise of a one-channel input: im2col rows of fh * fw taps times [channels][taps] weights. */
function depthwiseOneChannelSimd(
  p: DepthwiseFloatParams,
  s: FloatSimd,
  col: Float32Array,
  x: Float32Array,
  y: Float32Array,
): void {
  const rowBytes = p.outputWidth * p.outputDepth * 4;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      im2colFloat(p, x, b, oy, col);
      runFloatGemm(
        s,
        col.byteOffset,
        p.outputWidth,
        y.byteOffset + (b * p.outputHeight + oy) * rowBytes,
      );
    }
  }
}

/** Hybrid depthwise of a one-channel input: int8 im2col rows times [channels][taps] weights. */
function hybridOneChannelSimd(
  p: DepthwiseParams,
  h: HybridData,
  g: HybridGemm,
  col: Int8Array,
  q: Int8Array,
  y: Float32Array,
): void {
  const inBatch = p.inputHeight * p.inputWidth;
  const rowBytes = p.outputWidth * p.outputDepth * 4;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      // taps outside the image hold the batch's zero point: (q - zero point) adds 0
      im2colInt8(g.runtime!, p, q.byteOffset + b * inBatch, oy, col, g.depth8, h.inputOffset[b]);
      const out = y.byteOffset + (b * p.outputHeight + oy) * rowBytes;
      runHybridGemm(g, h, b, col.byteOffset, g.depth8, p.outputWidth, out, true);
    }
  }
}
