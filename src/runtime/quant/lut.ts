/**
 * int16 lookup tables with linear interpolation (TFLite kernels/internal/
 * common.h LUTPopulateInt16 and LUTLookup), used by the int16 SOFTMAX: 512
 * segments over the input range plus one end point; each entry is the
 * rounded sample, nudged by half the error the interpolation would make at
 * the segment's midpoint. TFLM computes the table in float, so every step here
 * is rounded to float32; the transform uses Math.exp, which may differ from
 * the C library's expf in the last bit of rare entries.
 */
import { f32, roundHalfAway } from './rounding';

export const INT16_LUT_SIZE = 513;

export function populateInt16Lut(
  inputScale: number,
  inputZeroPoint: number,
  outputScale: number,
  outputZeroPoint: number,
  transform: (x: number) => number,
): Int16Array {
  const lut = new Int16Array(INT16_LUT_SIZE);
  const fn = (v: number) => f32(transform(f32(v)));
  const inputMin = f32(f32(inputScale) * (-32768 - inputZeroPoint));
  const inputMax = f32(f32(inputScale) * (32767 - inputZeroPoint));
  const outputMin = f32(f32(outputScale) * (-32768 - outputZeroPoint));
  const outputMax = f32(f32(outputScale) * (32767 - outputZeroPoint));
  const steps = 512;
  const step = f32(f32(inputMax - inputMin) / steps);
  const halfStep = f32(step / 2);
  const scalingInv = f32(65536 / f32(outputMax - outputMin));
  const clamp = (v: number) => Math.min(Math.max(v, -32768), 32767);
  for (let i = 0; i < steps; i++) {
    const at = f32(inputMin + f32(i * step));
    const val = fn(at);
    const valMid = fn(f32(at + halfStep));
    const valNext = fn(f32(inputMin + f32((i + 1) * step)));
    const sample = roundHalfAway(f32(val * scalingInv));
    const midInterp = roundHalfAway(f32(f32(f32(valNext * scalingInv) + sample) / 2));
    const mid = roundHalfAway(f32(valMid * scalingInv));
    const bias = roundHalfAway(f32((midInterp - mid) / 2));
    lut[i] = clamp(sample - bias);
  }
  lut[steps] = clamp(roundHalfAway(f32(fn(inputMax) * scalingInv)));
  return lut;
}

/** int16 -> int16 lookup: 9 bits index the table, 7 bits interpolate. */
export function lutLookupInt16(value: number, lut: Int16Array): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index];
  const slope = lut[index + 1] - base;
  return ((base + ((slope * offset + 64) >> 7)) << 16) >> 16;
}
