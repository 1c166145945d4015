/**
 * Explicit op registration, after TFLM's MicroMutableOpResolver: a model can
 * only run ops that were registered, an unknown op fails when the model is
 * loaded (never at invoke), and registering an op twice is an error.
 */
import { BuiltinOperator, opName } from '../tflite/model';
import type { Kernel } from './kernel';
import { add } from './kernels/add';
import { averagePool2d } from './kernels/average-pool-2d';
import { concatenation } from './kernels/concatenation';
import { conv2d } from './kernels/conv-2d';
import { depthwiseConv2d } from './kernels/depthwise-conv-2d';
import { dequantizeKernel } from './kernels/dequantize';
import { fullyConnected } from './kernels/fully-connected';
import { logistic } from './kernels/logistic';
import { maxPool2d } from './kernels/max-pool-2d';
import { mean } from './kernels/mean';
import { mul } from './kernels/mul';
import { padKernel } from './kernels/pad';
import { quantize } from './kernels/quantize';
import { relu } from './kernels/relu';
import { relu6 } from './kernels/relu6';
import { reshape } from './kernels/reshape';
import { softmax } from './kernels/softmax';
import { squeeze } from './kernels/squeeze';
import { svdf } from './kernels/svdf';
import { tanh } from './kernels/tanh';
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
    .add(BuiltinOperator.ADD, add)
    .add(BuiltinOperator.AVERAGE_POOL_2D, averagePool2d)
    .add(BuiltinOperator.CONCATENATION, concatenation)
    .add(BuiltinOperator.CONV_2D, conv2d)
    .add(BuiltinOperator.DEPTHWISE_CONV_2D, depthwiseConv2d)
    .add(BuiltinOperator.DEQUANTIZE, dequantizeKernel)
    .add(BuiltinOperator.FULLY_CONNECTED, fullyConnected)
    .add(BuiltinOperator.LOGISTIC, logistic)
    .add(BuiltinOperator.MAX_POOL_2D, maxPool2d)
    .add(BuiltinOperator.MEAN, mean)
    .add(BuiltinOperator.MUL, mul)
    .add(BuiltinOperator.PAD, padKernel)
    .add(BuiltinOperator.PADV2, padKernel)
    .add(BuiltinOperator.QUANTIZE, quantize)
    .add(BuiltinOperator.RELU, relu)
    .add(BuiltinOperator.RELU6, relu6)
    .add(BuiltinOperator.RESHAPE, reshape)
    .add(BuiltinOperator.SOFTMAX, softmax)
    .add(BuiltinOperator.SQUEEZE, squeeze)
    .add(BuiltinOperator.SVDF, svdf)
    .add(BuiltinOperator.TANH, tanh);
}
