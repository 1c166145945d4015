/**
 * FULLY_CONNECTED's reference loops, float and integer, and their parameters
 * (fully-connected.ts prepares them and dispatches; LSTM steps call them on
 * one time slice). The integer loop follows TFLite's reference_integer_ops
 * fully_connected: int32 accumulation (int64 for 16x8 with an int64 bias),
 * then TFLM's MultiplyByQuantizedMultiplier.
 */
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
} from '../quant/multiplier';

export interface FullyConnectedShape {
  batches: number;
  accumDepth: number;
  outputDepth: number;
}

export interface FullyConnectedFloatParams extends FullyConnectedShape {
  activationMin: number;
  activationMax: number;
}

export interface FullyConnectedQuantParams extends FullyConnectedShape {
  inputOffset: number;
  weightsOffset: number;
  outputOffset: number;
  /** One entry per output channel (a per-tensor multiplier is broadcast). */
  outputMultiplier: Int32Array;
  outputShift: Int32Array;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
  /** bias[o] + input_offset * sum_d w[o, d] when the weights are constant and symmetric. */
  accBase: Float64Array | null;
  bias: Float64Array;
  /** int16 activations with an int64 bias: requantize with the 64-bit variant. */
  int64Accumulator: boolean;
}

/** `inputStart`: where the rows begin in inputData (LSTM steps read one time slice). */
export function fullyConnectedFloat(
  p: FullyConnectedFloatParams,
  inputData: Float32Array,
  weights: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
  inputStart = 0,
): void {
  const { batches, accumDepth, outputDepth, activationMin, activationMax } = p;
  for (let b = 0; b < batches; b++) {
    const inBase = inputStart + b * accumDepth;
    for (let o = 0; o < outputDepth; o++) {
      const wBase = o * accumDepth;
      let total = 0;
      for (let d = 0; d < accumDepth; d++) total += inputData[inBase + d] * weights[wBase + d];
      if (bias) total += bias[o];
      out[b * outputDepth + o] = Math.min(Math.max(total, activationMin), activationMax);
    }
  }
}

/** int8 or int16 activations, int8 weights: the integer reference, generic form. */
export function fullyConnectedQuantized(
  p: FullyConnectedQuantParams,
  inputData: Int8Array | Int16Array,
  weights: Int8Array,
  out: Int8Array | Int16Array,
  inputStart = 0,
): void {
  const { batches, accumDepth, outputDepth, inputOffset, weightsOffset, outputOffset } = p;
  const { outputMultiplier, outputShift, accBase, bias, int64Accumulator } = p;
  const min = p.quantizedActivationMin;
  const max = p.quantizedActivationMax;
  for (let b = 0; b < batches; b++) {
    const inBase = inputStart + b * accumDepth;
    for (let o = 0; o < outputDepth; o++) {
      const wBase = o * accumDepth;
      let acc: number;
      if (accBase) {
        acc = accBase[o];
        for (let d = 0; d < accumDepth; d++) acc += weights[wBase + d] * inputData[inBase + d];
      } else {
        acc = bias[o];
        for (let d = 0; d < accumDepth; d++) {
          acc += (weights[wBase + d] + weightsOffset) * (inputData[inBase + d] + inputOffset);
        }
      }
      let scaled = int64Accumulator
        ? multiplyByQuantizedMultiplier64(acc, outputMultiplier[o], outputShift[o])
        : multiplyByQuantizedMultiplier(acc | 0, outputMultiplier[o], outputShift[o]);
      scaled += outputOffset;
      out[b * outputDepth + o] = scaled < min ? min : scaled > max ? max : scaled;
    }
  }
}
