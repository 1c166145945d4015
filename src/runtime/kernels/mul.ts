/**
 * MUL with broadcasting (micro/kernels/mul_common.cc; kernels/internal/
 * reference/mul.h, integer_ops/mul.h).
 *
 * float: clamp(a * b); int32: a * b wrapping, clamped to the activation.
 * int8 / int16: y = clamp(out_zp + MultiplyByQuantizedMultiplier(
 *   (a - zp1) * (b - zp2), s1 * s2 / s_out)); int16 needs zero points 0.
 */
import { fusedActivation, KernelError, requireQuantization } from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import { binaryKernel } from './binary-op';

export const mul = binaryKernel(['float32', 'int32', 'int8', 'int16'], (node, a, b, y) => {
  const activation = fusedActivation(node);
  if (y.type === 'float32') {
    const [min, max] = floatActivationRange(activation);
    return (u, v) => Math.min(Math.max(f32(u * v), min), max);
  }
  if (y.type === 'int32') {
    const [min, max] = floatActivationRange(activation);
    return (u, v) => Math.min(Math.max(Math.imul(u, v), min), max);
  }
  const q1 = requireQuantization(node, a);
  const q2 = requireQuantization(node, b);
  const qo = requireQuantization(node, y);
  if (y.type === 'int16' && (q1.zeroPoint !== 0 || q2.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
    throw new KernelError(node, 'int16 MUL needs zero points 0');
  }
  const { multiplier, shift } = quantizeMultiplier((q1.scale * q2.scale) / qo.scale);
  const [min, max] = quantizedActivationRange(activation, y.type, qo.scale, qo.zeroPoint);
  const off1 = -q1.zeroPoint;
  const off2 = -q2.zeroPoint;
  const outOff = qo.zeroPoint;
  return (u, v) => {
    const r =
      outOff + multiplyByQuantizedMultiplier(Math.imul(u + off1, v + off2), multiplier, shift);
    return r < min ? min : r > max ? max : r;
  };
});
