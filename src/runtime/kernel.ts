/**
 * The contract of a kernel, after TFLite Micro (micro/kernels/*.cc): prepare()
 * checks shapes and types once and computes everything invoke needs (the
 * OpData: quantization multipliers, activation ranges, strides); eval() only
 * dispatches on type to a reference function over typed arrays.
 */
import type { BuiltinOptions } from '../tflite/model';
import type { RuntimeTensor } from './tensor';
import { TinymlError } from '../errors';

export interface NodeContext {
  /** Operator index in the subgraph, for error messages. */
  index: number;
  opName: string;
  /** null where the model omits an optional input (index -1). */
  inputs: (RuntimeTensor | null)[];
  outputs: RuntimeTensor[];
  options: BuiltinOptions | undefined;
  version: number;
}

export interface Kernel<OpData = unknown> {
  prepare(node: NodeContext): OpData;
  eval(node: NodeContext, data: OpData): void;
}

/** A model whose operator the kernel cannot run (shapes, types, options). */
export class KernelError extends TinymlError {
  constructor(node: Pick<NodeContext, 'index' | 'opName'>, message: string) {
    super('EKERNEL', `${node.opName} (operator ${node.index}): ${message}`);
    this.name = 'KernelError';
  }
}

/** The input at `i`, which must be present. */
export function input(node: NodeContext, i: number): RuntimeTensor {
  const t = node.inputs[i];
  if (!t) throw new KernelError(node, `input ${i} is missing`);
  return t;
}

export function output(node: NodeContext, i: number): RuntimeTensor {
  const t = node.outputs[i];
  if (!t) throw new KernelError(node, `output ${i} is missing`);
  return t;
}

export function expectType(node: NodeContext, t: RuntimeTensor, ...types: string[]): void {
  if (!types.includes(t.type)) {
    throw new KernelError(
      node,
      `tensor "${t.name}" has type ${t.type}; expected ${types.join(' or ')}`,
    );
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
