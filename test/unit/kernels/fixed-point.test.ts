/**
 * gemmlowp's fixed-point math functions (exp, 1/(1+x), logistic, tanh) as the
 * int8 SOFTMAX/LOGISTIC/TANH kernels use them: accurate to a few units in the
 * last place of Q0.31 and with gemmlowp's exact special values. Their bit
 * exactness against TFLM is checked through the kernels' recorded goldens
 * (interpreter-tflm.test.ts); these tests pin the math in isolation.
 */
import { strict as assert } from 'node:assert';
import {
  expOnNegativeValues,
  getReciprocalScale,
  logistic,
  oneOverOnePlusXForXIn01,
  tanh,
} from '../../../src/runtime/quant/fixed-point';
import { lutLookupInt16, populateInt16Lut } from '../../../src/runtime/quant/lut';
import { SIGMOID_TABLE_UINT16 } from '../../../src/runtime/quant/sigmoid-table';

const Q31 = 2 ** 31;

describe('gemmlowp fixed-point math', () => {
  it('exp_on_negative_values is within 2^-22 of exp on [-31, 0] (Q5.26 input)', () => {
    for (let v = -31; v <= 0; v += 0.0173) {
      const raw = Math.round(v * 2 ** 26);
      const got = expOnNegativeValues(raw, 5) / Q31;
      assert.ok(Math.abs(got - Math.exp(raw / 2 ** 26)) < 2 ** -22, `exp(${v}) = ${got}`);
    }
    assert.equal(expOnNegativeValues(0, 5), 2147483647); // exp(0) is One()
  });

  it('one_over_one_plus_x is within 2^-28 of 1 / (1 + x) on [0, 1)', () => {
    for (let x = 0; x < 1; x += 0.001) {
      const got = oneOverOnePlusXForXIn01(Math.floor(x * Q31)) / Q31;
      assert.ok(Math.abs(got - 1 / (1 + Math.floor(x * Q31) / Q31)) < 2 ** -28, `x=${x}: ${got}`);
    }
  });

  it('logistic and tanh are accurate, odd/complementary, and exact at 0', () => {
    for (let v = -15.9; v < 15.9; v += 0.0371) {
      const raw = Math.round(v * 2 ** 27); // Q4.27, as the int8 kernels feed them
      const x = raw / 2 ** 27;
      const l = logistic(raw, 4) / Q31;
      const t = tanh(raw, 4) / Q31;
      assert.ok(Math.abs(l - 1 / (1 + Math.exp(-x))) < 2 ** -22, `logistic(${x}) = ${l}`);
      assert.ok(Math.abs(t - Math.tanh(x)) < 2 ** -22, `tanh(${x}) = ${t}`);
      assert.ok(Math.abs(tanh(-raw, 4) + tanh(raw, 4)) <= 1);
    }
    assert.equal(logistic(0, 4), 1 << 30);
    assert.equal(tanh(0, 4), 0);
  });

  it('GetReciprocal gives 1 / x for sums in Q12.19', () => {
    for (const sum of [1, 1.5, 2, 3.999, 17.25, 1000]) {
      const raw = Math.round(sum * 2 ** 19);
      const scale = getReciprocalScale(raw) / Q31;
      const bitsOverUnit = 12 - Math.clz32(raw);
      assert.ok(Math.abs(scale / 2 ** bitsOverUnit - 1 / sum) < 1e-6 / sum, `1/${sum}`);
    }
  });

  it("TFLite's sigmoid table: sigmoid(i / 24) in 0.16, with its published values", () => {
    assert.equal(SIGMOID_TABLE_UINT16.length, 256);
    assert.equal(SIGMOID_TABLE_UINT16[0], 32768);
    assert.equal(SIGMOID_TABLE_UINT16[255], 65535);
    // Values quoted from kernels/internal/common.h; 4 is one above round(sigmoid(4/24) * 65536).
    assert.equal(SIGMOID_TABLE_UINT16[1], 33451);
    assert.equal(SIGMOID_TABLE_UINT16[4], 35493);
    for (let i = 0; i < 256; i++) {
      assert.ok(Math.abs(SIGMOID_TABLE_UINT16[i] - 65536 / (1 + Math.exp(-i / 24))) <= 1.5, `${i}`);
    }
  });

  it('int16 LUTs interpolate exp on [-10, 0] within 6 output steps (2 / 65535 each)', () => {
    const lut = populateInt16Lut(10 / 65535, 32767, 2 / 65535, 0, Math.exp);
    for (let v = -32768; v <= 32767; v += 97) {
      const x = (10 / 65535) * (v - 32767); // the input range maps to [-10, 0]
      const y = lutLookupInt16(v, lut) * (2 / 65535);
      assert.ok(Math.abs(y - Math.exp(x)) < 6 * (2 / 65535), `exp(${x}) = ${y}`);
    }
  });
});
