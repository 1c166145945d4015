/**
 * The contract of a kernel, after TFLite Micro (micro/kernels/*.cc): prepare()
 * checks shapes and types once and computes everything invoke needs (the
 * OpData: quantization multipliers, activation ranges, strides) and asks for
 * scratch memory; eval() only dispatches on type to a reference function over
 * typed arrays.
 *
 * As in TFLM, prepare() runs before the arena is planned: it may read constant
 * tensors (weights, paddings, axes) but not activations, whose `data` is an
 * empty view until the interpreter binds the planned arena. Scratch buffers
 * requested in prepare() (TFLM RequestScratchBufferInArena) are planned with
 * the tensors, live only during their operator's step, and appear in
 * `node.scratch` in request order (TFLM GetScratchBuffer).
 */
import type { ActivationName, BuiltinOptions, TensorTypeName } from '../tflite/model';
import type { RuntimeTensor, TypedData } from './tensor';
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
  /** Scratch buffers asked for in prepare(), bound before the first eval(). */
  scratch: TypedData[];
}

export interface PrepareContext {
  /** Asks for `count` elements of `type` in the arena for this operator; returns its index in node.scratch. */
  requestScratch(type: TensorTypeName, count: number): number;
}

export interface Kernel<OpData = unknown> {
  prepare(node: NodeContext, ctx: PrepareContext): OpData;
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

/** The input at `i`, or null when the model omits it. */
export function optionalInput(node: NodeContext, i: number): RuntimeTensor | null {
  return node.inputs[i] ?? null;
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

export function expectRank(node: NodeContext, t: RuntimeTensor, ...ranks: number[]): void {
  if (!ranks.includes(t.shape.length)) {
    throw new KernelError(
      node,
      `tensor "${t.name}" has shape [${t.shape}]; expected rank ${ranks.join(' or ')}`,
    );
  }
}

export function expectConstant(node: NodeContext, t: RuntimeTensor, what: string): void {
  if (!t.isConstant) {
    throw new KernelError(node, `${what} "${t.name}" must be a constant tensor`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Per-tensor scale and zero point (the first entry of the tensor's quantization). */
export function quantParams(t: RuntimeTensor): { scale: number; zeroPoint: number } {
  const q = t.quantization;
  return { scale: q?.scale[0] ?? 0, zeroPoint: q?.zeroPoint[0] ?? 0 };
}

/** The tensor's quantization, which a quantized kernel requires. */
export function requireQuantization(
  node: NodeContext,
  t: RuntimeTensor,
): { scale: number; zeroPoint: number } {
  if (!t.quantization || t.quantization.scale.length === 0) {
    throw new KernelError(node, `${t.type} tensor "${t.name}" has no quantization parameters`);
  }
  return quantParams(t);
}

export function fusedActivation(node: NodeContext): ActivationName {
  return (node.options?.fusedActivationFunction as ActivationName | undefined) ?? 'NONE';
}

export function numberOption(node: NodeContext, name: string, fallback: number): number {
  const v = node.options?.[name];
  return typeof v === 'number' ? v : fallback;
}
