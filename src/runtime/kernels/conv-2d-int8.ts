/**
 * int8 CONV_2D on WebAssembly SIMD (gemm-simd.ts, wasm/int8-kernels.ts
 * gemm_int8), one group: a 1x1 stride-1 convolution is a gemm over the input
 * pixels in place; others copy each output row's receptive fields first
 * (im2col_int8), taps outside the image written as the input's zero point.
 */
import type { PrepareContext } from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { isPointwise, type ConvGeometry } from './conv-params';
import type { ConvQuantParams } from './conv-2d-quantized';
import { bindSimdGemm, prepareSimdGemm, runSimdGemm, type SimdGemm } from './gemm-simd';

export interface ConvInt8Simd {
  gemm: SimdGemm;
  /** 1x1 stride 1: the input rows are the gemm rows; else im2col per output row. */
  pointwise: boolean;
  /** Index of the im2col scratch buffer in node.scratch. */
  scratch: number;
  runtime?: SimdRuntime;
}

/** The SIMD plan of an int8 convolution, or undefined when it takes the reference loop. */
export function prepareConvInt8Simd(
  ctx: PrepareContext,
  p: ConvQuantParams,
): ConvInt8Simd | undefined {
  if (!ctx.simd || p.filtersPerGroup !== p.outputDepth) return undefined;
  const depth = p.filterHeight * p.filterWidth * p.inputDepth;
  const gemm = prepareSimdGemm(ctx, p.outputDepth, depth);
  const pointwise = isPointwise(p);
  const scratch = pointwise ? -1 : ctx.requestSimdScratch('int8', p.outputWidth * gemm.depth8);
  return { gemm, pointwise, scratch };
}

export function bindConvInt8Simd(
  s: ConvInt8Simd,
  p: ConvQuantParams,
  simd: SimdRuntime,
  w: Int8Array,
): void {
  bindSimdGemm(s.gemm, simd, w, p.bias, p.outputMultiplier, p.outputShift, p.inputOffset);
  s.runtime = simd;
}

export function convInt8Simd(
  p: ConvQuantParams,
  s: ConvInt8Simd,
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

/** wasm im2col_int8: output row `oy`'s receptive fields into `col` (rows of depth8), outside taps = `fill`. */
export function im2colInt8(
  rt: SimdRuntime,
  p: ConvGeometry,
  input: number,
  oy: number,
  col: ArrayBufferView,
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
