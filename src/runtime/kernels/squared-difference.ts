/**
 * SQUARED_DIFFERENCE with broadcasting (micro/kernels/squared_difference.cc).
 *
 * float: (a - b)^2 in float; int32: (a - b)^2 wrapping.
 * int8 / int16 (int16 zero points 0): ADD's rescaling with a left shift of 7
 * (int8) or 0 (int16): the inputs are put on half the larger input scale,
 * subtracted, the difference squared in int32 and rescaled by
 * M_out = (2 * max_scale)^2 / (2^(2 * shift) * out_scale) — a multiplier that
 * may exceed one, so QuantizeMultiplier, not the smaller-than-one form.
 */
import { KernelError, requireQuantization } from '../kernel';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplierSmallerThanOneExp as scaleDown,
  quantizeMultiplier,
  quantizeMultiplierSmallerThanOneExp,
} from '../quant/multiplier';
import { f32, typeRange } from '../quant/rounding';
import { binaryKernel } from './binary-op';

export const squaredDifference = binaryKernel(
  ['float32', 'int32', 'int8', 'int16'],
  (node, a, b, y) => {
    if (y.type === 'float32') {
      return (u, v) => {
        const d = f32(u - v);
        return f32(d * d);
      };
    }
    if (y.type === 'int32') return (u, v) => Math.imul(u - v, u - v);
    const q1 = requireQuantization(node, a);
    const q2 = requireQuantization(node, b);
    const qo = requireQuantization(node, y);
    if (y.type === 'int16' && (q1.zeroPoint !== 0 || q2.zeroPoint !== 0 || qo.zeroPoint !== 0)) {
      throw new KernelError(node, 'int16 SQUARED_DIFFERENCE needs zero points 0');
    }
    const leftShift = y.type === 'int16' ? 0 : 7;
    const twiceMax = 2 * Math.max(q1.scale, q2.scale);
    const m1 = quantizeMultiplierSmallerThanOneExp(q1.scale / twiceMax);
    const m2 = quantizeMultiplierSmallerThanOneExp(q2.scale / twiceMax);
    const mo = quantizeMultiplier((twiceMax * twiceMax) / f32(2 ** (2 * leftShift) * qo.scale));
    const off1 = -q1.zeroPoint;
    const off2 = -q2.zeroPoint;
    const outOff = qo.zeroPoint;
    const [min, max] = typeRange(y.type);
    return (u, v) => {
      const s1 = scaleDown((u + off1) << leftShift, m1.multiplier, m1.shift);
      const s2 = scaleDown((v + off2) << leftShift, m2.multiplier, m2.shift);
      const d = (s1 - s2) | 0;
      const r = multiplyByQuantizedMultiplier(Math.imul(d, d), mo.multiplier, mo.shift) + outOff;
      return r < min ? min : r > max ? max : r;
    };
  },
);
