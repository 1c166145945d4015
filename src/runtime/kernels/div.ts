/**
 * DIV with broadcasting, float32 (micro/kernels/div.cc, reference/div.h):
 * clamp(a / b) to the fused activation, the division in float. TFLM's int8
 * and int32 DIV are not implemented here yet (such models fail at load).
 */
import { fusedActivation } from '../kernel';
import { floatActivationRange } from '../quant/activation';
import { f32 } from '../quant/rounding';
import { binaryKernel } from './binary-op';

export const div = binaryKernel(['float32'], (node) => {
  const [min, max] = floatActivationRange(fusedActivation(node));
  return (u, v) => Math.min(Math.max(f32(u / v), min), max);
});
