/**
 * Explicit op registration, after TFLM's MicroMutableOpResolver: a model can
 * only run ops that were registered, an unknown op fails when the model is
 * loaded (never at invoke), and registering an op twice is an error.
 */
import { BuiltinOperator, opName } from '../tflite/model';
import type { Kernel } from './kernel';
import { fullyConnected } from './kernels/fully-connected';
import { logistic, relu, relu6, tanh } from './kernels/elementwise';
import { reshape } from './kernels/reshape';
import { softmax } from './kernels/softmax';
import { TinymlError } from '../errors';

export class OpResolver {
  private readonly kernels = new Map<number, Kernel>();

  add<OpData>(code: number, kernel: Kernel<OpData>): this {
    if (this.kernels.has(code)) {
      throw new TinymlError('EDUPLICATE', `op ${opName(code)} is already registered`);
    }
    this.kernels.set(code, kernel as Kernel<unknown>);
    return this;
  }

  find(code: number): Kernel | undefined {
    return this.kernels.get(code);
  }

  /** Names of the registered ops, sorted. */
  ops(): string[] {
    return [...this.kernels.keys()].map(opName).sort();
  }
}

/** A resolver with every op this interpreter implements. */
export function allOpsResolver(): OpResolver {
  return new OpResolver()
    .add(BuiltinOperator.FULLY_CONNECTED, fullyConnected)
    .add(BuiltinOperator.RELU, relu)
    .add(BuiltinOperator.RELU6, relu6)
    .add(BuiltinOperator.TANH, tanh)
    .add(BuiltinOperator.LOGISTIC, logistic)
    .add(BuiltinOperator.SOFTMAX, softmax)
    .add(BuiltinOperator.RESHAPE, reshape)
    .add(BuiltinOperator.SQUEEZE, reshape);
}
