/**
 * int16 x int8 ("16x8") CONV_2D with an int64 bias on WebAssembly SIMD
 * (gemm16-simd.ts): per output row, im2col of the int16 input (the int8
 * im2col moving bytes, two per value, taps outside the image 0: int16 zero
 * points are 0), then gemm_i16 and requant_i16 into the int16 output row; a
 * 1x1 stride-1 convolution reads the input row in place. One group only, and
 * only where gemm16-simd.ts finds the arithmetic exact; else the reference
 * loop (conv-2d-quantized.ts).
 */
import type { PrepareContext } from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { isPointwise, type ConvGeometry } from './conv-params';
import { im2colInt8 } from './conv-2d-int8';
import type { ConvQuantParams } from './conv-2d-quantized';
import { bindSimdGemm16, prepareSimdGemm16, runSimdGemm16, type SimdGemm16 } from './gemm16-simd';

export interface ConvInt16Simd {
  gemm: SimdGemm16;
  pointwise: boolean;
  /** The geometry in bytes (two per channel) for the byte-moving im2col. */
  bytes: ConvGeometry;
  /** Scratch slot of the im2col rows (int16), unused when pointwise. */
  col: number;
}

/** The SIMD plan of an int16 convolution, or undefined when it takes the reference loop. */
export function prepareConvInt16Simd(
  ctx: PrepareContext,
  p: ConvQuantParams,
  w: Int8Array,
): ConvInt16Simd | undefined {
  if (!p.int64Accumulator || p.filtersPerGroup !== p.outputDepth) return undefined;
  const depth = p.filterHeight * p.filterWidth * p.inputDepth;
  const gemm = prepareSimdGemm16(
    ctx,
    w,
    depth,
    p.outputDepth,
    p.outputWidth,
    p.bias,
    p.outputMultiplier,
    p.outputShift,
  );
  if (!gemm) return undefined;
  const pointwise = isPointwise(p);
  const col = pointwise ? -1 : ctx.requestSimdScratch('int16', p.outputWidth * gemm.depth8);
  return { gemm, pointwise, bytes: { ...p, inputDepth: p.inputDepth * 2 }, col };
}

export function bindConvInt16Simd(
  s: ConvInt16Simd,
  p: ConvQuantParams,
  simd: SimdRuntime,
  w: Int8Array,
): void {
  bindSimdGemm16(s.gemm, simd, w, p.bias, p.outputMultiplier, p.outputShift);
}

export function convInt16Simd(
  p: ConvQuantParams,
  s: ConvInt16Simd,
  scratch: unknown[],
  x: Int16Array,
  y: Int16Array,
): void {
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth * 2;
  const inRow = p.inputWidth * p.inputDepth * 2;
  const outRow = p.outputWidth * p.outputDepth * 2;
  const col = s.pointwise ? null : (scratch[s.col] as Int16Array);
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      let rows = x.byteOffset + b * inBatch + oy * inRow;
      let stride = p.inputDepth * 2;
      if (col) {
        const rt = s.gemm.runtime!;
        im2colInt8(rt, s.bytes, x.byteOffset + b * inBatch, oy, col, 2 * s.gemm.depth8, 0);
        rows = col.byteOffset;
        stride = s.gemm.depth8 * 2;
      }
      const out = y.byteOffset + (b * p.outputHeight + oy) * outRow;
      const { quantizedActivationMin: min, quantizedActivationMax: max } = p;
      runSimdGemm16(s.gemm, scratch, rows, stride, p.outputWidth, min, max, out);
    }
  }
}
