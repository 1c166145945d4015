/**
 * Rounding and float32 helpers shared by the quantized kernels.
 *
 * TFLite rounds with TfLiteRound (tensorflow/lite/kernels/internal/cppmath.h),
 * which is std::round: half away from zero. JavaScript's Math.round rounds
 * half towards +infinity, so -2.5 would give -2 instead of -3.
 *
 * Many TFLM prepare() functions compute in C++ `float` (e.g. the product of two
 * scales before it is widened to double); Math.fround after each such step
 * reproduces those values to the bit, because one float32 operation computed
 * in double and then rounded to float32 equals the float32 operation
 * (double has more than 2 * 24 + 2 bits of significand).
 */

/** std::round: round half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** C++ `(float)x`. */
export const f32 = Math.fround;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** Integer range of a quantized tensor type. */
export function typeRange(type: string): [number, number] {
  switch (type) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int16':
      return [-32768, 32767];
    case 'int32':
      return [INT32_MIN, INT32_MAX];
    default:
      throw new Error(`type ${type} has no integer range`);
  }
}
