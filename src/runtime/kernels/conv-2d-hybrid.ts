/**
 * Hybrid (dynamic-range) CONV_2D: float input and output, int8 filter
 * (hybrid.ts). The input is quantized per batch image, then gemm_hybrid runs
 * over the quantized input in place (1x1 stride 1) or over im2col rows.
 */
import {
  input,
  KernelError,
  optionalInput,
  type NodeContext,
  type PrepareContext,
} from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { isPointwise, type ConvParams } from './conv-params';
import { im2colInt8 } from './conv-2d-int8';
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

export interface ConvHybridData {
  kind: 'hybrid';
  p: ConvParams;
  h: HybridData;
  gemm?: HybridGemm;
  col?: number;
}

export function prepareConvHybrid(
  node: NodeContext,
  ctx: PrepareContext,
  c: ConvParams,
): ConvHybridData {
  // The whole image of a batch is one quantized slice.
  if (c.filtersPerGroup !== c.outputDepth) {
    throw new KernelError(node, 'grouped hybrid convolutions are not supported');
  }
  const w = input(node, 1);
  const perBatch = c.inputHeight * c.inputWidth * c.inputDepth;
  const b = optionalInput(node, 2);
  const scheme = 'per-channel-asymmetric';
  const h = prepareHybrid(node, ctx, w, b, c.outputDepth, c.batches, perBatch, scheme);
  if (!hybridGemmUsable(ctx, w, b)) return { kind: 'hybrid', p: c, h };
  const depth = c.filterHeight * c.filterWidth * c.inputDepth;
  const gemm = prepareHybridGemm(ctx, c.outputDepth, depth);
  if (isPointwise(c)) return { kind: 'hybrid', p: c, h, gemm };
  const col = ctx.requestSimdScratch('int8', c.outputWidth * gemm.depth8);
  return { kind: 'hybrid', p: c, h, gemm, col };
}

export function bindConvHybrid(node: NodeContext, data: ConvHybridData, simd: SimdRuntime): void {
  if (!data.gemm) return;
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  bindHybridGemm(data.gemm, simd, node.inputs[1]!.data as Int8Array, b);
}

export function evalConvHybrid(node: NodeContext, data: ConvHybridData): void {
  const x = node.inputs[0]!.data as Float32Array;
  const y = node.outputs[0].data as Float32Array;
  const q = node.scratch[data.h.scratch] as Int8Array;
  quantizeHybridInput(data.h, x, q);
  if (data.gemm?.runtime) {
    hybridConvSimd(data.p, data.h, data.gemm, node.scratch, data.col, q, y);
    return;
  }
  const bias = node.inputs[2];
  const b = bias ? (bias.data as Float32Array) : null;
  hybridConv(data.h, data.p, q, node.inputs[1]!.data as Int8Array, b, y);
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
