/**
 * Quantization arithmetic against facts: the scales and zero points TF's own
 * converter wrote into the reference models (which also store the min/max
 * they were computed from), IEEE 754 binary16 encodings, and the spec's
 * constraints on weights and biases.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { readModel } from '../../src/tflite/reader';
import {
  asymmetricParams,
  float16Bits,
  float16Value,
  roundHalfAway,
  symmetricParams,
} from '../../src/optimize/quantize/arithmetic';
import { quantizeBias, quantizeWeights } from '../../src/optimize/quantize/weights';
import { sharedModel } from '../helpers/paths';
import { mulberry32 } from '../../src/model/random';

describe('quantize arithmetic', () => {
  describe('parameters equal those of TF’s converter', () => {
    // micro_speech (TOCO) and keyword_scrambled keep the calibrated min/max
    // beside the scale and zero point TF derived from them.
    const tensors = ['micro_speech_quantized.tflite', 'keyword_scrambled_8bit.tflite'].flatMap(
      (file) => {
        const m = readModel(readFileSync(sharedModel(file)));
        return m.subgraphs[0].tensors
          .filter(
            (t) => t.type === 'int8' && t.quantization?.min && t.quantization.scale.length === 1,
          )
          .map((t) => ({ t, constant: m.buffers[t.buffer].data.length > 0 }));
      },
    );

    it('asymmetric activation parameters from min/max, bit for bit (24 tensors)', () => {
      const acts = tensors.filter((x) => !x.constant);
      assert.equal(acts.length, 24);
      for (const { t } of acts) {
        const q = t.quantization!;
        const p = asymmetricParams(q.min![0], q.max![0]);
        assert.equal(p.scale, q.scale[0], t.name);
        assert.equal(p.zeroPoint, q.zeroPoint[0], t.name);
      }
    });

    it('symmetric weight scales from min/max, bit for bit (19 tensors)', () => {
      const weights = tensors.filter((x) => x.constant);
      assert.equal(weights.length, 19);
      for (const { t } of weights) {
        const q = t.quantization!;
        assert.equal(symmetricParams(q.min![0], q.max![0], 127).scale, q.scale[0], t.name);
        assert.equal(q.zeroPoint[0], 0);
      }
    });
  });

  it('widens a range to contain zero and keeps zero exactly representable', () => {
    const p = asymmetricParams(2, 10); // treated as [0, 10]
    assert.equal(p.zeroPoint, -128);
    assert.equal(p.scale, Math.fround(10 / 255));
    const n = asymmetricParams(-5, -1); // treated as [-5, 0]
    assert.equal(n.zeroPoint, 127);
    // -1..1: zero point -128 + 127.5 = -0.5 rounds away from zero, as C's round().
    assert.equal(asymmetricParams(-1, 1).zeroPoint, -1);
    assert.deepEqual(asymmetricParams(0, 0), { scale: 1, zeroPoint: -128 });
  });

  it('rounds half away from zero like C round()', () => {
    assert.deepEqual(
      [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.4].map(roundHalfAway),
      [-3, -2, -1, 1, 2, 3, -0],
    );
  });

  it('encodes IEEE 754 binary16', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie to even: 0
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 ulps: even
      [1 + 2 ** -11, 0x3c00], // tie between 1 and 1+2^-10: even
      [1 + 3 * 2 ** -11, 0x3c02],
      [0, 0],
      [-0, 0x8000],
      [1e6, 0x7bff], // clamped to the largest finite half, as TF's quantizer does
      [-1e6, 0xfbff],
    ];
    for (const [x, bits] of cases) {
      assert.equal(float16Bits(x), bits, `${x} -> 0x${float16Bits(x).toString(16)}`);
    }
    assert.equal(float16Bits(NaN), 0x7e00);
    // Every half value round-trips, and a float rounds to the nearest half.
    for (let b = 0; b < 0x7c00; b += 7) assert.equal(float16Bits(float16Value(b)), b);
    const rand = mulberry32(5);
    for (let i = 0; i < 1000; i++) {
      const x = (rand() * 2 - 1) * 100;
      const h = float16Value(float16Bits(x));
      assert.ok(Math.abs(h - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${x} -> ${h}`);
    }
  });

  it('quantizes weights symmetric per channel into [-127, 127]', () => {
    // [out=3, in=4], channel 2 much larger than the others.
    const w = new Float32Array([0.1, -0.2, 0.05, 0, 1, 0.5, -0.25, 0, -30, 20, 10, 0]);
    const q = quantizeWeights(w, [3, 4], 0);
    assert.equal(q.scales.length, 3);
    assert.deepEqual(
      q.scales,
      [0.2, 1, 30].map((m) => Math.fround(m / 127)),
    );
    for (let c = 0; c < 3; c++) {
      const row = Array.from(q.values.slice(c * 4, c * 4 + 4));
      assert.equal(Math.max(...row.map(Math.abs)), 127, `channel ${c} uses the full range`);
      assert.equal(row[3], 0, 'zero stays exactly zero');
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(row[i] * q.scales[c] - w[c * 4 + i]) <= q.scales[c] / 2 + 1e-7);
      }
    }
    const perTensor = quantizeWeights(w, [3, 4], null);
    assert.deepEqual(perTensor.scales, [Math.fround(30 / 127)]);
    assert.equal(perTensor.values[0], 0, 'small weights vanish per tensor: why per channel helps');
  });

  it('quantizes depthwise weights along their last axis', () => {
    // [1, 1, 2, out=2]: channel values interleave in memory.
    const w = new Float32Array([1, 10, -1, -5]);
    const q = quantizeWeights(w, [1, 1, 2, 2], 3);
    assert.deepEqual(q.scales, [Math.fround(1 / 127), Math.fround(10 / 127)]);
    assert.deepEqual(Array.from(q.values), [127, 127, -127, -64]);
  });

  it('quantizes biases with scale input × weight and widens weights when a bias overflows', () => {
    const b = quantizeBias(new Float32Array([0.5, -0.25]), 0.01, [0.002, 0.004], 32);
    assert.deepEqual(b.scales, [Math.fround(0.01 * 0.002), Math.fround(0.01 * 0.004)]);
    assert.deepEqual(Array.from(b.values as Int32Array), [25000, -6250]);
    assert.deepEqual(b.adjustedChannels, []);
    // 1e6 / (1e-3 × 1e-6) = 1e15 does not fit int32: the weight scale is raised.
    const big = quantizeBias(new Float32Array([1e6]), 1e-3, [1e-6], 32);
    assert.deepEqual(big.adjustedChannels, [0]);
    assert.ok(big.weightScales[0] > 1e-6);
    assert.ok((big.values[0] as number) <= 2147483647 && (big.values[0] as number) > 2e9);
    const wide = quantizeBias(new Float32Array([1e6]), 1e-3, [1e-6], 64);
    assert.deepEqual(wide.adjustedChannels, []);
    // int64 (16x8) holds it: the value is bias / float32(scale), not clipped.
    assert.equal(wide.values[0], BigInt(Math.round(1e6 / Math.fround(1e-3 * 1e-6))));
  });
});
