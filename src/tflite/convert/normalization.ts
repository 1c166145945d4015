/**
 * BatchNormalization at inference: y = (x - mean) / sqrt(variance + epsilon)
 * * gamma + beta, i.e. y = x * scale + shift per channel with
 * scale = gamma / sqrt(variance + epsilon) and shift = beta - mean * scale.
 * It is written as MUL and ADD with constant per-channel vectors; fuse.ts then
 * folds the pair into the convolution or FULLY_CONNECTED before it when it
 * can (TensorFlow's converter does the same), so only a batch norm that
 * follows something else (an input, a pool, an add) stays as MUL + ADD.
 */
import { BuiltinOperator } from '../model';
import { inputShape, layerError, weight, type LayerConverter } from './context';

export const batchNormalization: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const shape = inputShape(ctx);
  const rank = shape.length;
  const rawAxis = ctx.config.axis ?? -1;
  const axisList = Array.isArray(rawAxis) ? rawAxis : [rawAxis];
  if (axisList.length !== 1 || typeof axisList[0] !== 'number') {
    throw layerError(ctx, `normalising over axes ${JSON.stringify(rawAxis)} is not supported`);
  }
  const axis = axisList[0] < 0 ? axisList[0] + rank : axisList[0];
  if (axis <= 0 || axis >= rank) {
    throw layerError(ctx, `axis ${String(rawAxis)} is not a feature axis of shape [${shape}]`);
  }
  const channels = shape[axis];
  const epsilon = Number(ctx.config.epsilon ?? 1e-3);
  const mean = weight(ctx, 'moving_mean').values;
  const variance = weight(ctx, 'moving_variance').values;
  const gamma = ctx.config.scale === false ? undefined : weight(ctx, 'gamma').values;
  const beta = ctx.config.center === false ? undefined : weight(ctx, 'beta').values;
  if (mean.length !== channels) {
    throw layerError(ctx, `has ${mean.length} statistics for ${channels} channels`);
  }
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    // Same order of float operations as tf.batchNorm: rsqrt(var + eps) * gamma.
    scale[c] = (1 / Math.sqrt(variance[c] + epsilon)) * (gamma ? gamma[c] : 1);
    shift[c] = (beta ? beta[c] : 0) - mean[c] * scale[c];
  }
  // Channels last broadcast as a vector; any other axis as [C, 1, ..., 1].
  const constShape =
    axis === rank - 1 ? [channels] : [channels, ...new Array(rank - 1 - axis).fill(1)];
  const mul = g.addTensor(`${layer.name}/mul`, shape);
  g.addOperator(
    BuiltinOperator.MUL,
    [ctx.inputs[0], g.constant(`${layer.name}/scale`, constShape, scale)],
    [mul],
    { type: 'MulOptions' },
  );
  const out = g.addTensor(layer.name, shape);
  g.addOperator(
    BuiltinOperator.ADD,
    [mul, g.constant(`${layer.name}/shift`, constShape, shift)],
    [out],
    { type: 'AddOptions' },
  );
  return [out];
};

/**
 * Rescaling (x * scale + offset): a scalar or one value per channel of the
 * last axis. Written as MUL then ADD with constant vectors, in tfjs's order;
 * an identity factor or a zero offset is left out.
 */
export const rescaling: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const shape = inputShape(ctx);
  const channels = shape[shape.length - 1];
  const vector = (key: 'scale' | 'offset', fallback: number): Float32Array => {
    const raw = ctx.config[key] ?? fallback;
    const list = typeof raw === 'number' ? [raw] : raw;
    if (
      !Array.isArray(list) ||
      !list.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
      (list.length !== 1 && list.length !== channels)
    ) {
      throw layerError(
        ctx,
        `${key} must be a number or ${channels} numbers (one per channel of [${shape}])`,
      );
    }
    return Float32Array.from(list as number[]);
  };
  const scale = vector('scale', 1);
  const offset = vector('offset', 0);
  let x = ctx.inputs[0];
  if (scale.some((v) => v !== 1)) {
    const out = g.addTensor(`${layer.name}/mul`, shape);
    g.addOperator(
      BuiltinOperator.MUL,
      [x, g.constant(`${layer.name}/scale`, [scale.length], scale)],
      [out],
      { type: 'MulOptions' },
    );
    x = out;
  }
  if (offset.some((v) => v !== 0)) {
    const out = g.addTensor(`${layer.name}/add`, shape);
    g.addOperator(
      BuiltinOperator.ADD,
      [x, g.constant(`${layer.name}/offset`, [offset.length], offset)],
      [out],
      { type: 'AddOptions' },
    );
    x = out;
  }
  return [x];
};
