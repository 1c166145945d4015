/**
 * CONCATENATION along one axis (micro/kernels/concatenation.cc; kernels/
 * internal/reference/concatenation.h): for each position before the axis,
 * each input's block along and after the axis is copied in turn. TFLM does
 * not requantize: int8 inputs must share the output's scale and zero point,
 * int16 zero points must be 0; at most 10 inputs, no fused activation.
 */
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  output,
  type Kernel,
} from '../kernel';

export interface ConcatParams {
  outer: number;
  /** Elements each input contributes per outer position. */
  blocks: Int32Array;
}

export function concatenate(
  p: ConcatParams,
  inputs: ArrayLike<unknown>[],
  y: { [i: number]: unknown },
): void {
  let dst = 0;
  for (let o = 0; o < p.outer; o++) {
    for (let k = 0; k < inputs.length; k++) {
      const block = p.blocks[k];
      const src = inputs[k];
      const base = o * block;
      for (let i = 0; i < block; i++) y[dst++] = src[base + i];
    }
  }
}

interface ConcatData {
  p: ConcatParams;
  /** Preallocated list of the inputs' views, refreshed at eval. */
  views: ArrayLike<unknown>[];
}

export const concatenation: Kernel<ConcatData> = {
  prepare(node) {
    const y = output(node, 0);
    const n = node.inputs.length;
    if (n < 1 || n > 10) throw new KernelError(node, `takes 1 to 10 inputs, got ${n}`);
    if (fusedActivation(node) !== 'NONE')
      throw new KernelError(node, 'fused activations are not supported');
    expectType(node, y, 'float32', 'int8', 'int16', 'int32', 'int64', 'bool');
    const rank = y.shape.length;
    const rawAxis = numberOption(node, 'axis', 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    if (axis < 0 || axis >= rank)
      throw new KernelError(node, `axis ${rawAxis} is outside a rank-${rank} output`);
    const outQ = y.quantization;
    let axisSum = 0;
    const blocks = new Int32Array(n);
    const inner = y.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (let k = 0; k < n; k++) {
      const x = input(node, k);
      if (x.type !== y.type)
        throw new KernelError(node, `input ${k} has type ${x.type}; the output is ${y.type}`);
      const compatible =
        x.shape.length === rank && x.shape.every((d, i) => i === axis || d === y.shape[i]);
      if (!compatible) {
        throw new KernelError(
          node,
          `input ${k} [${x.shape}] does not fit output [${y.shape}] along axis ${axis}`,
        );
      }
      if (x.type === 'int8') {
        const q = x.quantization;
        if (
          q?.scale[0] !== outQ?.scale[0] ||
          (q?.zeroPoint[0] ?? 0) !== (outQ?.zeroPoint[0] ?? 0)
        ) {
          throw new KernelError(
            node,
            `int8 input ${k} must share the output's scale and zero point`,
          );
        }
      }
      if (x.type === 'int16' && (x.quantization?.zeroPoint[0] ?? 0) !== 0) {
        throw new KernelError(node, `int16 input ${k} must have zero point 0`);
      }
      axisSum += x.shape[axis];
      blocks[k] = x.shape[axis] * inner;
    }
    if (axisSum !== y.shape[axis]) {
      throw new KernelError(
        node,
        `inputs add up to ${axisSum} along axis ${axis}; the output has ${y.shape[axis]}`,
      );
    }
    const outer = y.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    return { p: { outer, blocks }, views: new Array(n) };
  },
  eval(node, data) {
    for (let k = 0; k < data.views.length; k++) data.views[k] = node.inputs[k]!.data;
    concatenate(data.p, data.views, node.outputs[0].data as unknown as { [i: number]: unknown });
  },
};
