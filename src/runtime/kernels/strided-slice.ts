/**
 * STRIDED_SLICE (micro/kernels/strided_slice_common.cc, reference/
 * strided_slice.h, strided_slice_logic.h). TFLM needs constant begin, end and
 * strides, at most 4 input dimensions, and honours begin_mask, end_mask and
 * shrink_axis_mask; it ignores ellipsis_mask, new_axis_mask and offset (sets
 * them to 0), so this kernel rejects models that set the first two rather
 * than silently read them differently from TFLite.
 *
 * Per axis (StridedSliceStartForAxis / EndForAxis): a negative index counts
 * from the end, start and end are clamped to [0, size] for positive strides
 * and [-1, size - 1] for negative ones, a masked begin or end takes the whole
 * axis, and a shrunk axis takes one element.
 */
import { KernelError, input, numberOption, type NodeContext } from '../kernel';
import {
  boxMap,
  constantInts,
  expectOutputShape,
  expectSameTypes,
  mapKernel,
  stridesOf,
} from './index-map';

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

function build(node: NodeContext): Int32Array {
  expectSameTypes(node, 'float32', 'int8', 'int16', 'int32', 'bool');
  const x = input(node, 0);
  const rank = x.shape.length;
  if (rank > 4) throw new KernelError(node, `input has rank ${rank}; TFLM slices at most 4`);
  const begin = constantInts(node, 1, 'begin');
  const end = constantInts(node, 2, 'end');
  const strides = constantInts(node, 3, 'strides');
  for (const [what, v] of [
    ['begin', begin],
    ['end', end],
    ['strides', strides],
  ] as const) {
    if (v.length < rank) {
      throw new KernelError(node, `${what} has ${v.length} entries; the input has rank ${rank}`);
    }
  }
  const beginMask = numberOption(node, 'beginMask', 0);
  const endMask = numberOption(node, 'endMask', 0);
  const shrinkMask = numberOption(node, 'shrinkAxisMask', 0);
  if (numberOption(node, 'ellipsisMask', 0) !== 0 || numberOption(node, 'newAxisMask', 0) !== 0) {
    throw new KernelError(
      node,
      'ellipsis_mask and new_axis_mask are not supported (TFLM ignores them)',
    );
  }
  const starts: number[] = [];
  const counts: number[] = [];
  const outShape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const size = x.shape[d];
    const stride = strides[d];
    if (stride === 0) throw new KernelError(node, `stride of axis ${d} is 0`);
    const shrink = (shrinkMask >> d) & 1;
    let start = begin[d] < 0 ? begin[d] + size : begin[d];
    start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
    if ((beginMask >> d) & 1) start = stride > 0 ? 0 : size - 1;
    let stop: number;
    if (shrink) {
      if (stride < 0) {
        throw new KernelError(
          node,
          `axis ${d} is shrunk with a negative stride (TFLM writes nothing)`,
        );
      }
      stop = start >= size ? start : start + 1;
    } else {
      stop = end[d] < 0 ? end[d] + size : end[d];
      stop = stride > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1);
      if ((endMask >> d) & 1) stop = stride > 0 ? size : -1;
    }
    const count = Math.max(0, Math.ceil((stop - start) / stride));
    starts.push(start);
    counts.push(count);
    if (!shrink) outShape.push(count);
  }
  expectOutputShape(node, outShape);
  return boxMap(stridesOf(x.shape), starts, strides.slice(0, rank), counts);
}

export const stridedSlice = mapKernel(build);
