/**
 * gemmlowp's fixed-point arithmetic on int32 raw values (gemmlowp
 * fixedpoint/fixedpoint.h), which TFLite Micro's int8 SOFTMAX, LOGISTIC and
 * TANH reference kernels are built on. A FixedPoint<int32, IntegerBits> is a
 * raw int32 r standing for r / 2^(31 - IntegerBits); here the integer bits
 * are passed as arguments where gemmlowp has template parameters.
 *
 * Everything works on JavaScript numbers holding int32 values. Products of two
 * int32 are up to 2^62, beyond the 2^53 a double holds exactly, so
 * saturatingRoundingDoublingHighMul splits one factor into 16-bit halves when
 * the product is too large to be exact; every other step stays in int32 and
 * wraps like the C++ (`| 0`).
 */
import { INT32_MAX, INT32_MIN } from './rounding';

const TWO_POW_31 = 2147483648;
const TWO_POW_52 = 4503599627370496;

/**
 * gemmlowp SaturatingRoundingDoublingHighMul (ARM VQRDMULH): round(a * b / 2^31)
 * with the nudge (2^30, or 1 - 2^30 for negative products) and C++ division
 * truncating towards zero; -1 * -1 (INT32_MIN squared) saturates to INT32_MAX.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1073741824 : -1073741823;
  if (ab > -TWO_POW_52 && ab < TWO_POW_52) {
    // The product and the nudged sum are exact doubles; dividing by 2^31 only
    // changes the exponent, so truncation sees the exact quotient.
    return Math.trunc((ab + nudge) / TWO_POW_31) | 0;
  }
  return highMulExact(a, b, nudge);
}

/** The same for products beyond 2^52: a * b = a * bHi * 2^16 + a * bLo, each part exact. */
function highMulExact(a: number, b: number, nudge: number): number {
  const bLo = b & 0xffff;
  const bHi = (b - bLo) / 65536;
  const hi = a * bHi; // |hi| < 2^46
  const lo = a * bLo + nudge; // |lo| < 2^48
  // total = hi * 2^16 + lo = q * 2^31 + r with 0 <= r < 2^31
  const q1 = Math.floor(hi / 32768);
  const rem = (hi - q1 * 32768) * 65536 + lo;
  const q2 = Math.floor(rem / TWO_POW_31);
  const q = q1 + q2;
  const r = rem - q2 * TWO_POW_31;
  // floor -> truncation towards zero for a negative total with a remainder
  return (q < 0 && r !== 0 ? q + 1 : q) | 0;
}

/**
 * gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away
 * from zero (an arithmetic shift plus one when the remainder passes half).
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * gemmlowp SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating for a
 * positive exponent, rounding (roundingDivideByPOT) for a negative one.
 */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = (1 << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x << exponent;
}

/** gemmlowp Rescale<dst>(FixedPoint<src>): changes the integer bits, keeping the value. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/** gemmlowp RoundingHalfSum: (a + b) / 2 rounded to nearest (VRHADD). */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2) | 0;
}

/** FixedPoint<int32, integerBits>::One(). */
export function one(integerBits: number): number {
  return integerBits === 0 ? INT32_MAX : 1 << (31 - integerBits);
}

// Constants of gemmlowp's exp, logistic and tanh, as raw Q0.31 (or Q2.29) values.
const EXP_MINUS_ONE_EIGHTH = 1895147668; // exp(-1/8)
const ONE_THIRD = 715827883;
const FORTY_EIGHT_OVER_17 = 1515870810; // Q2.29
const MINUS_32_OVER_17 = -1010580540; // Q2.29
const ONE_Q2 = 1 << 29; // One() of Q2.29
// exp(-2^k) for k = -2..4 (EXP_BARREL_MULTIPLIER[k + 2]), applied by the
// barrel shifter of exp_on_negative_values.
const EXP_BARREL_MULTIPLIER = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242];

const mul = saturatingRoundingDoublingHighMul;

/** exp(a) for a in [-1/4, 0), a in Q0.31: a 4th-order Taylor expansion around -1/8. */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const x = (a + (1 << 28)) | 0;
  const x2 = mul(x, x);
  const x3 = mul(x2, x);
  const x4 = mul(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((mul((x4Over4 + x3) | 0, ONE_THIRD) + x2) | 0, 1);
  return (EXP_MINUS_ONE_EIGHTH + mul(EXP_MINUS_ONE_EIGHTH, (x + poly) | 0)) | 0;
}

/** exp(a) for a <= 0, a in Q(integerBits).(31 - integerBits); result in Q0.31. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusOneQuarter = ((a & mask) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
    rescale(aModQuarterMinusOneQuarter, integerBits, 0),
  );
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (let exponent = -2; exponent <= 4; exponent++) {
    if (integerBits > exponent) {
      const shift = fractionalBits + exponent;
      if ((remainder & (1 << shift)) !== 0)
        result = mul(result, EXP_BARREL_MULTIPLIER[exponent + 2]);
    }
  }
  if (integerBits > 5) {
    const clamp = -(1 << (36 - integerBits)); // -32.0
    if (a < clamp) result = 0;
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a in [0, 1) (Q0.31), by three Newton-Raphson steps in Q2.29. */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  let x = (FORTY_EIGHT_OVER_17 + mul(halfDenominator, MINUS_32_OVER_17)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = (ONE_Q2 - mul(halfDenominator, x)) | 0;
    x = (x + rescale(mul(x, oneMinusHalfDenominatorTimesX), 4, 2)) | 0;
  }
  // ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale<0>.
  return rescale(x, 1, 0);
}

/** (1 - a) / (1 + a) for a in [0, 1) (Q0.31). */
export function oneMinusXOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  let x = (FORTY_EIGHT_OVER_17 + mul(halfDenominator, MINUS_32_OVER_17)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = (ONE_Q2 - mul(halfDenominator, x)) | 0;
    x = (x + rescale(mul(x, oneMinusHalfDenominatorTimesX), 4, 2)) | 0;
  }
  return rescale((x - ONE_Q2) | 0, 2, 0);
}

/** gemmlowp logistic: 1 / (1 + exp(-a)), a in Q(integerBits), result in Q0.31. */
export function logistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30;
  const absInput = a > 0 ? a : -a | 0;
  const resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-absInput | 0, integerBits));
  return a > 0 ? resultIfPositive : (INT32_MAX - resultIfPositive) | 0;
}

/** gemmlowp tanh, a in Q(integerBits), result in Q0.31. */
export function tanh(a: number, integerBits: number): number {
  if (a === 0) return 0;
  const n = a < 0 ? a : -a | 0;
  // neg_tanh_on_negative_values: ExactMulByPot<1> reads the same raw value
  // with one more integer bit, i.e. exp(2n).
  const t = oneMinusXOverOnePlusXForXIn01(expOnNegativeValues(n, integerBits + 1));
  return a < 0 ? -t | 0 : t;
}

function saturate32(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x;
}

// Constants of TFLite's log_x_for_x_greater_than_or_equal_to_1, raw Q0.31.
const LOG_2 = 1488522236;
const SQRT_SQRT_HALF = 1805811301;
const SQRT_HALF = 1518500250;
const LOG_ALPHA_N = 117049297; // 11/240 * 2^(1/4)
const LOG_ALPHA_D = 127690142; // 1/20 * 2^(1/4)
const LOG_ALPHA_I = 1057819769; // 2 / 2^(1/4) - 2^(1/4)
const LOG_ALPHA_F = 638450708; // 1/4 * 2^(1/4)

/**
 * TFLite log_x_for_x_greater_than_or_equal_to_1 (kernels/internal/common.h):
 * ln(x) for x >= 1 in Q(inputIntegerBits), result in Q(outputIntegerBits).
 * x = 2^z * r with r in [sqrt(1/2), sqrt(2)) (the better of two
 * normalisations, one premultiplied by sqrt(1/2)), then z * ln 2 plus a
 * rational approximation of ln(r) around 2^(-1/4), accumulated with one more
 * integer bit. The left shifts here are gemmlowp's saturating ones.
 */
export function logXForXGreaterThanOrEqualTo1(
  x: number,
  inputIntegerBits: number,
  outputIntegerBits: number,
): number {
  const accumIntegerBits = outputIntegerBits + 1;
  const shiftedQuarter = rescale(1 << 29, 0, accumIntegerBits);
  const zaHeadroomPlus1 = Math.clz32(x);
  const raTmp = saturatingRoundingMultiplyByPOT(x, zaHeadroomPlus1 - 1);
  const raRaw = saturatingRoundingMultiplyByPOT(mul(raTmp, SQRT_HALF), 1);
  const zaPow2Adj = saturate32(
    saturatingRoundingMultiplyByPOT(inputIntegerBits - zaHeadroomPlus1, 31 - accumIntegerBits) +
      shiftedQuarter,
  );
  const zb = mul(x, SQRT_HALF);
  const zbHeadroom = Math.clz32(zb) - 1;
  const rbRaw = saturatingRoundingMultiplyByPOT(x, zbHeadroom);
  const zbPow2Adj = saturate32(
    saturatingRoundingMultiplyByPOT(inputIntegerBits - zbHeadroom, 31 - accumIntegerBits) -
      shiftedQuarter,
  );
  const r = Math.min(raRaw, rbRaw);
  const zPow2Adj = Math.max(zaPow2Adj, zbPow2Adj);

  const p = roundingHalfSum(r, SQRT_SQRT_HALF);
  let q = (r - SQRT_SQRT_HALF) | 0;
  q = (q + q) | 0;
  const commonSq = mul(q, q);
  const num = (mul(q, r) + mul(mul(q, commonSq), LOG_ALPHA_N)) | 0;
  const denomMinusOne =
    (mul(p, (((LOG_ALPHA_I + q) | 0) + mul(LOG_ALPHA_D, commonSq)) | 0) + mul(LOG_ALPHA_F, q)) | 0;
  const recipDenom = oneOverOnePlusXForXIn01(denomMinusOne);
  const numScaled = rescale(num, 0, accumIntegerBits);
  const sum = (mul(zPow2Adj, LOG_2) + mul(numScaled, recipDenom)) | 0;
  return rescale(sum, accumIntegerBits, outputIntegerBits);
}

/**
 * TFLite GetReciprocal (kernels/internal/common.h): 1 / x for a positive x in
 * Q(xIntegerDigits).(31 - xIntegerDigits), as a Q0.31 scale; the number of
 * bits above one, xIntegerDigits - clz32(x), is left to the caller (so no
 * tuple is allocated in the kernels' loops).
 */
export function getReciprocalScale(x: number): number {
  const headroomPlusOne = Math.clz32(x);
  const shiftedSumMinusOne = ((x << headroomPlusOne) - TWO_POW_31) | 0;
  return oneOverOnePlusXForXIn01(shiftedSumMinusOne);
}
