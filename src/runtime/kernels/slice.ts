/**
 * SLICE (micro/kernels/slice.cc, reference/slice.h): along each axis the
 * elements [begin, begin + size), size -1 meaning "to the end"; up to 5
 * dimensions, begin and size int32 or int64. TFLM reads begin and size at
 * eval; the TensorFlow converter always makes them constants, and this
 * kernel needs them constant to lay out the copy once.
 */
import { KernelError, input, type NodeContext } from '../kernel';
import {
  boxMap,
  constantInts,
  expectOutputShape,
  expectSameTypes,
  mapKernel,
  stridesOf,
} from './index-map';

function build(node: NodeContext): Int32Array {
  expectSameTypes(node, 'float32', 'int8', 'int16', 'int32', 'bool');
  const x = input(node, 0);
  const rank = x.shape.length;
  if (rank > 5) throw new KernelError(node, `input has rank ${rank}; TFLM slices at most 5`);
  const begin = constantInts(node, 1, 'begin');
  const size = constantInts(node, 2, 'size');
  if (begin.length !== rank || size.length !== rank) {
    throw new KernelError(
      node,
      `begin has ${begin.length} and size ${size.length} entries; the input has rank ${rank}`,
    );
  }
  const counts = size.map((s, d) => (s === -1 ? x.shape[d] - begin[d] : s));
  for (let d = 0; d < rank; d++) {
    if (begin[d] < 0 || counts[d] < 0 || begin[d] + counts[d] > x.shape[d]) {
      throw new KernelError(
        node,
        `slice [${begin[d]}, ${begin[d] + counts[d]}) of axis ${d} is outside [0, ${x.shape[d]})`,
      );
    }
  }
  expectOutputShape(node, counts);
  return boxMap(
    stridesOf(x.shape),
    begin,
    counts.map(() => 1),
    counts,
  );
}

export const slice = mapKernel(build);
