/**
 * MAX_POOL_2D (kernels/internal/reference/pooling.h, integer_ops/pooling.h):
 * the largest tap of the window inside the image, then the fused activation's
 * clamp. An empty window gives the type's lowest value, as in the reference.
 */
import type { Kernel } from '../kernel';
import { preparePool, type PoolParams } from './pooling';

export function maxPool(
  p: PoolParams,
  x: Float32Array | Int8Array | Int16Array,
  y: Float32Array | Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, depth, outputHeight, outputWidth } = p;
  const lowest = p.type === 'float32' ? -3.4028234663852886e38 : p.type === 'int8' ? -128 : -32768;
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
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * depth;
        for (let c = 0; c < depth; c++) {
          let m = lowest;
          for (let fy = fy0; fy < fy1; fy++) {
            const rowBase = ((b * inputHeight + inY0 + fy) * inputWidth + inX0) * depth + c;
            for (let fx = fx0; fx < fx1; fx++) {
              const v = x[rowBase + fx * depth];
              if (v > m) m = v;
            }
          }
          y[outBase + c] = m < min ? min : m > max ? max : m;
        }
      }
    }
  }
}

export const maxPool2d: Kernel<PoolParams> = {
  prepare(node) {
    return preparePool(node);
  },
  eval(node, p) {
    maxPool(p, node.inputs[0]!.data as Float32Array, node.outputs[0].data as Float32Array);
  },
};
