/**
 * Float32 element-wise activations: RELU, RELU6, TANH, LOGISTIC. Each maps
 * input[i] to output[i] over tensors of equal shape.
 */
import { expectType, input, KernelError, output, sameShape, type Kernel } from '../kernel';

function unary(fn: (x: number) => number): Kernel<null> {
  return {
    prepare(node) {
      const x = input(node, 0);
      const y = output(node, 0);
      expectType(node, x, 'float32');
      expectType(node, y, 'float32');
      if (!sameShape(x.shape, y.shape)) {
        throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] differ`);
      }
      return null;
    },
    eval(node) {
      const x = node.inputs[0]!.data as Float32Array;
      const y = node.outputs[0].data as Float32Array;
      for (let i = 0; i < x.length; i++) y[i] = fn(x[i]);
    },
  };
}

export const relu = unary((x) => (x > 0 ? x : 0));
export const relu6 = unary((x) => Math.min(Math.max(x, 0), 6));
export const tanh = unary(Math.tanh);
export const logistic = unary((x) => 1 / (1 + Math.exp(-x)));
