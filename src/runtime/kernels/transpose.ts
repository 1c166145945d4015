/**
 * TRANSPOSE (micro/kernels/transpose_common.cc, reference/transpose.h):
 * output dimension d is input dimension perm[d]. TFLM takes up to 5
 * dimensions and a constant perm holding each axis once.
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

export function transposeMap(shape: readonly number[], perm: readonly number[]): Int32Array {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  return boxMap(
    perm.map((p) => inStrides[p]),
    perm.map(() => 0),
    perm.map(() => 1),
    outShape,
  );
}

function build(node: NodeContext): Int32Array {
  expectSameTypes(node, 'float32', 'int8', 'int16');
  const x = input(node, 0);
  const rank = x.shape.length;
  if (rank > 5) throw new KernelError(node, `input has rank ${rank}; TFLM transposes at most 5`);
  const perm = constantInts(node, 1, 'perm');
  if (perm.length !== rank) {
    throw new KernelError(node, `perm has ${perm.length} entries; the input has rank ${rank}`);
  }
  const seen = new Set(perm);
  if (seen.size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new KernelError(node, `perm [${perm}] is not a permutation of 0..${rank - 1}`);
  }
  expectOutputShape(
    node,
    perm.map((p) => x.shape[p]),
  );
  return transposeMap(x.shape, perm);
}

export const transpose = mapKernel(build);
