/**
 * Hybrid (dynamic-range) DEPTHWISE_CONV_2D: float input and output, int8
 * filter, the input quantized per batch image (hybrid.ts). dw_hybrid rows for
 * depth multiplier 1; gemm_hybrid over im2col rows for a one-channel input.
 */
import { input, optionalInput, type NodeContext, type PrepareContext } from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';
import type { DepthwiseParams } from './conv-params';
import { im2colInt8 } from './conv-2d-int8';
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

export interface DepthwiseHybridData {
  kind: 'hybrid';
  p: DepthwiseParams;
  h: HybridData;
  simd?: HybridDepthwise;
  /** A one-channel input: gemm_hybrid over im2col rows (scratch slot `col`). */
  gemm?: HybridGemm;
  col?: number;
}

export function prepareDepthwiseHybrid(
  node: NodeContext,
  ctx: PrepareContext,
  d: DepthwiseParams,
): DepthwiseHybridData {
  // always per channel, asymmetric per batch image
  const w = input(node, 1);
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
  const simd = prepareHybridDepthwise(ctx, d.outputDepth, taps);
  return { kind: 'hybrid', p: d, h, simd };
}

export function bindDepthwiseHybrid(
  node: NodeContext,
  data: DepthwiseHybridData,
  simd: SimdRuntime,
): void {
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  const w = node.inputs[1]!.data as Int8Array;
  if (data.simd) bindHybridDepthwise(data.simd, simd, data.h, w, b);
  if (data.gemm) {
    // [1][fh][fw][channels] as gemm rows [channels][fh * fw]
    const { channels, depth } = data.gemm;
    const t = new Int8Array(channels * depth);
    for (let o = 0; o < channels; o++) {
      for (let k = 0; k < depth; k++) t[o * depth + k] = w[k * channels + o];
    }
    bindHybridGemm(data.gemm, simd, t, b);
  }
}

export function evalDepthwiseHybrid(node: NodeContext, data: DepthwiseHybridData): void {
  const x = node.inputs[0]!.data as Float32Array;
  const y = node.outputs[0].data as Float32Array;
  const q = node.scratch[data.h.scratch] as Int8Array;
  quantizeHybridInput(data.h, x, q);
  if (data.simd?.runtime) {
    runHybridDepthwise(data.simd, data.h, data.p, q, y);
    return;
  }
  if (data.gemm?.runtime) {
    const col = node.scratch[data.col!] as Int8Array;
    hybridOneChannelSimd(data.p, data.h, data.gemm, col, q, y);
    return;
  }
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  hybridDepthwise(data.h, data.p, q, node.inputs[1]!.data as Int8Array, b, y);
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
