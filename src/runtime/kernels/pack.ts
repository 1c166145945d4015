/**
 * PACK and UNPACK (micro/kernels/pack.cc, unpack.cc). PACK stacks N inputs of
 * one shape along a new output axis: a concatenation in which each input
 * contributes its block after the axis once per position before it. UNPACK
 * splits the input along `axis` into `num` outputs, output k holding slice k.
 * Elements are copied, never requantized (TFLM copies int8 bytes).
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, numberOption, output, type Kernel } from '../kernel';
import { concatenate, type ConcatParams } from './concatenation';
import { boxMap, expectOutputShape, gatherByMap, stridesOf } from './index-map';

interface PackData {
  p: ConcatParams;
  views: ArrayLike<unknown>[];
}

export const pack: Kernel<PackData> = {
  prepare(node) {
    const y = output(node, 0);
    const n = node.inputs.length;
    const x0 = input(node, 0);
    const types = ['float32', 'int8', 'int16', 'int32', 'int64'];
    if (!types.includes(y.type)) {
      throw new KernelError(node, `output has type ${y.type}; expected ${types.join(' or ')}`);
    }
    const count = numberOption(node, 'valuesCount', n);
    if (count !== n)
      throw new KernelError(node, `values_count is ${count}; the op has ${n} inputs`);
    for (let k = 0; k < n; k++) {
      const x = input(node, k);
      if (x.type !== y.type) {
        throw new KernelError(node, `input ${k} has type ${x.type}; the output is ${y.type}`);
      }
      if (x.shape.length !== x0.shape.length || x.shape.some((d, i) => d !== x0.shape[i])) {
        throw new KernelError(node, `input ${k} [${x.shape}] differs from input 0 [${x0.shape}]`);
      }
    }
    const rank = y.shape.length;
    const raw = numberOption(node, 'axis', 0);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis < 0 || axis >= rank)
      throw new KernelError(node, `axis ${raw} is outside a rank-${rank} output`);
    expectOutputShape(node, [...x0.shape.slice(0, axis), n, ...x0.shape.slice(axis)]);
    const outer = elementCount(x0.shape.slice(0, axis));
    const block = elementCount(x0.shape.slice(axis));
    return { p: { outer, blocks: new Int32Array(n).fill(block) }, views: new Array(n) };
  },
  eval(node, data) {
    for (let k = 0; k < data.views.length; k++) data.views[k] = node.inputs[k]!.data;
    concatenate(data.p, data.views, node.outputs[0].data as unknown as { [i: number]: unknown });
  },
};

/** One index map per output. */
export interface MultiMap {
  maps: Int32Array[];
}

export function evalMultiMap(
  node: { inputs: ({ data: unknown } | null)[]; outputs: { data: unknown }[] },
  data: MultiMap,
  from = 0,
): void {
  const x = node.inputs[from]!.data;
  for (let k = 0; k < data.maps.length; k++) {
    gatherByMap(data.maps[k], x as Int32Array, node.outputs[k].data as Int32Array);
  }
}

/** Maps of the slices of `shape` along `axis` with the given sizes, one per output. */
export function splitMaps(
  shape: readonly number[],
  axis: number,
  sizes: readonly number[],
): Int32Array[] {
  const strides = stridesOf(shape);
  const maps: Int32Array[] = [];
  let start = 0;
  for (const size of sizes) {
    const counts = shape.map((d, i) => (i === axis ? size : d));
    const starts = shape.map((_, i) => (i === axis ? start : 0));
    maps.push(
      boxMap(
        strides,
        starts,
        shape.map(() => 1),
        counts,
      ),
    );
    start += size;
  }
  return maps;
}

export const unpack: Kernel<MultiMap> = {
  prepare(node) {
    const x = input(node, 0);
    const types = ['float32', 'int8', 'int16', 'int32'];
    if (!types.includes(x.type)) {
      throw new KernelError(node, `input has type ${x.type}; expected ${types.join(' or ')}`);
    }
    const rank = x.shape.length;
    const raw = numberOption(node, 'axis', 0);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis < 0 || axis >= rank)
      throw new KernelError(node, `axis ${raw} is outside a rank-${rank} input`);
    const num = node.outputs.length;
    if (x.shape[axis] !== num) {
      throw new KernelError(
        node,
        `axis ${axis} of [${x.shape}] has ${x.shape[axis]} entries; the op has ${num} outputs`,
      );
    }
    const outShape = x.shape.filter((_, i) => i !== axis);
    for (let k = 0; k < num; k++) {
      if (output(node, k).type !== x.type) {
        throw new KernelError(
          node,
          `output ${k} has type ${output(node, k).type}; the input is ${x.type}`,
        );
      }
      expectOutputShape(node, outShape, k);
    }
    return { maps: splitMaps(x.shape, axis, new Array<number>(num).fill(1)) };
  },
  eval(node, data) {
    evalMultiMap(node, data);
  },
};
