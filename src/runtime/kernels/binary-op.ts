/**
 * The shared shape of element-wise binary kernels with broadcasting (ADD,
 * SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU): prepare() checks
 * the types, builds the BroadcastPlan and the per-element function once
 * (with its quantization data closed over); eval() walks the plan.
 */
import { input, KernelError, output, type Kernel, type NodeContext } from '../kernel';
import type { RuntimeTensor } from '../tensor';
import { BroadcastPlan } from './broadcast';

type Num = Float32Array | Int32Array | Int16Array | Int8Array;
export type ElementFn = (a: number, b: number) => number;

export interface BinaryData {
  plan: BroadcastPlan;
  fn: ElementFn;
}

/** Applies fn over the broadcast inputs; rows of the innermost dimension at a time. */
export function binary(plan: BroadcastPlan, x1: Num, x2: Num, y: Num, fn: ElementFn): void {
  if (plan.same) {
    for (let i = 0; i < plan.size; i++) y[i] = fn(x1[i], x2[i]);
    return;
  }
  const n = plan.rowLength;
  const s1 = plan.rowStride1;
  const s2 = plan.rowStride2;
  plan.start();
  for (let r = 0; r < plan.rows; r++) {
    const b1 = plan.base1;
    const b2 = plan.base2;
    const bo = plan.baseOut;
    for (let i = 0; i < n; i++) y[bo + i] = fn(x1[b1 + i * s1], x2[b2 + i * s2]);
    plan.next();
  }
}

/**
 * A binary kernel: the output must have one of `types`; with `sameTypes`
 * both inputs must have the output's type (PRELU checks its alpha itself).
 */
export function binaryKernel(
  types: readonly string[],
  elementFn: (node: NodeContext, a: RuntimeTensor, b: RuntimeTensor, y: RuntimeTensor) => ElementFn,
  sameTypes = true,
): Kernel<BinaryData> {
  return {
    prepare(node) {
      const a = input(node, 0);
      const b = input(node, 1);
      const y = output(node, 0);
      if (!types.includes(y.type)) {
        throw new KernelError(
          node,
          `output "${y.name}" has type ${y.type}; expected ${types.join(' or ')}`,
        );
      }
      if (sameTypes && (a.type !== y.type || b.type !== y.type)) {
        throw new KernelError(
          node,
          `input types ${a.type}, ${b.type} and output type ${y.type} must match`,
        );
      }
      const plan = new BroadcastPlan(node, a, b, y);
      return { plan, fn: elementFn(node, a, b, y) };
    },
    eval(node, data) {
      binary(
        data.plan,
        node.inputs[0]!.data as Num,
        node.inputs[1]!.data as Num,
        node.outputs[0].data as Num,
        data.fn,
      );
    },
  };
}
