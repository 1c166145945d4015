/**
 * ARG_MAX and ARG_MIN (micro/kernels/arg_min_max.cc, reference/
 * arg_min_max.h): the index of the largest (smallest) value along the axis
 * given by input 1, the first one on ties (strict comparison). TFLM takes
 * float32 or int8 input, an int32 axis and writes int32; the axis is read at
 * invoke in TFLM, this kernel needs it constant to know the output's layout.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, type Kernel, type NodeContext } from '../kernel';
import { constantInts, expectOutputShape } from './index-map';

interface ArgData {
  outer: number;
  axisSize: number;
  inner: number;
}

function prepare(node: NodeContext): ArgData {
  const x = input(node, 0);
  const axisTensor = input(node, 1);
  const y = output(node, 0);
  if (x.type !== 'float32' && x.type !== 'int8') {
    throw new KernelError(node, `input has type ${x.type}; expected float32 or int8`);
  }
  if (axisTensor.type !== 'int32') {
    throw new KernelError(node, `axis has type ${axisTensor.type}; TFLM takes int32`);
  }
  if (y.type !== 'int32')
    throw new KernelError(node, `output has type ${y.type}; TFLM writes int32`);
  const [raw] = constantInts(node, 1, 'axis');
  const rank = x.shape.length;
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 0 || axis >= rank)
    throw new KernelError(node, `axis ${raw} is outside a rank-${rank} input`);
  expectOutputShape(
    node,
    x.shape.filter((_, i) => i !== axis),
  );
  return {
    outer: elementCount(x.shape.slice(0, axis)),
    axisSize: x.shape[axis],
    inner: elementCount(x.shape.slice(axis + 1)),
  };
}

export function argMinMaxReference(
  d: ArgData,
  x: Float32Array | Int8Array,
  y: Int32Array,
  isMax: boolean,
): void {
  const { outer, axisSize, inner } = d;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = x[o * axisSize * inner + i];
      let bestIndex = 0;
      for (let k = 1; k < axisSize; k++) {
        const v = x[(o * axisSize + k) * inner + i];
        if (isMax ? v > best : v < best) {
          best = v;
          bestIndex = k;
        }
      }
      y[o * inner + i] = bestIndex;
    }
  }
}

function kernel(isMax: boolean): Kernel<ArgData> {
  return {
    prepare,
    eval(node, d) {
      argMinMaxReference(
        d,
        node.inputs[0]!.data as Float32Array,
        node.outputs[0].data as Int32Array,
        isMax,
      );
    },
  };
}

export const argMax = kernel(true);
export const argMin = kernel(false);
