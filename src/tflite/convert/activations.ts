/**
 * Keras activations in TFLite, as TensorFlow's converter writes them: relu
 * and relu6 fuse into the op before them (fused_activation_function), tanh,
 * sigmoid and softmax are ops of their own (TANH, LOGISTIC, SOFTMAX with beta
 * 1), linear is nothing. Also the activation layers: Activation, ReLU,
 * LeakyReLU and Softmax.
 */
import { BuiltinOperator } from '../model';
import { layerError, type LayerContext, type LayerConverter } from './context';

type Fused = 'NONE' | 'RELU' | 'RELU6';

/** Keras activations with their TFLite form: a fused code or a separate op. */
const ACTIVATION_OPS: Record<string, { fused?: Fused; op?: number }> = {
  linear: {},
  relu: { fused: 'RELU' },
  relu6: { fused: 'RELU6' },
  tanh: { op: BuiltinOperator.TANH },
  sigmoid: { op: BuiltinOperator.LOGISTIC },
  softmax: { op: BuiltinOperator.SOFTMAX },
};

export const SUPPORTED_ACTIVATIONS = Object.keys(ACTIVATION_OPS);

/** The layer's activation name, checked against what TFLite can express. */
export function activationOf(ctx: LayerContext): string {
  const a = ctx.config.activation;
  const name = typeof a === 'string' ? a : 'linear';
  if (!(name in ACTIVATION_OPS)) {
    throw layerError(
      ctx,
      `activation "${name}" is not supported; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
    );
  }
  return name;
}

/** The fused activation for an op that supports one, or NONE. */
export function fusedActivation(activation: string): Fused {
  return ACTIVATION_OPS[activation].fused ?? 'NONE';
}

/** True when the activation needs an op of its own after the layer's op. */
export function needsActivationOp(activation: string): boolean {
  return ACTIVATION_OPS[activation].op !== undefined;
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
  const out = ctx.g.addTensor(outputName, ctx.g.tensors[input].shape);
  const options = op === BuiltinOperator.SOFTMAX ? { type: 'SoftmaxOptions', beta: 1 } : undefined;
  ctx.g.addOperator(op, [input], [out], options);
  return out;
}

/**
 * The name of the tensor a layer's main op writes: the layer's own name when
 * nothing follows it, else a name for the intermediate.
 */
export function preActivationName(ctx: LayerContext, activation: string, op: string): string {
  return needsActivationOp(activation) ? `${ctx.layer.name}/${op}` : ctx.layer.name;
}

function unary(ctx: LayerContext, op: number, options?: { type: string; [k: string]: unknown }) {
  const input = ctx.inputs[0];
  const out = ctx.g.addTensor(ctx.layer.name, ctx.g.tensors[input].shape);
  ctx.g.addOperator(op, [input], [out], options);
  return [out];
}

/** Activation layer: RELU / RELU6 as ops of their own (fuse.ts may fold them back). */
export const activationLayer: LayerConverter = (ctx) => {
  const activation = activationOf(ctx);
  const fused = fusedActivation(activation);
  if (fused === 'RELU') return unary(ctx, BuiltinOperator.RELU);
  if (fused === 'RELU6') return unary(ctx, BuiltinOperator.RELU6);
  return [applyActivation(ctx, activation, ctx.inputs[0], ctx.layer.name)];
};

/** ReLU layer: max(x, 0), optionally capped at maxValue (only 6 has a TFLite op). */
export const reluLayer: LayerConverter = (ctx) => {
  const maxValue = ctx.config.maxValue;
  if (maxValue === undefined || maxValue === null) return unary(ctx, BuiltinOperator.RELU);
  if (maxValue === 6) return unary(ctx, BuiltinOperator.RELU6);
  throw layerError(ctx, `maxValue ${String(maxValue)} is not supported; supported: none or 6`);
};

/** LeakyReLU layer: LEAKY_RELU with its alpha (TFLM supports it for float and int8). */
export const leakyReluLayer: LayerConverter = (ctx) => {
  const alpha = ctx.config.alpha ?? 0.3;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
    throw layerError(ctx, `alpha must be a number, got ${JSON.stringify(alpha)}`);
  }
  return unary(ctx, BuiltinOperator.LEAKY_RELU, { type: 'LeakyReluOptions', alpha });
};

/** Softmax layer: TFLite's SOFTMAX normalises over the last axis only. */
export const softmaxLayer: LayerConverter = (ctx) => {
  const rank = ctx.g.tensors[ctx.inputs[0]].shape.length;
  const raw = ctx.config.axis ?? -1;
  const axes = Array.isArray(raw) ? raw : [raw];
  if (axes.length !== 1 || typeof axes[0] !== 'number' || (axes[0] + rank) % rank !== rank - 1) {
    throw layerError(
      ctx,
      `softmax over axis ${JSON.stringify(raw)} is not supported; TFLite SOFTMAX uses the last axis (${rank - 1})`,
    );
  }
  return unary(ctx, BuiltinOperator.SOFTMAX, { type: 'SoftmaxOptions', beta: 1 });
};
