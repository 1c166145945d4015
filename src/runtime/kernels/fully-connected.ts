/**
 * FULLY_CONNECTED: output[b, o] = act(sum_i input[b, i] * weights[o, i] + bias[o]).
 * Weights are [outputDepth, accumDepth] (TFLite layout); the input is treated as
 * [batches, accumDepth] whatever its rank, as the reference kernel does.
 */
import type { ActivationName } from '../../tflite/model';
import { expectType, input, KernelError, output, type Kernel } from '../kernel';
import { floatActivationRange } from './activation-range';

export interface FullyConnectedParams {
  batches: number;
  accumDepth: number;
  outputDepth: number;
  activationMin: number;
  activationMax: number;
}

export function fullyConnectedFloat(
  p: FullyConnectedParams,
  inputData: Float32Array,
  weights: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  const { batches, accumDepth, outputDepth, activationMin, activationMax } = p;
  for (let b = 0; b < batches; b++) {
    const inBase = b * accumDepth;
    for (let o = 0; o < outputDepth; o++) {
      const wBase = o * accumDepth;
      let total = 0;
      for (let d = 0; d < accumDepth; d++) total += inputData[inBase + d] * weights[wBase + d];
      if (bias) total += bias[o];
      out[b * outputDepth + o] = Math.min(Math.max(total, activationMin), activationMax);
    }
  }
}

export const fullyConnected: Kernel<FullyConnectedParams> = {
  prepare(node) {
    const x = input(node, 0);
    const w = input(node, 1);
    const bias = node.inputs[2] ?? null;
    const y = output(node, 0);
    expectType(node, x, 'float32');
    expectType(node, w, 'float32');
    expectType(node, y, 'float32');
    if (w.shape.length !== 2) throw new KernelError(node, `weights must be 2-D, got [${w.shape}]`);
    const [outputDepth, accumDepth] = w.shape;
    if (x.data.length % accumDepth !== 0) {
      throw new KernelError(
        node,
        `input of ${x.data.length} values is not a multiple of ${accumDepth}`,
      );
    }
    if (bias && bias.data.length !== outputDepth) {
      throw new KernelError(node, `bias has ${bias.data.length} values, expected ${outputDepth}`);
    }
    const batches = x.data.length / accumDepth;
    if (y.data.length !== batches * outputDepth) {
      throw new KernelError(
        node,
        `output has ${y.data.length} values, expected ${batches * outputDepth}`,
      );
    }
    const act = node.options?.fusedActivationFunction as ActivationName | undefined;
    const [activationMin, activationMax] = floatActivationRange(act);
    return { batches, accumDepth, outputDepth, activationMin, activationMax };
  },
  eval(node, p) {
    const bias = node.inputs[2];
    fullyConnectedFloat(
      p,
      node.inputs[0]!.data as Float32Array,
      node.inputs[1]!.data as Float32Array,
      bias ? (bias.data as Float32Array) : null,
      node.outputs[0].data as Float32Array,
    );
  },
};
