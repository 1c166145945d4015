/**
 * CONV_2D over NHWC tensors with an [outDepth, fh, fw, inDepth / groups]
 * filter (kernels/internal/reference/conv.h, integer_ops/conv.h;
 * micro/kernels/conv_common.cc).
 *
 * int8 (per-channel): acc = bias + sum w * (x + input_offset) over the taps
 * inside the image (taps in the padding are skipped, i.e. read as the input's
 * zero point), rescaled per output channel, plus output_offset, clamped. For
 * outputs whose taps are all inside the image the input_offset term is the
 * same for every pixel and joins the bias once in prepare(); integer sums are
 * exact in any order, so the result is the reference's. The int32 accumulator
 * of a 3x3x256 int8 conv is at most 2304 * 128 * 255 < 2^27: no overflow.
 * int16 (16x8): acc = bias + sum w * x without offsets, 64-bit when the bias
 * is int64, no output offset (int16 zero points are 0).
 */
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
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
import { tapEnd, tapStart } from './padding';
import { biasValues, perChannelMultipliers } from './quant-params';
import { bindSimdGemm, prepareSimdGemm, runSimdGemm, type SimdGemm } from './gemm-simd';
import type { SimdRuntime } from '../wasm/simd-runtime';
import {
  bindFloatGemm,
  floatSimdUsable,
  prepareFloatSimd,
  im2colFloat,
  runFloatGemm,
  type FloatSimd,
} from './float-simd';
import {
  bindHybridGemm,
  hybridConv,
  hybridGemmUsable,
  prepareHybrid,
  prepareHybridGemm,
  quantizeHybridInput,
  runHybridGemm,
  type HybridData,
  type HybridGemm,
} from './hybrid';

export interface ConvParams extends ConvGeometry {
  filterInputDepth: number;
  filtersPerGroup: number;
}

export interface ConvFloatParams extends ConvParams {
  activationMin: number;
  activationMax: number;
}

export interface ConvQuantParams extends ConvParams {
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: Int32Array;
  outputShift: Int32Array;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
  bias: Float64Array;
  /** bias + input_offset * (sum of the whole filter): the accumulator start for interior pixels. */
  accBase: Float64Array;
  int64Accumulator: boolean;
}

export function convFloat(
  p: ConvFloatParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth, filterInputDepth } = p;
  const { outputHeight, outputWidth, outputDepth, filtersPerGroup } = p;
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
        for (let oc = 0; oc < outputDepth; oc++) {
          const inC0 = Math.trunc(oc / filtersPerGroup) * filterInputDepth;
          let total = 0;
          for (let ky = ky0; ky < ky1; ky++) {
            const iy = inY0 + p.dilationHeight * ky;
            for (let kx = kx0; kx < kx1; kx++) {
              const ix = inX0 + p.dilationWidth * kx;
              const inBase = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth + inC0;
              const wBase = ((oc * filterHeight + ky) * filterWidth + kx) * filterInputDepth;
              for (let ic = 0; ic < filterInputDepth; ic++) total += x[inBase + ic] * w[wBase + ic];
            }
          }
          if (bias) total += bias[oc];
          y[outBase + oc] = Math.min(Math.max(total, p.activationMin), p.activationMax);
        }
      }
    }
  }
}

/** int8 x int8 or int16 x int8 convolution, per-channel requantization. */
export function convQuantized(
  p: ConvQuantParams,
  x: Int8Array | Int16Array,
  w: Int8Array,
  y: Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth, filterInputDepth } = p;
  const { outputHeight, outputWidth, outputDepth, filtersPerGroup, inputOffset } = p;
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
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let oc = 0; oc < outputDepth; oc++) {
          const inC0 = Math.trunc(oc / filtersPerGroup) * filterInputDepth;
          let acc = interior ? accBase[oc] : bias[oc];
          const offset = interior ? 0 : inputOffset;
          for (let ky = ky0; ky < ky1; ky++) {
            const iy = inY0 + p.dilationHeight * ky;
            for (let kx = kx0; kx < kx1; kx++) {
              const ix = inX0 + p.dilationWidth * kx;
              const inBase = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth + inC0;
              const wBase = ((oc * filterHeight + ky) * filterWidth + kx) * filterInputDepth;
              for (let ic = 0; ic < filterInputDepth; ic++) {
                acc += w[wBase + ic] * (x[inBase + ic] + offset);
              }
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

interface ConvFloatSimd {
  s: FloatSimd;
  /** 1x1 stride 1: the input rows are the gemm rows; else im2col per output row. */
  pointwise: boolean;
  scratch: number;
}

function convFloatSimd(
  p: ConvFloatParams,
  c: ConvFloatSimd,
  scratch: unknown[],
  x: Float32Array,
  y: Float32Array,
): void {
  if (c.pointwise) {
    runFloatGemm(c.s, x.byteOffset, p.batches * p.inputHeight * p.inputWidth, y.byteOffset);
    return;
  }
  const col = scratch[c.scratch] as Float32Array;
  const rowBytes = p.outputWidth * p.outputDepth * 4;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      im2colFloat(p, x, b, oy, col);
      const out = y.byteOffset + (b * p.outputHeight + oy) * rowBytes;
      runFloatGemm(c.s, col.byteOffset, p.outputWidth, out);
    }
  }
}

interface ConvSimd {
  gemm: SimdGemm;
  /** 1x1 stride 1: the input rows are the gemm rows; else im2col per output row. */
  pointwise: boolean;
  /** Index of the im2col scratch buffer in node.scratch. */
  scratch: number;
  runtime?: SimdRuntime;
}

type ConvData =
  | { kind: 'float'; p: ConvFloatParams; simd?: ConvFloatSimd }
  | { kind: 'hybrid'; p: ConvParams; h: HybridData; gemm?: HybridGemm; col?: number }
  | { kind: 'quantized'; p: ConvQuantParams; simd?: ConvSimd };

function groupedParams(node: NodeContext, g: ConvGeometry): ConvParams {
  const w = input(node, 1);
  const filterInputDepth = w.shape[3];
  if (w.shape[0] !== g.outputDepth) {
    throw new KernelError(
      node,
      `filter [${w.shape}] has ${w.shape[0]} outputs; the output has ${g.outputDepth} channels`,
    );
  }
  if (filterInputDepth <= 0 || g.inputDepth % filterInputDepth !== 0) {
    throw new KernelError(
      node,
      `input depth ${g.inputDepth} is not a multiple of the filter depth ${filterInputDepth}`,
    );
  }
  const groups = g.inputDepth / filterInputDepth;
  if (g.outputDepth % groups !== 0) {
    throw new KernelError(
      node,
      `output depth ${g.outputDepth} is not a multiple of the ${groups} groups`,
    );
  }
  return { ...g, filterInputDepth, filtersPerGroup: g.outputDepth / groups };
}

function prepareQuantized(node: NodeContext, c: ConvParams): ConvQuantParams {
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
    c.outputDepth,
  );
  let int64Accumulator = false;
  if (x.type === 'int16') {
    if (bias) {
      expectType(node, bias, 'int32', 'int64');
      int64Accumulator = bias.type === 'int64';
    } else {
      int64Accumulator = node.options?.quantizedBiasType !== 'int32';
    }
  } else if (bias) {
    expectType(node, bias, 'int32');
  }
  if (bias && !bias.isConstant) throw new KernelError(node, `bias "${bias.name}" must be constant`);
  if (!w.isConstant) throw new KernelError(node, `filter "${w.name}" must be constant`);
  const biasData = biasValues(node, bias, c.outputDepth);
  // int16 activations have no input offset (zero point 0 by the quantization spec).
  const inputOffset = x.type === 'int16' ? 0 : -inQ.zeroPoint;
  const accBase = new Float64Array(c.outputDepth);
  const perFilter = c.filterHeight * c.filterWidth * c.filterInputDepth;
  const wd = w.data as Int8Array;
  for (let oc = 0; oc < c.outputDepth; oc++) {
    let sum = 0;
    for (let k = 0; k < perFilter; k++) sum += wd[oc * perFilter + k];
    accBase[oc] = biasData[oc] + inputOffset * sum;
  }
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    outQ.scale,
    outQ.zeroPoint,
  );
  return {
    ...c,
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

export const conv2d: Kernel<ConvData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const c = groupedParams(node, convGeometry(node));
    if (x.type === 'float32' && w.type === 'int8') {
      // Dynamic-range weights (hybrid.ts): the whole image of a batch is one quantized slice.
      if (c.filtersPerGroup !== c.outputDepth) {
        throw new KernelError(node, 'grouped hybrid convolutions are not supported');
      }
      const perBatch = c.inputHeight * c.inputWidth * c.inputDepth;
      const b = optionalInput(node, 2);
      const scheme = 'per-channel-asymmetric';
      const h = prepareHybrid(node, ctx, w, b, c.outputDepth, c.batches, perBatch, scheme);
      if (!hybridGemmUsable(ctx, w, b)) return { kind: 'hybrid', p: c, h };
      const gemm = prepareHybridGemm(
        ctx,
        c.outputDepth,
        c.filterHeight * c.filterWidth * c.inputDepth,
      );
      const pointwise =
        c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 && c.strideWidth === 1;
      if (pointwise) return { kind: 'hybrid', p: c, h, gemm };
      const col = ctx.requestSimdScratch('int8', c.outputWidth * gemm.depth8);
      return { kind: 'hybrid', p: c, h, gemm, col };
    }
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      const [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
      const p = { ...c, activationMin, activationMax };
      const bias = optionalInput(node, 2);
      const oneGroup = c.filtersPerGroup === c.outputDepth;
      if (!oneGroup || !floatSimdUsable(ctx, x, w, bias, c.outputDepth, false))
        return { kind: 'float', p };
      const depth = c.filterHeight * c.filterWidth * c.inputDepth;
      const s = prepareFloatSimd(ctx, c.outputDepth, depth, activationMin, activationMax);
      const pointwise =
        c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 && c.strideWidth === 1;
      const scratch = pointwise ? -1 : ctx.requestSimdScratch('float32', c.outputWidth * depth);
      return { kind: 'float', p, simd: { s, pointwise, scratch } };
    }
    const p = prepareQuantized(node, c);
    if (!ctx.simd || x.type !== 'int8' || c.filtersPerGroup !== c.outputDepth) {
      return { kind: 'quantized', p };
    }
    const depth = c.filterHeight * c.filterWidth * c.inputDepth;
    const gemm = prepareSimdGemm(ctx, c.outputDepth, depth);
    const pointwise =
      c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 && c.strideWidth === 1;
    const scratch = pointwise ? -1 : ctx.requestSimdScratch('int8', c.outputWidth * gemm.depth8);
    return { kind: 'quantized', p, simd: { gemm, pointwise, scratch } };
  },
  bind(node, data, simd) {
    if (data.kind === 'hybrid' && data.gemm) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      bindHybridGemm(data.gemm, simd, node.inputs[1]!.data as Int8Array, b);
    }
    if (data.kind === 'float' && data.simd) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      bindFloatGemm(data.simd.s, simd, node.inputs[1]!.data as Float32Array, b);
    }
    if (data.kind !== 'quantized' || !data.simd) return;
    const p = data.p;
    bindSimdGemm(
      data.simd.gemm,
      simd,
      node.inputs[1]!.data as Int8Array,
      p.bias,
      p.outputMultiplier,
      p.outputShift,
      p.inputOffset,
    );
    data.simd.runtime = simd;
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const w = node.inputs[1]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'hybrid') {
      const q = node.scratch[data.h.scratch] as Int8Array;
      quantizeHybridInput(data.h, x as Float32Array, q);
      if (data.gemm?.runtime) {
        hybridConvSimd(data.p, data.h, data.gemm, node.scratch, data.col, q, y as Float32Array);
        return;
      }
      const bias = node.inputs[2];
      hybridConv(
        data.h,
        data.p,
        q,
        w as Int8Array,
        bias ? (bias.data as Float32Array) : null,
        y as Float32Array,
      );
    } else if (data.kind === 'float' && data.simd?.s.runtime) {
      convFloatSimd(data.p, data.simd, node.scratch, x as Float32Array, y as Float32Array);
    } else if (data.kind === 'float') {
      const bias = node.inputs[2];
      convFloat(
        data.p,
        x as Float32Array,
        w as Float32Array,
        bias ? (bias.data as Float32Array) : null,
        y as Float32Array,
      );
    } else if (data.simd?.runtime) {
      convSimd(data.p, data.simd, node.scratch, x as Int8Array, y as Int8Array);
    } else {
      convQuantized(data.p, x as Int8Array, w as Int8Array, y as Int8Array);
    }
  },
};

function convSimd(
  p: ConvQuantParams,
  s: ConvSimd,
  scratch: unknown[],
  x: Int8Array,
  y: Int8Array,
): void {
  const rt = s.runtime!;
  const min = p.quantizedActivationMin;
  const max = p.quantizedActivationMax;
  if (s.pointwise) {
    const rows = p.batches * p.inputHeight * p.inputWidth;
    runSimdGemm(
      rt,
      s.gemm,
      x.byteOffset,
      p.inputDepth,
      rows,
      p.outputOffset,
      min,
      max,
      y.byteOffset,
    );
    return;
  }
  const col = scratch[s.scratch] as Int8Array;
  const rowBytes = p.outputWidth * p.outputDepth;
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      // One output row's receptive fields, taps outside the image as the zero point.
      im2colInt8(rt, p, x.byteOffset + b * inBatch, oy, col, s.gemm.depth8, -p.inputOffset);
      const out = y.byteOffset + (b * p.outputHeight + oy) * rowBytes;
      runSimdGemm(
        rt,
        s.gemm,
        col.byteOffset,
        s.gemm.depth8,
        p.outputWidth,
        p.outputOffset,
        min,
        max,
        out,
      );
    }
  }
}

/** Hybrid convolution on gemm_hybrid: the quantized input in place (1x1 stride 1) or im2col rows. */
function hybridConvSimd(
  p: ConvParams,
  h: HybridData,
  g: HybridGemm,
  scratch: unknown[],
  colSlot: number | undefined,
  q: Int8Array,
  y: Float32Array,
): void {
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth;
  const rowBytes = p.outputWidth * p.outputDepth * 4;
  for (let b = 0; b < p.batches; b++) {
    if (colSlot === undefined) {
      const rows = p.inputHeight * p.inputWidth;
      runHybridGemm(
        g,
        h,
        b,
        q.byteOffset + b * inBatch,
        p.inputDepth,
        rows,
        y.byteOffset + b * rows * p.outputDepth * 4,
      );
      continue;
    }
    const col = scratch[colSlot] as Int8Array;
    for (let oy = 0; oy < p.outputHeight; oy++) {
      // taps outside the image hold the batch's zero point: (q - zero point) adds 0
      im2colInt8(g.runtime!, p, q.byteOffset + b * inBatch, oy, col, g.depth8, h.inputOffset[b]);
      const out = y.byteOffset + (b * p.outputHeight + oy) * rowBytes;
      runHybridGemm(g, h, b, col.byteOffset, g.depth8, p.outputWidth, out);
    }
  }
}

/** wasm im2col_int8: output row `oy`'s receptive fields into `col` (rows of depth8), outside taps = `fill`. */
export function im2colInt8(
  rt: SimdRuntime,
  p: ConvGeometry,
  input: number,
  oy: number,
  col: Int8Array,
  depth8: number,
  fill: number,
): void {
  rt.kernels.im2col(
    input,
    p.inputHeight,
    p.inputWidth,
    p.inputDepth,
    p.filterHeight,
    p.filterWidth,
    p.strideWidth,
    p.dilationHeight,
    p.dilationWidth,
    oy * p.strideHeight - p.padHeight,
    p.padWidth,
    p.outputWidth,
    col.byteOffset,
    depth8,
    fill,
  );
}
