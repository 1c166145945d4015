/**
 * SHAPE (micro/kernels/shape.cc): the input's dimensions as an int32 vector.
 * Shapes are static in TFLM, so the values are known at prepare; eval writes
 * them (the output lives in the arena like any activation).
 */
import { input, KernelError, output, type Kernel } from '../kernel';
import { expectOutputShape } from './index-map';

export const shape: Kernel<Int32Array> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    if (y.type !== 'int32')
      throw new KernelError(node, `output has type ${y.type}; TFLM writes int32`);
    expectOutputShape(node, [x.shape.length]);
    return Int32Array.from(x.shape);
  },
  eval(node, dims) {
    (node.outputs[0].data as Int32Array).set(dims);
  },
};
