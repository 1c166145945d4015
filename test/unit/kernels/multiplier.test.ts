/**
 * TFLite's fixed-point rescaling, checked against a BigInt transcription of
 * the reference definitions (gemmlowp fixedpoint.h, TFLite
 * kernels/internal/common.cc and quantization_util.cc, double-rounding build):
 * plain 64-bit integer arithmetic, written independently of the fast paths
 * under test, on seeded random and edge values.
 */
import { strict as assert } from 'node:assert';
import {
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../../../src/runtime/quant/fixed-point';
import {
  frexp,
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
  quantizeMultiplier,
} from '../../../src/runtime/quant/multiplier';
import { roundHalfAway } from '../../../src/runtime/quant/rounding';
import { mulberry32 } from '../../../src/model/random';

const MIN = -2147483648;
const MAX = 2147483647;

/** C++ int64 division truncates towards zero; so does BigInt division. */
function srdhmRef(a: number, b: number): number {
  if (a === MIN && b === MIN) return MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number(BigInt.asIntN(32, (ab + nudge) / (1n << 31n)));
}

function rdbpotRef(x: number, exponent: number): number {
  const mask = (1n << BigInt(exponent)) - 1n;
  const bx = BigInt(x);
  const remainder = bx & mask;
  const threshold = (mask >> 1n) + (bx < 0n ? 1n : 0n);
  return Number((bx >> BigInt(exponent)) + (remainder > threshold ? 1n : 0n));
}

function mbqmRef(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const shifted = Number(BigInt.asIntN(32, BigInt(x) * (1n << BigInt(left))));
  return rdbpotRef(srdhmRef(shifted, multiplier), right);
}

function mbqm64Ref(x: number, multiplier: number, shift: number): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff;
  const totalShift = BigInt(15 - shift);
  const result = (BigInt(x) * BigInt(reduced) + (1n << (totalShift - 1n))) >> totalShift;
  return Number(BigInt.asIntN(32, result));
}

const rand = mulberry32(20240611);
const int32 = () => (Math.floor(rand() * 2 ** 32) - 2 ** 31) | 0;
const EDGES = [
  MIN,
  MIN + 1,
  -65536,
  -65535,
  -32769,
  -2,
  -1,
  0,
  1,
  2,
  32767,
  65535,
  65536,
  MAX - 1,
  MAX,
];

describe('fixed-point rescaling (TFLite double-rounding build)', () => {
  it('SaturatingRoundingDoublingHighMul equals the 64-bit definition', () => {
    for (const a of EDGES)
      for (const b of EDGES)
        assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmRef(a, b), `${a} * ${b}`);
    for (let i = 0; i < 20000; i++) {
      const a = i % 3 === 0 ? int32() >> Math.floor(rand() * 31) : int32();
      const b = int32();
      assert.equal(saturatingRoundingDoublingHighMul(a, b), srdhmRef(a, b), `${a} * ${b}`);
    }
  });

  it('RoundingDivideByPOT rounds half away from zero for every exponent 0..31', () => {
    for (let exponent = 0; exponent <= 31; exponent++) {
      for (const x of EDGES)
        assert.equal(
          roundingDivideByPOT(x, exponent),
          rdbpotRef(x, exponent),
          `${x} >> ${exponent}`,
        );
      for (let i = 0; i < 300; i++) {
        const x = int32();
        assert.equal(
          roundingDivideByPOT(x, exponent),
          rdbpotRef(x, exponent),
          `${x} >> ${exponent}`,
        );
      }
    }
    assert.equal(roundingDivideByPOT(3, 1), 2); // 1.5 -> 2
    assert.equal(roundingDivideByPOT(-3, 1), -2); // -1.5 -> -2
    assert.equal(roundingDivideByPOT(-5, 2), -1); // -1.25 -> -1
  });

  it('MultiplyByQuantizedMultiplier (int32) equals the definition for shifts -31..30', () => {
    for (let i = 0; i < 20000; i++) {
      const multiplier = (1 << 30) + Math.floor(rand() * 2 ** 30);
      const shift = -31 + Math.floor(rand() * 62);
      // Accumulators of real kernels are well inside int32; also try full-range values.
      const x = i % 2 ? int32() : int32() >> (10 + Math.floor(rand() * 20));
      assert.equal(
        multiplyByQuantizedMultiplier(x, multiplier, shift),
        mbqmRef(x, multiplier, shift),
        `${x} ${multiplier} ${shift}`,
      );
    }
    // 100 * 0.5 = 50; 3 * 0.5 = 1.5 rounds up; -3 * 0.5 = -1.5 rounds (twice) to -1... and -2:
    assert.equal(multiplyByQuantizedMultiplier(100, 1 << 30, 0), 50);
    assert.equal(multiplyByQuantizedMultiplier(3, 1 << 30, 0), 2);
    assert.equal(multiplyByQuantizedMultiplier(-3, 1 << 30, 0), mbqmRef(-3, 1 << 30, 0));
  });

  it('MultiplyByQuantizedMultiplier (int64 accumulator) equals the definition', () => {
    for (let i = 0; i < 20000; i++) {
      const multiplier = (1 << 30) + Math.floor(rand() * 2 ** 30);
      const shift = -31 + Math.floor(rand() * 38); // TFLM: -31 <= shift < 8
      const magnitude = 2 ** Math.floor(rand() * 47); // TFLM: |x| < 2^47
      const x = Math.floor((rand() * 2 - 1) * magnitude);
      assert.equal(
        multiplyByQuantizedMultiplier64(x, multiplier, shift),
        mbqm64Ref(x, multiplier, shift),
        `${x} ${multiplier} ${shift}`,
      );
    }
    // Multipliers at or above 0x7FFF0000 reduce to 0x7FFF, not 0x8000.
    assert.equal(
      multiplyByQuantizedMultiplier64(1 << 20, 0x7fffffff, 0),
      mbqm64Ref(1 << 20, 0x7fffffff, 0),
    );
  });

  it('QuantizeMultiplier gives TFLite significands and shifts', () => {
    assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
    assert.deepEqual(quantizeMultiplier(1), { multiplier: 1 << 30, shift: 1 });
    assert.deepEqual(quantizeMultiplier(0.25), { multiplier: 1 << 30, shift: -1 });
    // quantization_util_test.cc IntegerFrExp: 123.45 -> 2071147315, 7.
    assert.deepEqual(quantizeMultiplier(123.45), { multiplier: 2071147315, shift: 7 });
    // A fraction that rounds up to 2^31 moves to the next power of two.
    assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1 << 30, shift: 1 });
    // Below 2^-32 every bit would be shifted out: flushed to zero.
    assert.deepEqual(quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 });
    for (let i = 0; i < 5000; i++) {
      const m = Math.exp((rand() - 0.7) * 40);
      const { multiplier, shift } = quantizeMultiplier(m);
      const [q, e] = frexp(m);
      const expected = roundHalfAway(q * 2 ** 31);
      const carry = expected === 2 ** 31;
      if ((carry ? e + 1 : e) < -31) {
        assert.deepEqual({ multiplier, shift }, { multiplier: 0, shift: 0 });
        continue;
      }
      assert.equal(multiplier, carry ? 2 ** 30 : expected);
      assert.equal(shift, carry ? e + 1 : e);
      assert.ok(Math.abs(multiplier * 2 ** (shift - 31) - m) <= m * 2 ** -30);
    }
  });

  it('frexp splits doubles exactly, subnormals included', () => {
    for (const x of [1, 0.5, 3, -7.25, 1e-300, 5e-324, 1.7976931348623157e308, 2 ** -1074 * 3]) {
      const [f, e] = frexp(x);
      assert.ok(Math.abs(f) >= 0.5 && Math.abs(f) < 1, `${x}: ${f}`);
      // ldexp in two steps so neither overflows nor underflows early
      const half = Math.trunc(e / 2);
      assert.equal(f * 2 ** half * 2 ** (e - half), x);
    }
  });
});
