/**
 * The WebAssembly SIMD path shared by int16 x int8 ("16x8") CONV_2D and
 * FULLY_CONNECTED with an int64 bias (wasm/int16-kernels.ts): rows of int16
 * inputs times int8 weights widened to int16, exact int32 sums (gemm_i16) for
 * a block of rows into a scratch buffer, then TFLM's int64
 * MultiplyByQuantizedMultiplier per output (requant_i16) into the int16
 * output, equal to the reference (quant/multiplier.ts
 * multiplyByQuantizedMultiplier64).
 *
 * Taken only where that is exact, else the reference loop runs: every
 * channel's sum of |w| times 2^15 (the largest |x|) below 2^31, so the int32
 * sums never wrap; |bias| + 2^31 below 2^47 (TFLM's own assumption), so the
 * 64-bit product cannot overflow; and 15 - shift in [1, 62], so the rounding
 * term is an integer.
 */
import type { PrepareContext } from '../kernel';
import { REQUANT16_RECORD_BYTES } from '../wasm/int16-kernels';
import type { SimdRuntime } from '../wasm/simd-runtime';

export interface SimdGemm16 {
  depth: number;
  depth8: number;
  channels: number;
  channels4: number;
  /** Rows per run (the raw scratch holds rows x channels4 int32). */
  rows: number;
  /** Scratch slot of the raw int32 sums. */
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

/**
 * The plan of a gemm of `channels` x `depth` int8 weights ([channels][depth])
 * over up to `rows` rows per run, or undefined when it would not be exact.
 */
export function prepareSimdGemm16(
  ctx: PrepareContext,
  w: Int8Array,
  depth: number,
  channels: number,
  rows: number,
  bias: ArrayLike<number>,
  multiplier: ArrayLike<number>,
  shift: ArrayLike<number>,
): SimdGemm16 | undefined {
  if (!ctx.simd) return undefined;
  for (let o = 0; o < channels; o++) {
    let sum = 0;
    for (let k = 0; k < depth; k++) sum += Math.abs(w[o * depth + k]);
    if (sum * 2 ** 15 >= 2 ** 31) return undefined;
    if (!requantRecordFits(bias[o], multiplier[o], shift[o])) return undefined;
  }
  const depth8 = Math.ceil(depth / 8) * 8;
  const channels4 = Math.ceil(channels / 4) * 4;
  ctx.reservePersistent(channels4 * depth8 * 2);
  ctx.reservePersistent(channels * REQUANT16_RECORD_BYTES);
  const raw = ctx.requestSimdScratch('int32', rows * channels4);
  return { depth, depth8, channels, channels4, rows, raw, weights: 0, params: 0 };
}

/** Weights widened to int16 rows of depth8; records (bias, reduced multiplier, 2^(s-1), s) as i64. */
export function bindSimdGemm16(
  g: SimdGemm16,
  simd: SimdRuntime,
  w: Int8Array,
  bias: ArrayLike<number>,
  multiplier: ArrayLike<number>,
  shift: ArrayLike<number>,
): void {
  g.weights = simd.alloc(g.channels4 * g.depth8 * 2);
  const w16 = new Int16Array(simd.buffer, g.weights, g.channels4 * g.depth8);
  for (let o = 0; o < g.channels; o++) {
    for (let k = 0; k < g.depth; k++) w16[o * g.depth8 + k] = w[o * g.depth + k];
  }
  g.params = simd.alloc(g.channels * REQUANT16_RECORD_BYTES);
  const rec = new BigInt64Array(simd.buffer, g.params, g.channels * 4);
  for (let o = 0; o < g.channels; o++) {
    // as multiplyByQuantizedMultiplier64 (quant/multiplier.ts)
    const m = multiplier[o];
    const reduced = m < 0x7fff0000 ? (m + 32768) >> 16 : 0x7fff;
    const totalShift = 15 - shift[o];
    rec[o * 4] = BigInt(bias[o]);
    rec[o * 4 + 1] = BigInt(reduced);
    rec[o * 4 + 2] = 1n << BigInt(totalShift - 1);
    rec[o * 4 + 3] = BigInt(totalShift);
  }
  g.runtime = simd;
}

/** `rows` (at most g.rows) input rows at `input` (stride in bytes) into int16 output rows at `output`. */
export function runSimdGemm16(
  g: SimdGemm16,
  scratch: unknown[],
  input: number,
  inputStride: number,
  rows: number,
  min: number,
  max: number,
  output: number,
): void {
  const k = g.runtime!.kernels;
  const raw = (scratch[g.raw] as Int32Array).byteOffset;
  const rawStride = g.channels4 * 4;
  k.gemmI16(input, inputStride, rows, g.weights, g.depth8, g.channels, raw, rawStride);
  k.requantI16(raw, rows, g.channels, rawStride, g.params, min, max, output, g.channels * 2);
}
