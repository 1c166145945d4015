/**
 * CAST (micro/kernels/cast.cc): static_cast of every element, from int8,
 * int16, int32, uint32, float32 or bool to int8, int16, int32, uint32 or
 * float32. Typed-array stores convert the same way for the values a model
 * meets: floats truncate towards zero, integers wrap to the narrower type,
 * integers become the nearest float. Quantization is ignored, as in TFLM.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, type Kernel } from '../kernel';

const FROM = ['int8', 'int16', 'int32', 'uint32', 'float32', 'bool'];
const TO = ['int8', 'int16', 'int32', 'uint32', 'float32'];

export const cast: Kernel<null> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    if (!FROM.includes(x.type)) {
      throw new KernelError(node, `input has type ${x.type}; expected ${FROM.join(', ')}`);
    }
    if (!TO.includes(y.type)) {
      throw new KernelError(node, `output has type ${y.type}; expected ${TO.join(', ')}`);
    }
    if (elementCount(x.shape) !== elementCount(y.shape)) {
      throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] differ in size`);
    }
    return null;
  },
  eval(node) {
    const x = node.inputs[0]!.data as Float32Array;
    const y = node.outputs[0].data as Float32Array;
    for (let i = 0; i < x.length; i++) y[i] = x[i];
  },
};
