/**
 * SQUEEZE (micro/kernels/squeeze.cc): drops dimensions of size 1 (those in
 * squeeze_dims, or all of them); the data is the same bytes, copied as for
 * RESHAPE.
 */
import { input, KernelError, output, type Kernel } from '../kernel';
import { evalCopy, prepareCopy } from './reshape';

export const squeeze: Kernel<null> = {
  prepare(node) {
    prepareCopy(node);
    const x = input(node, 0);
    const y = output(node, 0);
    const dims = node.options?.squeezeDims as number[] | undefined;
    const rank = x.shape.length;
    const drop = new Set(
      dims && dims.length > 0
        ? dims.map((d) => (d < 0 ? d + rank : d))
        : x.shape.flatMap((d, i) => (d === 1 ? [i] : [])),
    );
    const expected = x.shape.filter((_, i) => !drop.has(i));
    for (const d of drop) {
      if (x.shape[d] !== 1)
        throw new KernelError(node, `cannot squeeze dimension ${d} of [${x.shape}]`);
    }
    if (expected.length !== y.shape.length || expected.some((d, i) => d !== y.shape[i])) {
      throw new KernelError(
        node,
        `squeezing [${x.shape}] gives [${expected}], not the output [${y.shape}]`,
      );
    }
    return null;
  },
  eval: evalCopy,
};
