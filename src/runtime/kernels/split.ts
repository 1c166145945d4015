/**
 * SPLIT and SPLIT_V (micro/kernels/split.cc, split_v.cc): the input is cut
 * along a constant axis into consecutive pieces, one per output; TFLM takes
 * each piece's length from the output's shape (SPLIT_V's size_splits and
 * SPLIT's num_splits only describe it). SPLIT's inputs are (axis, input),
 * SPLIT_V's (input, size_splits, axis). Elements are copied unchanged.
 */
import { input, KernelError, output, type Kernel, type NodeContext } from '../kernel';
import { constantInts } from './index-map';
import { evalMultiMap, splitMaps, type MultiMap } from './pack';

function prepareSplit(node: NodeContext, dataIndex: number, axisIndex: number): MultiMap {
  const x = input(node, dataIndex);
  const types = ['float32', 'int8', 'int16', 'int32'];
  if (!types.includes(x.type)) {
    throw new KernelError(node, `input has type ${x.type}; expected ${types.join(' or ')}`);
  }
  const axisValues = constantInts(node, axisIndex, 'axis');
  const rank = x.shape.length;
  const raw = axisValues[0];
  const axis = raw < 0 ? raw + rank : raw;
  if (axisValues.length !== 1 || axis < 0 || axis >= rank) {
    throw new KernelError(node, `axis [${axisValues}] is not one axis of a rank-${rank} input`);
  }
  const sizes: number[] = [];
  for (let k = 0; k < node.outputs.length; k++) {
    const y = output(node, k);
    if (y.type !== x.type) {
      throw new KernelError(node, `output ${k} has type ${y.type}; the input is ${x.type}`);
    }
    const fits = y.shape.length === rank && y.shape.every((d, i) => i === axis || d === x.shape[i]);
    if (!fits) {
      throw new KernelError(
        node,
        `output ${k} [${y.shape}] is not a piece of [${x.shape}] along axis ${axis}`,
      );
    }
    sizes.push(y.shape[axis]);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.shape[axis]) {
    throw new KernelError(
      node,
      `outputs add up to ${total} along axis ${axis}; the input has ${x.shape[axis]}`,
    );
  }
  return { maps: splitMaps(x.shape, axis, sizes) };
}

export const split: Kernel<MultiMap> = {
  prepare: (node) => prepareSplit(node, 1, 0),
  eval: (node, data) => evalMultiMap(node, data, 1),
};

export const splitV: Kernel<MultiMap> = {
  prepare: (node) => prepareSplit(node, 0, 2),
  eval: (node, data) => evalMultiMap(node, data, 0),
};
