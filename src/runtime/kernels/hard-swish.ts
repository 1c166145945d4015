/**
 * HARD_SWISH: x * relu6(x + 3) / 6 (micro/kernels/hard_swish_common.cc,
 * reference/hard_swish.h).
 *
 * float: in * min(6, max(0, in + 3)) / 6, in float.
 * int8: TFLite's int16 fixed-point scheme. The input (minus its zero point)
 * is put on a "hires" scale 2^7 finer; a "reluish" value in [-1, 1] on a
 * 2^-15 scale (from hires_scale / (3 / 32768)) stands for relu6(x + 3) / 6
 * mapped to [0, 1] by (v + 2^15) >> 1; the product with the input on the
 * output scale (hires_scale / output_scale) is rounded down by the output
 * exponent. Both multipliers come from QuantizeMultiplier in double of the
 * float ratios and are cut to 16 bits by DownScaleInt32ToInt16Multiplier;
 * every intermediate is an int16, wrapping and saturating as the C++ does.
 */
import { input, KernelError, output, requireQuantization, type Kernel } from '../kernel';
import { quantizeMultiplier } from '../quant/multiplier';
import { f32, typeRange } from '../quant/rounding';
import { checkSameShape } from './logistic';
import { expectSameTypes } from './index-map';

export interface HardSwishParams {
  inputZeroPoint: number;
  outputZeroPoint: number;
  reluishMultiplierFixedpointInt16: number;
  reluishMultiplierExponent: number;
  outputMultiplierFixedpointInt16: number;
  outputMultiplierExponent: number;
}

const int16 = (v: number) => (v << 16) >> 16;
const INT16_MAX = 32767;
const INT16_MIN = -32768;

/** TFLite DownScaleInt32ToInt16Multiplier: the top 16 bits, rounded. */
export function downScaleInt32ToInt16Multiplier(m: number): number {
  if (m >= 2147483647 - 32768) return INT16_MAX;
  return (m + 32768) >> 16;
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int16. */
export function srdhmInt16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return int16(Math.trunc((ab + nudge) / 32768));
}

/** gemmlowp RoundingDivideByPOT on int16 (its mask is an int16 too). */
export function roundingDivideByPOTInt16(x: number, exponent: number): number {
  const mask = int16((1 << exponent) - 1);
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return int16((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/** TFLite's SaturatingLeftShift on int16. */
function saturatingLeftShift(v: number, amount: number): number {
  const r = v * 2 ** amount;
  return r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r;
}

/** TFLite's (non-rounding) SaturatingDoublingHighMul on int16. */
function saturatingDoublingHighMul(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  return int16(Math.trunc((a * b) / 32768));
}

export function hardSwishQuantized(
  p: HardSwishParams,
  x: Int8Array,
  y: Int8Array,
  min: number,
  max: number,
): void {
  for (let i = 0; i < x.length; i++) {
    const inputValue = int16(x[i] - p.inputZeroPoint);
    const hires = int16(inputValue * 128);
    const preshiftOutput = srdhmInt16(hires, p.outputMultiplierFixedpointInt16);
    let reluish = hires;
    if (p.reluishMultiplierExponent > 0) {
      reluish = saturatingLeftShift(reluish, p.reluishMultiplierExponent - 1);
    }
    reluish = srdhmInt16(reluish, p.reluishMultiplierFixedpointInt16);
    if (p.reluishMultiplierExponent > 0) reluish = saturatingLeftShift(reluish, 1);
    if (p.reluishMultiplierExponent < 0) {
      reluish = roundingDivideByPOTInt16(reluish, -p.reluishMultiplierExponent);
    }
    reluish = int16((reluish + 32768) >> 1);
    const preshift = saturatingDoublingHighMul(reluish, preshiftOutput);
    let out = roundingDivideByPOTInt16(preshift, -p.outputMultiplierExponent);
    out = int16(out + p.outputZeroPoint);
    y[i] = out > max ? max : out < min ? min : out;
  }
}

export function hardSwishFloat(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const r = f32(v + 3);
    const clamped = r < 0 ? 0 : r > 6 ? 6 : r;
    y[i] = f32(f32(v * clamped) / 6);
  }
}

type HardSwishData = { kind: 'float' } | { kind: 'int8'; p: HardSwishParams };

export const hardSwish: Kernel<HardSwishData> = {
  prepare(node) {
    checkSameShape(node);
    expectSameTypes(node, 'float32', 'int8');
    const x = input(node, 0);
    const y = output(node, 0);
    if (x.type === 'float32') return { kind: 'float' };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    const hiresInputScale = f32(f32(1 / 128) * inQ.scale);
    const reluishScale = f32(3 / 32768);
    const om = quantizeMultiplier(f32(hiresInputScale / outQ.scale));
    if (om.shift > 0) {
      throw new KernelError(
        node,
        `output multiplier exponent ${om.shift} must be <= 0 (output scale ${outQ.scale} too small for input scale ${inQ.scale})`,
      );
    }
    const rm = quantizeMultiplier(f32(hiresInputScale / reluishScale));
    return {
      kind: 'int8',
      p: {
        inputZeroPoint: inQ.zeroPoint,
        outputZeroPoint: outQ.zeroPoint,
        outputMultiplierFixedpointInt16: downScaleInt32ToInt16Multiplier(om.multiplier),
        outputMultiplierExponent: om.shift,
        reluishMultiplierFixedpointInt16: downScaleInt32ToInt16Multiplier(rm.multiplier),
        reluishMultiplierExponent: rm.shift,
      },
    };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      hardSwishFloat(x as Float32Array, y as Float32Array);
      return;
    }
    const [min, max] = typeRange('int8');
    hardSwishQuantized(data.p, x as Int8Array, y as Int8Array, min, max);
  },
};
