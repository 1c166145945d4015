/**
 * What LOGISTIC and TANH compute in prepare() for quantized inputs
 * (micro/kernels/logistic_common.cc, micro/kernels/tanh.cc).
 *
 * int8: the input (minus its zero point) is scaled into Q4.27 with a
 * multiplier from frexp(scale * 2^27) (rounded with std::round, not
 * QuantizeMultiplier); inputs beyond the radius floor(15 * 2^27 / 2^shift)
 * saturate the output without computing.
 * int16: a power-of-two input scale 2^-12 is used as is; otherwise the input
 * is multiplied by scale * 4096 * 3, doubled until it passes 32767 / 2, with a
 * matching right shift.
 */
import { frexp } from '../quant/multiplier';
import { f32, roundHalfAway } from '../quant/rounding';

export interface Int8SigmoidParams {
  inputZeroPoint: number;
  inputRangeRadius: number;
  inputMultiplier: number;
  inputLeftShift: number;
}

export interface Int16SigmoidParams {
  inputMultiplier: number;
  inputLeftShift: number;
}

const INT8_INPUT_INTEGER_BITS = 4;
const INT16_INPUT_INTEGER_BITS = 3;

/** TFLite CalculateInputRadius (quantization_util.cc). */
export function calculateInputRadius(
  inputIntegerBits: number,
  inputLeftShift: number,
  totalSignedBits = 31,
): number {
  return Math.floor(
    ((2 ** inputIntegerBits - 1) * 2 ** (totalSignedBits - inputIntegerBits)) / 2 ** inputLeftShift,
  );
}

/** TFLite CheckedLog2: the rounded log2 of x (in float) and whether x is a power of two. */
export function checkedLog2(x: number): [number, boolean] {
  const log2 = f32(f32(Math.log(f32(x))) * f32(1 / f32(Math.log(2))));
  const rounded = roundHalfAway(log2);
  return [rounded, Math.abs(f32(log2 - rounded)) < f32(1e-3)];
}

export function int8SigmoidParams(inputScale: number, inputZeroPoint: number): Int8SigmoidParams {
  const [q, shift] = frexp(inputScale * 2 ** (31 - INT8_INPUT_INTEGER_BITS));
  return {
    inputZeroPoint,
    inputMultiplier: roundHalfAway(q * 2147483648) | 0,
    inputLeftShift: shift,
    inputRangeRadius: calculateInputRadius(INT8_INPUT_INTEGER_BITS, shift),
  };
}

/** `tanh` accepts shifts 0 and 1 as powers of two; logistic only 0. */
export function int16SigmoidParams(inputScale: number, tanh: boolean): Int16SigmoidParams {
  const [log2, isPot] = checkedLog2(inputScale);
  let inputLeftShift = 15 - INT16_INPUT_INTEGER_BITS + log2;
  const pot = isPot && (inputLeftShift === 0 || (tanh && inputLeftShift === 1));
  if (pot) return { inputMultiplier: 0, inputLeftShift };
  let multiplier = inputScale * 4096 * 3;
  inputLeftShift = 0;
  while (multiplier <= 32767 / 2 && inputLeftShift <= 30) {
    inputLeftShift++;
    multiplier *= 2;
  }
  return { inputMultiplier: Math.trunc(multiplier), inputLeftShift };
}
