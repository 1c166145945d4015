/**
 * One converter per Keras layer class: each takes the layer, its config and
 * weights and the TFLite tensors of its inputs, emits TFLite operators into
 * the GraphBuilder and returns the tensors of its outputs. TFLite layouts are
 * those of TensorFlow's own converter (FULLY_CONNECTED weights are
 * [out, in], activations are NHWC, the batch dimension is 1).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { BuiltinOperator } from '../model';
import type { GraphBuilder } from './graph-builder';
import { UnsupportedError } from '../../errors';

export interface LayerContext {
  g: GraphBuilder;
  layer: tfTypes.layers.Layer;
  config: Record<string, unknown>;
  /** Weight values by their short name ("kernel", "bias", ...). */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  inputs: number[];
}

export type LayerConverter = (ctx: LayerContext) => number[];

/** Keras activations with their TFLite form: a fused code or a separate op. */
const ACTIVATION_OPS: Record<string, { fused?: 'RELU' | 'RELU6'; op?: number }> = {
  linear: {},
  relu: { fused: 'RELU' },
  relu6: { fused: 'RELU6' },
  tanh: { op: BuiltinOperator.TANH },
  sigmoid: { op: BuiltinOperator.LOGISTIC },
  softmax: { op: BuiltinOperator.SOFTMAX },
};

export const SUPPORTED_ACTIVATIONS = Object.keys(ACTIVATION_OPS);

export function activationOf(ctx: LayerContext): string {
  const a = ctx.config.activation;
  const name = typeof a === 'string' ? a : 'linear';
  if (!(name in ACTIVATION_OPS)) {
    throw new UnsupportedError(
      `layer "${ctx.layer.name}" (${ctx.layer.getClassName()}): activation "${name}" is not supported; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
    );
  }
  return name;
}

/** The fused activation for an op that supports one, or NONE. */
export function fusedActivation(activation: string): 'NONE' | 'RELU' | 'RELU6' {
  return ACTIVATION_OPS[activation].fused ?? 'NONE';
}

/**
 * Emits the separate op an activation needs after `input` (tanh, logistic,
 * softmax), or returns `input` when the activation was fused or is linear.
 */
export function applyActivation(
  ctx: LayerContext,
  activation: string,
  input: number,
  outputName: string,
): number {
  const op = ACTIVATION_OPS[activation].op;
  if (op === undefined) return input;
  const t = ctx.g.tensors[input];
  const out = ctx.g.addTensor(outputName, t.shape);
  const options = op === BuiltinOperator.SOFTMAX ? { type: 'SoftmaxOptions', beta: 1 } : undefined;
  ctx.g.addOperator(op, [input], [out], options);
  return out;
}

function weight(ctx: LayerContext, name: string): { shape: number[]; values: Float32Array } {
  const w = ctx.weights.get(name);
  if (!w) throw new UnsupportedError(`layer "${ctx.layer.name}" has no weight "${name}"`);
  return w;
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}

const dense: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const input = ctx.inputs[0];
  const inShape = g.tensors[input].shape;
  if (inShape.length !== 2) {
    throw new UnsupportedError(
      `layer "${layer.name}" (Dense): input of rank ${inShape.length} is not supported; flatten it first`,
    );
  }
  const kernel = weight(ctx, 'kernel');
  const [inUnits, units] = kernel.shape;
  const activation = activationOf(ctx);
  const w = g.addTensor(
    `${layer.name}/kernel`,
    [units, inUnits],
    'float32',
    transpose2d(kernel.values, inUnits, units),
  );
  const inputs = [input, w];
  if (ctx.config.useBias !== false) {
    const bias = weight(ctx, 'bias');
    inputs.push(g.addTensor(`${layer.name}/bias`, [units], 'float32', bias.values));
  } else {
    inputs.push(-1);
  }
  const fused = fusedActivation(activation);
  const needsOp = ACTIVATION_OPS[activation].op !== undefined;
  const out = g.addTensor(needsOp ? `${layer.name}/MatMul` : layer.name, [inShape[0], units]);
  g.addOperator(BuiltinOperator.FULLY_CONNECTED, inputs, [out], {
    type: 'FullyConnectedOptions',
    fusedActivationFunction: fused,
  });
  return [applyActivation(ctx, activation, out, layer.name)];
};

const activationLayer: LayerConverter = (ctx) => {
  const activation = activationOf(ctx);
  const input = ctx.inputs[0];
  const fused = fusedActivation(activation);
  if (fused !== 'NONE') {
    const out = ctx.g.addTensor(ctx.layer.name, ctx.g.tensors[input].shape);
    const op = fused === 'RELU' ? BuiltinOperator.RELU : BuiltinOperator.RELU6;
    ctx.g.addOperator(op, [input], [out]);
    return [out];
  }
  return [applyActivation(ctx, activation, input, ctx.layer.name)];
};

/** Layers that do nothing at inference time. */
const identity: LayerConverter = (ctx) => ctx.inputs;

export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Dense: dense,
  Activation: activationLayer,
  Dropout: identity,
};
