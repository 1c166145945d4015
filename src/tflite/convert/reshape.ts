/**
 * Flatten and Reshape layers, and the RESHAPE op every lowering uses (Conv1D
 * and the 1-D pools to 2-D ops, global pools back to [batch, channels]).
 *
 * RESHAPE is written the way both generations of TensorFlow's converter are
 * read: the new shape as a constant int32 second input (what the MLIR
 * converter writes and TFLite/TFLM read first) and as ReshapeOptions.new_shape
 * (what TOCO wrote; micro_speech_quantized.tflite has both).
 */
import { BuiltinOperator, elementCount } from '../model';
import type { GraphBuilder } from './graph-builder';
import { inputShape, layerError, type LayerConverter } from './context';

/** Emits RESHAPE of `input` to `shape` (concrete dimensions) and returns its output. */
export function emitReshape(g: GraphBuilder, input: number, shape: number[], name: string): number {
  const from = g.tensors[input].shape;
  if (elementCount(from) !== elementCount(shape)) {
    throw new Error(`internal: cannot reshape [${from}] to [${shape}]`);
  }
  const shapeTensor = g.int32(`${name}/shape`, shape);
  const out = g.addTensor(name, shape, g.tensors[input].type);
  g.addOperator(BuiltinOperator.RESHAPE, [input, shapeTensor], [out], {
    type: 'ReshapeOptions',
    newShape: shape,
  });
  return out;
}

/** Flatten: [batch, ...] to [batch, product]; already flat inputs pass through. */
export const flatten: LayerConverter = (ctx) => {
  const shape = inputShape(ctx);
  if (shape.length <= 2) return ctx.inputs;
  const [batch, ...rest] = shape;
  return [emitReshape(ctx.g, ctx.inputs[0], [batch, elementCount(rest)], ctx.layer.name)];
};

/**
 * Reshape: to [batch, ...targetShape], with at most one unknown dimension
 * (-1, which tfjs' config reports as null) resolved from the size.
 */
export const reshapeLayer: LayerConverter = (ctx) => {
  const raw = ctx.config.targetShape;
  const target = Array.isArray(raw) ? raw.map((d) => (d === null ? -1 : d)) : undefined;
  if (!target || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
    throw layerError(ctx, `targetShape ${JSON.stringify(raw)} must be positive integers or -1`);
  }
  const shape = inputShape(ctx);
  const [batch, ...rest] = shape;
  const size = elementCount(rest);
  const known = elementCount((target as number[]).filter((d) => d !== -1));
  const unknown = (target as number[]).filter((d) => d === -1).length;
  if (unknown > 1 || (unknown === 1 && (known === 0 || size % known !== 0))) {
    throw layerError(ctx, `cannot reshape [${rest}] to [${target.join(', ')}]`);
  }
  const resolved = (target as number[]).map((d) => (d === -1 ? size / known : d));
  if (elementCount(resolved) !== size) {
    throw layerError(ctx, `cannot reshape [${rest}] (${size} values) to [${resolved}]`);
  }
  return [emitReshape(ctx.g, ctx.inputs[0], [batch, ...resolved], ctx.layer.name)];
};
