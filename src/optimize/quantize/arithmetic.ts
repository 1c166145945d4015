/**
 * The arithmetic of TFLite quantization: real = scale × (q − zeroPoint)
 * (TFLite 8-bit quantization specification,
 * https://www.tensorflow.org/lite/performance/quantization_spec).
 *
 * Scales are stored in the file as float32, and every kernel reads them as
 * float32, so they are computed here in float32 steps (Math.fround) as TF's
 * quantizer computes them in C++ `float`; anything derived from a scale (a
 * bias scale, a quantized weight) uses the stored float32 value.
 */

export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/** Integer range of a quantized type. Weights use the narrow range [-127, 127] (spec). */
export const INT8 = { min: -128, max: 127 } as const;
export const INT8_NARROW = { min: -127, max: 127 } as const;
export const INT16 = { min: -32768, max: 32767 } as const;
export const INT32 = { min: -2147483648, max: 2147483647 } as const;

/**
 * Rounds half away from zero, as C's round() (TfLiteRound) does; Math.round
 * rounds -2.5 to -2 where the reference kernels and TF's quantizer give -3.
 */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Asymmetric (activation) parameters for a calibrated range [min, max],
 * after TF's GetAsymmetricQuantizationParams (lite/tools/optimize/
 * quantization_utils.cc): the range is first widened to contain 0, so that
 * zero is exactly representable (q = zeroPoint, the spec requires it for
 * zero padding and ReLU), then scale = (max − min) / (qmax − qmin) and the
 * zero point is qmin − min / scale rounded and clamped to [qmin, qmax].
 *
 * A range of width 0 (a tensor that was always 0) gets scale 1: any scale
 * represents 0 exactly, and kernels divide by the scale.
 */
export function asymmetricParams(
  min: number,
  max: number,
  range: { min: number; max: number } = INT8,
): QuantParams {
  const lo = Math.fround(Math.min(min, 0));
  const hi = Math.fround(Math.max(max, 0));
  // float32 subtraction, then float32 division, as TF computes it in C++.
  let scale = Math.fround(Math.fround(hi - lo) / (range.max - range.min));
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const zeroFromMin = Math.fround(range.min - Math.fround(lo / scale));
  const zeroPoint = clamp(roundHalfAway(zeroFromMin), range.min, range.max);
  return { scale, zeroPoint };
}

/**
 * Symmetric parameters (zero point 0): scale = max(|min|, |max|) / qmax, as
 * TF's quantizer does for weights (qmax 127) and for int16 activations in
 * the 16x8 scheme (qmax 32767). Width-0 ranges get scale 1 (see above).
 */
export function symmetricParams(min: number, max: number, qmax: number): QuantParams {
  const absMax = Math.fround(Math.max(Math.abs(min), Math.abs(max)));
  let scale = Math.fround(absMax / qmax);
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  return { scale, zeroPoint: 0 };
}

/** q = round(x / scale) + zeroPoint, clamped to the range. */
export function quantizeValue(
  x: number,
  p: QuantParams,
  range: { min: number; max: number },
): number {
  return clamp(roundHalfAway(x / p.scale) + p.zeroPoint, range.min, range.max);
}

export function dequantizeValue(q: number, p: QuantParams): number {
  return p.scale * (q - p.zeroPoint);
}

// float32 <-> float16 bit conversion through a shared scratch word.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite float16 (2^15 × (2 − 2^-10)). */
export const FLOAT16_MAX = 65504;

/**
 * The IEEE 754 binary16 bits of x, rounded to nearest even. Values beyond
 * ±65504 are clamped to ±65504 first, as TF's float16 weight quantizer does
 * (lite/tools/optimize/quantization_utils.cc, QuantizeTensorFloat16), so a
 * large weight never becomes infinity; NaN stays NaN.
 */
export function float16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  f32[0] = clamp(x, -FLOAT16_MAX, FLOAT16_MAX);
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  // Rebias the exponent from float32 (127) to float16 (15).
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // unreachable after the clamp; kept for safety
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Round to nearest even; a carry into the exponent is the correct result.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The value of binary16 bits. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
