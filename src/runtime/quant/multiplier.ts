/**
 * Fixed-point rescaling as TFLite Micro does it (tensorflow/lite/kernels/
 * internal/quantization_util.cc and common.cc).
 *
 * A real multiplier M > 0 becomes an int32 significand q in [2^30, 2^31) and a
 * power-of-two shift with M = q * 2^(shift - 31) (QuantizeMultiplier). Kernels
 * then compute x * M with MultiplyByQuantizedMultiplier. TFLM has two variants
 * selected by TFLITE_SINGLE_ROUNDING; no TFLM build defines it (the checkout at
 * ../ref/tflm sets it nowhere, so `#if TFLITE_SINGLE_ROUNDING` is false), hence
 * the reference kernels use the double-rounding variant, implemented here:
 * RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^left, q), right).
 */
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from './fixed-point';
import { roundHalfAway } from './rounding';

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

const FRAC_VIEW = new DataView(new ArrayBuffer(8));

/**
 * std::frexp: x = fraction * 2^exponent with |fraction| in [0.5, 1), exactly,
 * by reading the IEEE-754 exponent field (subnormals are normalised first).
 */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let scaled = x;
  let bias = 0;
  if (Math.abs(x) < 2.2250738585072014e-308) {
    scaled = x * 2 ** 64; // subnormal: make the exponent field meaningful
    bias = -64;
  }
  FRAC_VIEW.setFloat64(0, scaled);
  const hi = FRAC_VIEW.getUint32(0);
  const exponent = ((hi >>> 20) & 0x7ff) - 1022;
  // Replace the exponent field by 1022 (2^-1): the fraction in [0.5, 1).
  FRAC_VIEW.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [FRAC_VIEW.getFloat64(0), exponent + bias];
}

/** TFLite QuantizeMultiplier (double-rounding build). */
export function quantizeMultiplier(realMultiplier: number): QuantizedMultiplier {
  if (realMultiplier === 0) return { multiplier: 0, shift: 0 };
  const [q, exponent] = frexp(realMultiplier);
  let shift = exponent;
  let qFixed = roundHalfAway(q * 2147483648);
  if (qFixed > 2147483648) {
    throw new RangeError(`quantizeMultiplier(${realMultiplier}): significand out of range`);
  }
  if (qFixed === 2147483648) {
    qFixed /= 2;
    shift++;
  }
  // Shifts below -31 would shift out every bit: TFLM flushes them to zero.
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/** TFLite QuantizeMultiplierSmallerThanOneExp: for 0 < M < 1, shift <= 0. */
export function quantizeMultiplierSmallerThanOneExp(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 0 && realMultiplier < 1)) {
    throw new RangeError(`multiplier ${realMultiplier} must be in (0, 1)`);
  }
  return quantizeMultiplier(realMultiplier);
}

/** TFLite QuantizeMultiplierGreaterThanOne: for M > 1, shift >= 0. */
export function quantizeMultiplierGreaterThanOne(realMultiplier: number): QuantizedMultiplier {
  if (!(realMultiplier > 1)) throw new RangeError(`multiplier ${realMultiplier} must exceed 1`);
  return quantizeMultiplier(realMultiplier);
}

/**
 * TFLite MultiplyByQuantizedMultiplier(int32 x, int32 q, int shift):
 * x * q * 2^(shift - 31), rounded twice as the double-rounding build does.
 * `x * (1 << left)` wraps in int32 like the C++ does in practice.
 */
export function multiplyByQuantizedMultiplier(
  x: number,
  multiplier: number,
  shift: number,
): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(
    saturatingRoundingDoublingHighMul(left > 0 ? Math.imul(x, 1 << left) : x, multiplier),
    right,
  );
}

/** TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0). */
export function multiplyByQuantizedMultiplierSmallerThanOneExp(
  x: number,
  multiplier: number,
  shift: number,
): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/** TFLite MultiplyByQuantizedMultiplierGreaterThanOne (shift >= 0). */
export function multiplyByQuantizedMultiplierGreaterThanOne(
  x: number,
  multiplier: number,
  shift: number,
): number {
  return saturatingRoundingDoublingHighMul(Math.imul(x, 1 << shift), multiplier);
}

const TWO_POW_52 = 4503599627370496;

/**
 * TFLite MultiplyByQuantizedMultiplier(int64 x, int32 q, int shift), used with
 * int64 accumulators (16x8 convolution and fully connected): q is reduced to
 * 16 bits, ((x * q16 + 2^(s - 1)) >> s) with s = 15 - shift, then truncated to
 * int32. `x` is an exact integer below 2^53 in magnitude (TFLM assumes
 * |x| < 2^47); products too large for a double go through BigInt.
 */
export function multiplyByQuantizedMultiplier64(
  x: number,
  multiplier: number,
  shift: number,
): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + 32768) >> 16 : 0x7fff;
  const totalShift = 15 - shift;
  const round = 2 ** (totalShift - 1);
  const product = x * reduced;
  if (product > -TWO_POW_52 && product < TWO_POW_52) {
    return Math.floor((product + round) / 2 ** totalShift) | 0;
  }
  const big = (BigInt(x) * BigInt(reduced) + BigInt(round)) >> BigInt(totalShift);
  return Number(BigInt.asIntN(32, big));
}
