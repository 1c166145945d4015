/**
 * float32 DEPTHWISE_CONV_2D (kernels/internal/reference/depthwiseconv_float.h):
 * the reference loop; dw_f32 rows (float-simd.ts) for depth multiplier 1; a
 * gemm over im2col rows for a one-channel input that every output channel reads.
 */
import {
  fusedActivation,
  input,
  optionalInput,
  type NodeContext,
  type PrepareContext,
} from '../kernel';
import { floatActivationRange } from '../quant/activation';
import type { DepthwiseParams } from './conv-params';
import { tapEnd, tapStart } from './padding';
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
import type { SimdRuntime } from '../wasm/simd-runtime';

export interface DepthwiseFloatParams extends DepthwiseParams {
  activationMin: number;
  activationMax: number;
}

export interface DepthwiseFloatData {
  kind: 'float';
  p: DepthwiseFloatParams;
  simd?: FloatSimd;
  /** A one-channel input: the im2col scratch slot of the gemm path. */
  im2col?: number;
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

export function prepareDepthwiseFloat(
  node: NodeContext,
  ctx: PrepareContext,
  d: DepthwiseParams,
): DepthwiseFloatData {
  const x = input(node, 0);
  const w = input(node, 1);
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
  const im2col = ctx.requestSimdScratch('float32', d.outputWidth * taps);
  return { kind: 'float', p, simd: s, im2col };
}

export function bindDepthwiseFloat(
  node: NodeContext,
  data: DepthwiseFloatData,
  simd: SimdRuntime,
): void {
  if (!data.simd) return;
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  const w = node.inputs[1]!.data as Float32Array;
  if (data.im2col === undefined) bindFloatDepthwise(data.simd, simd, w, b);
  else bindFloatDepthwiseAsGemm(data.simd, simd, w, b);
}

export function evalDepthwiseFloat(node: NodeContext, data: DepthwiseFloatData): void {
  const x = node.inputs[0]!.data as Float32Array;
  const y = node.outputs[0].data as Float32Array;
  if (data.simd?.runtime) {
    if (data.im2col === undefined) {
      depthwiseFloatSimd(data.p, data.simd, x, y);
    } else {
      const col = node.scratch[data.im2col] as Float32Array;
      depthwiseOneChannelSimd(data.p, data.simd, col, x, y);
    }
    return;
  }
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  depthwiseConvFloat(data.p, x, node.inputs[1]!.data as Float32Array, b, y);
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
