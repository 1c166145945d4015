/**
 * ADD with broadcasting (micro/kernels/add_common.cc; kernels/internal/
 * reference/add.h, integer_ops/add.h).
 *
 * float: clamp(a + b); int32: a + b wrapping.
 * int8 / int16: both inputs are shifted left by 20 (int8) or 15 (int16) bits,
 * rescaled to half the larger input scale (multipliers below one), added,
 * and the sum rescaled to the output scale:
 *   y = clamp(out_zp + M_out * (M1 * ((a + off1) << s) + M2 * ((b + off2) << s))).
 * TFLM uses this general form for int16 too (pot_scale_int16 is ignored).
 */
import { fusedActivation, input, requireQuantization, type NodeContext } from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../quant/fixed-point';
import { quantizeMultiplierSmallerThanOneExp, type QuantizedMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import type { RuntimeTensor } from '../tensor';
import { binaryKernel } from './binary-op';

export interface AddQuantParams {
  leftShift: number;
  input1Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Offset: number;
  input2Multiplier: number;
  input2Shift: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp, inlined by hand in the loops' hot path. */
function scale(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

export function addQuantizedElement(p: AddQuantParams, a: number, b: number): number {
  const s1 = scale((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const s2 = scale((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  const raw = scale((s1 + s2) | 0, p.outputMultiplier, p.outputShift) + p.outputOffset;
  return raw < p.quantizedActivationMin
    ? p.quantizedActivationMin
    : raw > p.quantizedActivationMax
      ? p.quantizedActivationMax
      : raw;
}

/**
 * The quantized parameters of ADD's scheme from the three multipliers (ADD
 * and SUB compute them with different float/double steps, see sub.ts).
 */
export function addQuantParams(
  node: NodeContext,
  y: RuntimeTensor,
  leftShift: number,
  m: [QuantizedMultiplier, QuantizedMultiplier, QuantizedMultiplier],
): AddQuantParams {
  const q1 = requireQuantization(node, input(node, 0));
  const q2 = requireQuantization(node, input(node, 1));
  const qo = requireQuantization(node, y);
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    qo.scale,
    qo.zeroPoint,
  );
  return {
    leftShift,
    input1Offset: -q1.zeroPoint,
    input1Multiplier: m[0].multiplier,
    input1Shift: m[0].shift,
    input2Offset: -q2.zeroPoint,
    input2Multiplier: m[1].multiplier,
    input2Shift: m[1].shift,
    outputOffset: qo.zeroPoint,
    outputMultiplier: m[2].multiplier,
    outputShift: m[2].shift,
    quantizedActivationMin,
    quantizedActivationMax,
  };
}

export const add = binaryKernel(['float32', 'int32', 'int8', 'int16'], (node, a, b, y) => {
  if (y.type === 'float32') {
    const [min, max] = floatActivationRange(fusedActivation(node));
    return (u, v) => Math.min(Math.max(f32(u + v), min), max);
  }
  if (y.type === 'int32') return (u, v) => (u + v) | 0;
  const q1 = requireQuantization(node, a);
  const q2 = requireQuantization(node, b);
  const qo = requireQuantization(node, y);
  const leftShift = y.type === 'int16' ? 15 : 20;
  const twiceMaxInputScale = 2 * Math.max(q1.scale, q2.scale);
  const p = addQuantParams(node, y, leftShift, [
    quantizeMultiplierSmallerThanOneExp(q1.scale / twiceMaxInputScale),
    quantizeMultiplierSmallerThanOneExp(q2.scale / twiceMaxInputScale),
    quantizeMultiplierSmallerThanOneExp(twiceMaxInputScale / (2 ** leftShift * qo.scale)),
  ]);
  return (u, v) => addQuantizedElement(p, u, v);
});
