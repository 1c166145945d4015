/**
 * RESHAPE (micro/kernels/reshape.cc): the output holds the input's elements
 * unchanged in the shape the model records for the output tensor (the
 * new_shape option and the optional shape input only describe it). TFLM
 * copies when the two tensors live in different buffers; so does this.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, type Kernel, type NodeContext } from '../kernel';

export function prepareCopy(node: NodeContext): null {
  const x = input(node, 0);
  const y = output(node, 0);
  if (x.type !== y.type) throw new KernelError(node, `input ${x.type} and output ${y.type} differ`);
  if (elementCount(x.shape) !== elementCount(y.shape)) {
    throw new KernelError(node, `cannot reshape [${x.shape}] into [${y.shape}]`);
  }
  return null;
}

export function evalCopy(node: NodeContext): void {
  const x = node.inputs[0]!.data;
  const y = node.outputs[0].data;
  if (x !== y) (y as Uint8Array).set(x as Uint8Array);
}

export const reshape: Kernel<null> = { prepare: prepareCopy, eval: evalCopy };
