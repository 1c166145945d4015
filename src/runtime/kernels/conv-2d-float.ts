/**
 * float32 CONV_2D (kernels/internal/reference/conv.h): the reference loop, and
 * gemm_f32 (float-simd.ts) for one group: 1x1 stride-1 convolutions read the
 * input rows in place, others copy each output row's receptive fields first.
 */
import {
  fusedActivation,
  input,
  optionalInput,
  type NodeContext,
  type PrepareContext,
} from '../kernel';
import { floatActivationRange } from '../quant/activation';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { isPointwise, type ConvParams } from './conv-params';
import { tapEnd, tapStart } from './padding';
import {
  bindFloatGemm,
  floatSimdUsable,
  prepareFloatSimd,
  im2colFloat,
  runFloatGemm,
  type FloatSimd,
} from './float-simd';

export interface ConvFloatParams extends ConvParams {
  activationMin: number;
  activationMax: number;
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

interface ConvFloatSimd {
  s: FloatSimd;
  /** 1x1 stride 1: the input rows are the gemm rows; else im2col per output row. */
  pointwise: boolean;
  scratch: number;
}

export interface ConvFloatData {
  kind: 'float';
  p: ConvFloatParams;
  simd?: ConvFloatSimd;
}

export function prepareConvFloat(
  node: NodeContext,
  ctx: PrepareContext,
  c: ConvParams,
): ConvFloatData {
  const x = input(node, 0);
  const w = input(node, 1);
  const [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
  const p = { ...c, activationMin, activationMax };
  const bias = optionalInput(node, 2);
  const oneGroup = c.filtersPerGroup === c.outputDepth;
  if (!oneGroup || !floatSimdUsable(ctx, x, w, bias, c.outputDepth, false)) {
    return { kind: 'float', p };
  }
  const depth = c.filterHeight * c.filterWidth * c.inputDepth;
  const s = prepareFloatSimd(ctx, c.outputDepth, depth, activationMin, activationMax);
  const pointwise = isPointwise(c);
  const scratch = pointwise ? -1 : ctx.requestSimdScratch('float32', c.outputWidth * depth);
  return { kind: 'float', p, simd: { s, pointwise, scratch } };
}

export function bindConvFloat(node: NodeContext, data: ConvFloatData, simd: SimdRuntime): void {
  if (!data.simd) return;
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  bindFloatGemm(data.simd.s, simd, node.inputs[1]!.data as Float32Array, b);
}

export function evalConvFloat(node: NodeContext, data: ConvFloatData): void {
  const x = node.inputs[0]!.data as Float32Array;
  const y = node.outputs[0].data as Float32Array;
  if (data.simd?.s.runtime) {
    convFloatSimd(data.p, data.simd, node.scratch, x, y);
    return;
  }
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  convFloat(data.p, x, node.inputs[1]!.data as Float32Array, b, y);
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
