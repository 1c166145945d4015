/**
 * SOFTMAX over the last dimension: y = exp(beta * (x - max)) / sum, with the
 * maximum subtracted for numerical range as the reference kernel does.
 */
import { expectType, input, KernelError, output, sameShape, type Kernel } from '../kernel';

export interface SoftmaxParams {
  beta: number;
  outer: number;
  depth: number;
}

export function softmaxFloat(p: SoftmaxParams, x: Float32Array, y: Float32Array): void {
  const { beta, outer, depth } = p;
  for (let o = 0; o < outer; o++) {
    const base = o * depth;
    let max = -Infinity;
    for (let i = 0; i < depth; i++) max = Math.max(max, x[base + i]);
    let sum = 0;
    for (let i = 0; i < depth; i++) {
      const e = Math.exp((x[base + i] - max) * beta);
      y[base + i] = e;
      sum += e;
    }
    for (let i = 0; i < depth; i++) y[base + i] /= sum;
  }
}

export const softmax: Kernel<SoftmaxParams> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    expectType(node, x, 'float32');
    expectType(node, y, 'float32');
    if (!sameShape(x.shape, y.shape) || x.shape.length === 0) {
      throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] must match`);
    }
    const depth = x.shape[x.shape.length - 1];
    const beta = typeof node.options?.beta === 'number' ? node.options.beta : 1;
    return { beta, depth, outer: depth === 0 ? 0 : x.data.length / depth };
  },
  eval(node, p) {
    softmaxFloat(p, node.inputs[0]!.data as Float32Array, node.outputs[0].data as Float32Array);
  },
};
