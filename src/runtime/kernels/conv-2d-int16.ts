/**
 * int16 x int8 ("16x8") CONV_2D with an int64 bias on WebAssembly SIMD
 * (wasm/int16-kernels.ts): per output row, im2col of the int16 input (the
 * int8 im2col moving bytes, two per value, taps outside the image 0: int16
 * zero points are 0), gemm_i16 into exact int32 sums, then requant_i16, TFLM's
 * int64 MultiplyByQuantizedMultiplier, into the int16 output.
 *
 * Taken only where that is exact, else the reference loop runs
 * (conv-2d-quantized.ts): one group; every channel's sum of |w| times 2^15
 * (the largest |x|) below 2^31, so the int32 sums never wrap; |bias| + 2^31
 * below 2^47 (TFLM's own assumption), so the 64-bit product cannot overflow;
 * and 15 - shift in [1, 62], so the rounding term is an integer.
 */
import type { PrepareContext } from '../kernel';
import { REQUANT16_RECORD_BYTES } from '../wasm/int16-kernels';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { isPointwise, type ConvGeometry } from './conv-params';
import { im2colInt8 } from './conv-2d-int8';
import type { ConvQuantParams } from './conv-2d-quantized';

export interface ConvInt16Simd {
  depth: number;
  depth8: number;
  channels4: number;
  pointwise: boolean;
  /** The geometry in bytes (two per channel) for the byte-moving im2col. */
  bytes: ConvGeometry;
  /** Scratch slots: im2col rows (int16, unused when pointwise) and raw int32 sums. */
  col: number;
  raw: number;
  /** Pointers into the SIMD memory, set by bind(). */
  weights: number;
  params: number;
  runtime?: SimdRuntime;
}

function requantRecordFits(bias: number, multiplier: number, shift: number): boolean {
  const totalShift = 15 - shift;
  return (
    Math.abs(bias) + 2 ** 31 < 2 ** 47 && totalShift >= 1 && totalShift <= 62 && multiplier >= 0
  );
}

/** The SIMD plan of an int16 convolution, or undefined when it takes the reference loop. */
export function prepareConvInt16Simd(
  ctx: PrepareContext,
  p: ConvQuantParams,
  w: Int8Array,
): ConvInt16Simd | undefined {
  if (!ctx.simd || !p.int64Accumulator || p.filtersPerGroup !== p.outputDepth) return undefined;
  const depth = p.filterHeight * p.filterWidth * p.inputDepth;
  for (let o = 0; o < p.outputDepth; o++) {
    let sum = 0;
    for (let k = 0; k < depth; k++) sum += Math.abs(w[o * depth + k]);
    if (sum * 2 ** 15 >= 2 ** 31) return undefined;
    if (!requantRecordFits(p.bias[o], p.outputMultiplier[o], p.outputShift[o])) return undefined;
  }
  const depth8 = Math.ceil(depth / 8) * 8;
  const channels4 = Math.ceil(p.outputDepth / 4) * 4;
  ctx.reservePersistent(channels4 * depth8 * 2);
  ctx.reservePersistent(p.outputDepth * REQUANT16_RECORD_BYTES);
  const pointwise = isPointwise(p);
  const col = pointwise ? -1 : ctx.requestSimdScratch('int16', p.outputWidth * depth8);
  const raw = ctx.requestSimdScratch('int32', p.outputWidth * channels4);
  const bytes = { ...p, inputDepth: p.inputDepth * 2 };
  return { depth, depth8, channels4, pointwise, bytes, col, raw, weights: 0, params: 0 };
}

/** Weights widened to int16 rows of depth8; records (bias, reduced multiplier, 2^(s-1), s) as i64. */
export function bindConvInt16Simd(
  s: ConvInt16Simd,
  p: ConvQuantParams,
  simd: SimdRuntime,
  w: Int8Array,
): void {
  s.weights = simd.alloc(s.channels4 * s.depth8 * 2);
  const w16 = new Int16Array(simd.buffer, s.weights, s.channels4 * s.depth8);
  for (let o = 0; o < p.outputDepth; o++) {
    for (let k = 0; k < s.depth; k++) w16[o * s.depth8 + k] = w[o * s.depth + k];
  }
  s.params = simd.alloc(p.outputDepth * REQUANT16_RECORD_BYTES);
  const rec = new BigInt64Array(simd.buffer, s.params, p.outputDepth * 4);
  for (let o = 0; o < p.outputDepth; o++) {
    // as multiplyByQuantizedMultiplier64 (quant/multiplier.ts)
    const m = p.outputMultiplier[o];
    const reduced = m < 0x7fff0000 ? (m + 32768) >> 16 : 0x7fff;
    const totalShift = 15 - p.outputShift[o];
    rec[o * 4] = BigInt(p.bias[o]);
    rec[o * 4 + 1] = BigInt(reduced);
    rec[o * 4 + 2] = 1n << BigInt(totalShift - 1);
    rec[o * 4 + 3] = BigInt(totalShift);
  }
  s.runtime = simd;
}

export function convInt16Simd(
  p: ConvQuantParams,
  s: ConvInt16Simd,
  scratch: unknown[],
  x: Int16Array,
  y: Int16Array,
): void {
  const k = s.runtime!.kernels;
  const raw = (scratch[s.raw] as Int32Array).byteOffset;
  const rawStride = s.channels4 * 4;
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth * 2;
  const inRow = p.inputWidth * p.inputDepth * 2;
  const outRow = p.outputWidth * p.outputDepth * 2;
  const col = s.pointwise ? null : (scratch[s.col] as Int16Array);
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < p.outputHeight; oy++) {
      let rows = x.byteOffset + b * inBatch + oy * inRow;
      let stride = p.inputDepth * 2;
      if (col) {
        im2colInt8(s.runtime!, s.bytes, x.byteOffset + b * inBatch, oy, col, 2 * s.depth8, 0);
        rows = col.byteOffset;
        stride = s.depth8 * 2;
      }
      k.gemmI16(rows, stride, p.outputWidth, s.weights, s.depth8, p.outputDepth, raw, rawStride);
      const out = y.byteOffset + (b * p.outputHeight + oy) * outRow;
      k.requantI16(
        raw,
        p.outputWidth,
        p.outputDepth,
        rawStride,
        s.params,
        p.quantizedActivationMin,
        p.quantizedActivationMax,
        out,
        p.outputDepth * 2,
      );
    }
  }
}
