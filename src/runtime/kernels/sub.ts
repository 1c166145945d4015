/**
 * SUB with broadcasting (micro/kernels/sub_common.cc; reference/sub.h).
 *
 * float: clamp(a - b); int32: a - b wrapping, clamped to the activation.
 * int8 / int16: ADD's scheme with the difference of the rescaled inputs:
 *   y = clamp(out_zp + M_out * (M1 * ((a + off1) << s) - M2 * ((b + off2) << s))),
 * s = 20 (int8) or 15 (int16). Unlike ADD, TFLM's SUB divides the scales in
 * float before widening them (input_scale / twice_max_input_scale, and
 * twice_max / ((1 << s) * output_scale)), and so does this kernel.
 */
import { fusedActivation, requireQuantization } from '../kernel';
import { floatActivationRange } from '../quant/activation';
import {
  multiplyByQuantizedMultiplierSmallerThanOneExp as scaleDown,
  quantizeMultiplierSmallerThanOneExp,
} from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import { addQuantParams, type AddQuantParams } from './add';
import { binaryKernel } from './binary-op';

export function subQuantizedElement(p: AddQuantParams, a: number, b: number): number {
  const s1 = scaleDown((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const s2 = scaleDown((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  const raw = scaleDown((s1 - s2) | 0, p.outputMultiplier, p.outputShift) + p.outputOffset;
  return raw < p.quantizedActivationMin
    ? p.quantizedActivationMin
    : raw > p.quantizedActivationMax
      ? p.quantizedActivationMax
      : raw;
}

export const sub = binaryKernel(['float32', 'int32', 'int8', 'int16'], (node, a, b, y) => {
  if (y.type === 'float32' || y.type === 'int32') {
    const [min, max] = floatActivationRange(fusedActivation(node));
    const diff =
      y.type === 'float32'
        ? (u: number, v: number) => f32(u - v)
        : (u: number, v: number) => (u - v) | 0;
    return (u, v) => Math.min(Math.max(diff(u, v), min), max);
  }
  const q1 = requireQuantization(node, a);
  const q2 = requireQuantization(node, b);
  const qo = requireQuantization(node, y);
  const leftShift = y.type === 'int16' ? 15 : 20;
  const twiceMaxInputScale = f32(2 * Math.max(q1.scale, q2.scale));
  const p = addQuantParams(node, y, leftShift, [
    quantizeMultiplierSmallerThanOneExp(f32(q1.scale / twiceMaxInputScale)),
    quantizeMultiplierSmallerThanOneExp(f32(q2.scale / twiceMaxInputScale)),
    quantizeMultiplierSmallerThanOneExp(f32(twiceMaxInputScale / f32(2 ** leftShift * qo.scale))),
  ]);
  return (u, v) => subQuantizedElement(p, u, v);
});
