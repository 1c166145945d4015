/**
 * How each op is quantized to full integer, from the TFLite quantization
 * specification's op table
 * (https://www.tensorflow.org/lite/performance/quantization_spec) and, for
 * the 16x8 scheme, the constraints of TFLite / TFLM's int16 kernels:
 * which input holds the weights (and along which axis they are quantized
 * per channel), which holds the bias, and how the output's parameters are
 * chosen: from its calibrated range, equal to the input's (ops that only
 * move values), or fixed by the op.
 */
import { BuiltinOperator } from '../../tflite/model';
import type { QuantParams } from './arithmetic';

export type ActivationType = 'int8' | 'int16';

/** Output parameters the op's integer kernels require, per activation type. */
export type FixedOutput = Record<ActivationType, QuantParams>;

export interface WeightRule {
  input: number;
  /** The per-channel axis: the output channel of the weight tensor. */
  axis: number;
  /**
   * 'always': per channel (the spec's "per-axis" for convolutions);
   * 'option': per tensor unless per-channel is asked for (FULLY_CONNECTED,
   * which TF's converter quantizes per tensor by default).
   */
  perChannel: 'always' | 'option';
}

export interface OpRule {
  weights?: WeightRule;
  bias?: number;
  output: 'calibrated' | 'input' | FixedOutput;
  /**
   * Inputs must carry the output's scale and zero point (the spec's "input
   * and outputs must all have same scale/zero_point"): the integer kernels
   * copy or compare raw values. An input with other parameters is
   * requantized by a QUANTIZE op in front of the op, as TF's quantizer does.
   */
  inputsShareOutput?: boolean;
}

// Output constraints (spec op table; TFLM softmax_common.cc, logistic_common.cc
// and tanh.cc require exactly these, int16 ones as power-of-two 2^-15 scales).
const SOFTMAX_OUT: FixedOutput = {
  int8: { scale: 1 / 256, zeroPoint: -128 },
  int16: { scale: 1 / 32768, zeroPoint: 0 },
};
const LOGISTIC_OUT: FixedOutput = SOFTMAX_OUT;
const TANH_OUT: FixedOutput = {
  int8: { scale: 1 / 128, zeroPoint: 0 },
  int16: { scale: 1 / 32768, zeroPoint: 0 },
};

/** Integer quantization rules by builtin op code. */
export const INTEGER_RULES: ReadonlyMap<number, OpRule> = new Map<number, OpRule>([
  [
    BuiltinOperator.FULLY_CONNECTED,
    { weights: { input: 1, axis: 0, perChannel: 'option' }, bias: 2, output: 'calibrated' },
  ],
  [
    BuiltinOperator.CONV_2D,
    // Weights [out, kh, kw, in]: per-axis along dimension 0 (spec).
    { weights: { input: 1, axis: 0, perChannel: 'always' }, bias: 2, output: 'calibrated' },
  ],
  [
    BuiltinOperator.DEPTHWISE_CONV_2D,
    // Weights [1, kh, kw, out]: per-axis along dimension 3 (spec).
    { weights: { input: 1, axis: 3, perChannel: 'always' }, bias: 2, output: 'calibrated' },
  ],
  [BuiltinOperator.RELU, { output: 'calibrated' }],
  [BuiltinOperator.RELU6, { output: 'calibrated' }],
  [BuiltinOperator.LEAKY_RELU, { output: 'calibrated' }],
  [BuiltinOperator.ADD, { output: 'calibrated' }],
  [BuiltinOperator.MUL, { output: 'calibrated' }],
  [BuiltinOperator.CONCATENATION, { output: 'calibrated', inputsShareOutput: true }],
  [BuiltinOperator.MAXIMUM, { output: 'calibrated', inputsShareOutput: true }],
  [BuiltinOperator.MINIMUM, { output: 'calibrated', inputsShareOutput: true }],
  [BuiltinOperator.SOFTMAX, { output: SOFTMAX_OUT }],
  [BuiltinOperator.LOGISTIC, { output: LOGISTIC_OUT }],
  [BuiltinOperator.TANH, { output: TANH_OUT }],
  // Ops that only move or select values: the spec requires the same scale and
  // zero point on input and output.
  [BuiltinOperator.RESHAPE, { output: 'input' }],
  [BuiltinOperator.SQUEEZE, { output: 'input' }],
  [BuiltinOperator.MAX_POOL_2D, { output: 'input' }],
  [BuiltinOperator.AVERAGE_POOL_2D, { output: 'input' }],
  // PAD fills with the zero point, which stands for 0.0 only in the input's
  // own parameters.
  [BuiltinOperator.PAD, { output: 'input' }],
]);

export function integerOps(): string[] {
  return [...INTEGER_RULES.keys()].map((c) => BuiltinOperator[c]).sort();
}
