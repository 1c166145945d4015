/**
 * EXPAND_DIMS (micro/kernels/expand_dims.cc): inserts a dimension of size 1
 * at `axis` (negative counts from the end of the output); the elements are
 * copied unchanged, as for RESHAPE. TFLM needs a constant one-element int32
 * axis and float32, int8 or int16 data.
 */
import { input, KernelError, type Kernel } from '../kernel';
import { constantInts, expectOutputShape, expectSameTypes } from './index-map';
import { evalCopy, prepareCopy } from './reshape';

export const expandDims: Kernel<null> = {
  prepare(node) {
    expectSameTypes(node, 'float32', 'int8', 'int16');
    prepareCopy(node);
    const x = input(node, 0);
    const axisValues = constantInts(node, 1, 'axis');
    if (axisValues.length !== 1) {
      throw new KernelError(node, `axis has ${axisValues.length} elements; expected 1`);
    }
    const rank = x.shape.length;
    const axis = axisValues[0] < 0 ? axisValues[0] + rank + 1 : axisValues[0];
    if (axis < 0 || axis > rank) {
      throw new KernelError(node, `axis ${axisValues[0]} is outside [${-rank - 1}, ${rank}]`);
    }
    expectOutputShape(node, [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)]);
    return null;
  },
  eval: evalCopy,
};
