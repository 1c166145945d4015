/**
 * AVERAGE_POOL_2D (kernels/internal/reference/pooling.h, integer_ops/
 * pooling.h): the mean of the window's taps inside the image (padding is not
 * counted). Float sums and divides in float32 as the reference does; the
 * integer version rounds the int32 sum / count half away from zero:
 * (sum +- count / 2) / count with C's truncating division.
 */
import type { Kernel } from '../kernel';
import { preparePool, type PoolParams } from './pooling';

/** Pool parameters and the per-channel sums buffer eval() fills (sized in prepare: invoke allocates nothing). */
export interface AveragePoolParams extends PoolParams {
  sums: Float64Array;
}

export function averagePool(
  p: AveragePoolParams,
  x: Float32Array | Int8Array | Int16Array,
  y: Float32Array | Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, depth, outputHeight, outputWidth, sums } = p;
  const isFloat = p.type === 'float32';
  const min = p.activationMin;
  const max = p.activationMax;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const fy0 = Math.max(0, -inY0);
      const fy1 = Math.min(p.filterHeight, inputHeight - inY0);
      for (let ox = 0; ox < outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const fx0 = Math.max(0, -inX0);
        const fx1 = Math.min(p.filterWidth, inputWidth - inX0);
        const count = Math.max(fy1 - fy0, 0) * Math.max(fx1 - fx0, 0);
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * depth;
        sums.fill(0);
        // taps outer, channels inner (contiguous): each channel still sums its taps in the
        // reference's order, which the float32 rounding after every add depends on
        for (let fy = fy0; fy < fy1; fy++) {
          for (let fx = fx0; fx < fx1; fx++) {
            const tap = ((b * inputHeight + inY0 + fy) * inputWidth + inX0 + fx) * depth;
            if (isFloat) {
              for (let c = 0; c < depth; c++) sums[c] = Math.fround(sums[c] + x[tap + c]);
            } else {
              for (let c = 0; c < depth; c++) sums[c] += x[tap + c];
            }
          }
        }
        const half = count >> 1;
        for (let c = 0; c < depth; c++) {
          const sum = sums[c];
          let v: number;
          if (isFloat) {
            v = Math.fround(sum / count);
          } else {
            v = count === 0 ? 0 : Math.trunc(sum > 0 ? (sum + half) / count : (sum - half) / count);
          }
          y[outBase + c] = v < min ? min : v > max ? max : v;
        }
      }
    }
  }
}

export const averagePool2d: Kernel<AveragePoolParams> = {
  prepare(node) {
    const p = preparePool(node);
    return { ...p, sums: new Float64Array(p.depth) };
  },
  eval(node, p) {
    averagePool(p, node.inputs[0]!.data as Float32Array, node.outputs[0].data as Float32Array);
  },
};
