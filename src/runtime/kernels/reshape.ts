/**
 * RESHAPE (and SQUEEZE, which is the same byte copy): the output holds the
 * input's elements unchanged in a new shape. TFLM copies when the two tensors
 * live in different buffers; so does this.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, type Kernel } from '../kernel';

export const reshape: Kernel<null> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    if (x.type !== y.type)
      throw new KernelError(node, `input ${x.type} and output ${y.type} differ`);
    if (elementCount(x.shape) !== elementCount(y.shape)) {
      throw new KernelError(node, `cannot reshape [${x.shape}] into [${y.shape}]`);
    }
    return null;
  },
  eval(node) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (x !== y) (y as Uint8Array).set(x as Uint8Array);
  },
};
