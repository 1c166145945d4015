/**
 * Data-movement kernels (TRANSPOSE, STRIDED_SLICE, SLICE, DEPTH_TO_SPACE,
 * RESIZE_NEAREST_NEIGHBOR, ...) move elements without arithmetic, so their
 * whole effect is one map: output element i comes from input element map[i].
 * prepare() computes that map once from the shapes and constant parameters
 * (what TFLM recomputes in every eval); eval() is one loop that copies raw
 * values, whatever the element type — no requantization, as in TFLM, which
 * copies the bytes of int8 tensors whatever their scales.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, type Kernel, type NodeContext } from '../kernel';
import type { TypedData } from '../tensor';

export interface IndexMap {
  /** map[i]: the input element that output element i holds. */
  map: Int32Array;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  return strides;
}

/** The shape left-padded with ones to `rank` dimensions (TFLM RuntimeShape::ExtendedShape). */
export function extendShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(Math.max(0, rank - shape.length)).fill(1), ...shape];
}

/** Index of an output element that no input element fills (padding). */
export const PAD = -1;

export function gatherByMap(map: Int32Array, x: TypedData, y: TypedData): void {
  const src = x as Int32Array;
  const dst = y as Int32Array;
  for (let i = 0; i < map.length; i++) dst[i] = src[map[i]];
}

/** gatherByMap where PAD entries are written as 0 (raw zero, whatever the type). */
export function gatherByMapPadded(map: Int32Array, x: TypedData, y: TypedData): void {
  const src = x as Int32Array;
  const dst = y as Int32Array;
  for (let i = 0; i < map.length; i++) {
    const m = map[i];
    dst[i] = m === PAD ? 0 : src[m];
  }
}

/** Checks that input 0 and output 0 have one of `types` and the same type. */
export function expectSameTypes(node: NodeContext, ...types: string[]): void {
  const x = input(node, 0);
  const y = output(node, 0);
  if (!types.includes(x.type)) {
    throw new KernelError(
      node,
      `input "${x.name}" has type ${x.type}; expected ${types.join(' or ')}`,
    );
  }
  if (y.type !== x.type) {
    throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
  }
}

/** The output's shape must be `expected` (TFLM checks the model's output shape, never resizes). */
export function expectOutputShape(node: NodeContext, expected: readonly number[], index = 0): void {
  const y = output(node, index);
  if (y.shape.length !== expected.length || y.shape.some((d, i) => d !== expected[i])) {
    throw new KernelError(
      node,
      `output ${index} "${y.name}" has shape [${y.shape}]; the op gives [${expected}]`,
    );
  }
}

/** The int32 values of a constant parameter tensor (perm, begin, size, block shape, ...). */
export function constantInts(node: NodeContext, i: number, what: string): number[] {
  const t = input(node, i);
  if (!t.isConstant) {
    throw new KernelError(node, `${what} "${t.name}" must be a constant tensor`);
  }
  if (t.type !== 'int32' && t.type !== 'int64') {
    throw new KernelError(node, `${what} "${t.name}" has type ${t.type}; expected int32`);
  }
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** A kernel whose prepare() builds an index map and checks its size against the output. */
export function mapKernel(
  build: (node: NodeContext) => Int32Array,
  padded = false,
): Kernel<IndexMap> {
  const copy = padded ? gatherByMapPadded : gatherByMap;
  return {
    prepare(node) {
      const map = build(node);
      const y = output(node, 0);
      if (map.length !== elementCount(y.shape)) {
        throw new KernelError(
          node,
          `output "${y.name}" [${y.shape}] does not hold the ${map.length} elements the op gives`,
        );
      }
      return { map };
    },
    eval(node, data) {
      copy(data.map, node.inputs[0]!.data, node.outputs[0].data);
    },
  };
}

/**
 * The map of a strided box: output element (i0, i1, ...) of the box with
 * `counts` elements per axis comes from input element
 * sum_d (starts[d] + i_d * steps[d]) * inStrides[d]. Slices, strided slices
 * and transposes (strides permuted) are all such boxes.
 */
export function boxMap(
  inStrides: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
  counts: readonly number[],
): Int32Array {
  const rank = counts.length;
  const total = counts.reduce((a, b) => a * b, 1);
  const map = new Int32Array(total);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (starts[d] + index[d] * steps[d]) * inStrides[d];
    map[i] = src;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < counts[d]) break;
      index[d] = 0;
    }
  }
  return map;
}
