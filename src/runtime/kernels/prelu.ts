/**
 * PRELU with broadcasting of alpha (micro/kernels/prelu_common.cc,
 * reference/prelu.h BroadcastPrelu4DSlow).
 *
 * float: x >= 0 ? x : x * alpha.
 * int8 (int8 alpha) and int16 (int8 alpha): with v = x - in_zp,
 *   y = clamp(out_zp + (v >= 0 ? M1 * v : M2 * (v * (alpha - alpha_zp)))),
 * M1 = in_scale / out_scale and M2 = in_scale * alpha_scale / out_scale,
 * both in double from the float scales.
 */
import { KernelError, requireQuantization } from '../kernel';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32, typeRange } from '../quant/rounding';
import { binaryKernel } from './binary-op';

export const prelu = binaryKernel(
  ['float32', 'int8', 'int16'],
  (node, x, alpha, y) => {
    if (y.type !== x.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    const alphaType = x.type === 'float32' ? 'float32' : 'int8';
    if (alpha.type !== alphaType) {
      throw new KernelError(
        node,
        `alpha "${alpha.name}" has type ${alpha.type}; expected ${alphaType}`,
      );
    }
    if (x.type === 'float32') return (v, a) => (v >= 0 ? v : f32(v * a));
    const inQ = requireQuantization(node, x);
    const alphaQ = requireQuantization(node, alpha);
    const outQ = requireQuantization(node, y);
    const m1 = quantizeMultiplier(inQ.scale / outQ.scale);
    const m2 = quantizeMultiplier((inQ.scale * alphaQ.scale) / outQ.scale);
    const inputOffset = -inQ.zeroPoint;
    const alphaOffset = -alphaQ.zeroPoint;
    const outputOffset = outQ.zeroPoint;
    const [min, max] = typeRange(y.type);
    return (v, a) => {
      const iv = inputOffset + v;
      const r =
        outputOffset +
        (iv >= 0
          ? multiplyByQuantizedMultiplier(iv, m1.multiplier, m1.shift)
          : multiplyByQuantizedMultiplier(Math.imul(iv, alphaOffset + a), m2.multiplier, m2.shift));
      return r < min ? min : r > max ? max : r;
    };
  },
  false,
);
