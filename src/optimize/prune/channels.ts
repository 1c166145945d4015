/**
 * Where a layer's units (Dense) or filters (Conv) go: follows the output of
 * each prunable layer through the layers that keep the channel axis (pooling,
 * dropout, activations, batch normalization, depthwise convolution) and
 * through Flatten, to the layer that consumes it, and says which slices of
 * which weights must shrink when units are removed. Only a chain of layers
 * (a Sequential model, or a functional model without branches) is traced.
 *
 * Layouts are tfjs's (channels last): Dense kernel [in, out], Conv1D
 * [k, in, out], Conv2D [kh, kw, in, out], DepthwiseConv2D [kh, kw, in, mult]
 * with output channel c·mult + j, and Flatten of [..., C] puts channel c of
 * position p at p·C + c.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { UnsupportedError } from '../../errors';

/** Layers whose units or filters can be removed, with the kernel axes. */
export const PRODUCERS: Record<string, { configKey: string; inAxis: number; outAxis: number }> = {
  Dense: { configKey: 'units', inAxis: 0, outAxis: 1 },
  Conv1D: { configKey: 'filters', inAxis: 1, outAxis: 2 },
  Conv2D: { configKey: 'filters', inAxis: 2, outAxis: 3 },
};

/** Layers that leave the last (channel) axis as it is. */
const PASS_THROUGH = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'ThresholdedReLU',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
]);

/** How one weight of one layer is sliced: keep `indices` along `axis`. */
export interface WeightSlice {
  layer: string;
  weight: string;
  axis: number;
  indices: number[];
}

export interface UnitPlan {
  layer: string;
  className: string;
  configKey: string;
  units: number;
  keep: number[];
}

function chainOf(model: tfTypes.LayersModel): tfTypes.layers.Layer[] {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  layers.forEach((layer, i) => {
    const nodes = (
      layer as unknown as { inboundNodes: { inboundLayers: tfTypes.layers.Layer[] }[] }
    ).inboundNodes;
    const from = nodes[0]?.inboundLayers ?? [];
    const expected = i === 0 ? undefined : layers[i - 1];
    const ok =
      nodes.length === 1 &&
      (expected
        ? from.length === 1 && from[0] === expected
        : from.length <= 1 && (from.length === 0 || from[0].getClassName() === 'InputLayer'));
    if (!ok) {
      throw new UnsupportedError(
        `structured pruning needs a chain of layers (a Sequential model); layer "${layer.name}" (${layer.getClassName()}) is not fed by the layer before it alone`,
      );
    }
  });
  return layers;
}

function channelsLast(layer: tfTypes.layers.Layer): boolean {
  const f = (layer.getConfig() as { dataFormat?: unknown }).dataFormat;
  return f === undefined || f === 'channelsLast';
}

function lastAxisIsChannels(layer: tfTypes.layers.Layer): boolean {
  const axis = (layer.getConfig() as { axis?: unknown }).axis;
  const rank = (layer.outputShape as number[]).length;
  return (
    axis === -1 ||
    axis === rank - 1 ||
    (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === rank - 1))
  );
}

/**
 * Follows the channels `keep` (of `size`) leaving chain[start - 1] and
 * returns the slices the layers downstream need, ending at the consumer;
 * throws UnsupportedError naming the layer that blocks the way.
 */
export function traceConsumer(
  chain: tfTypes.layers.Layer[],
  start: number,
  keep: number[],
  size: number,
): WeightSlice[] {
  const slices: WeightSlice[] = [];
  let indices = keep;
  let width = size;
  for (let i = start; i < chain.length; i++) {
    const layer = chain[i];
    const cls = layer.getClassName();
    const producer = PRODUCERS[cls];
    if (producer) {
      if (cls !== 'Dense' && !channelsLast(layer)) break;
      slices.push({ layer: layer.name, weight: 'kernel', axis: producer.inAxis, indices });
      return slices;
    }
    if (PASS_THROUGH.has(cls)) {
      if (!channelsLast(layer)) break;
      if (cls === 'PReLU') {
        slices.push({
          layer: layer.name,
          weight: 'alpha',
          axis: (layer.getWeights()[0]?.shape.length ?? 1) - 1,
          indices,
        });
      }
      continue;
    }
    if (cls === 'BatchNormalization') {
      if (!lastAxisIsChannels(layer)) break;
      for (const weight of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
        slices.push({ layer: layer.name, weight, axis: 0, indices });
      }
      continue;
    }
    if (cls === 'DepthwiseConv2D') {
      if (!channelsLast(layer)) break;
      const mult = Number((layer.getConfig() as { depthMultiplier?: number }).depthMultiplier ?? 1);
      slices.push({ layer: layer.name, weight: 'depthwise_kernel', axis: 2, indices });
      const out = indices.flatMap((c) => Array.from({ length: mult }, (_, j) => c * mult + j));
      if ((layer.getConfig() as { useBias?: boolean }).useBias !== false) {
        slices.push({ layer: layer.name, weight: 'bias', axis: 0, indices: out });
      }
      indices = out;
      width *= mult;
      continue;
    }
    if (cls === 'Flatten') {
      if (!channelsLast(layer)) break;
      const inShape = chain[i - 1]?.outputShape as number[];
      const positions = inShape.slice(1, -1).reduce((a, b) => a * b, 1);
      const flat: number[] = [];
      for (let p = 0; p < positions; p++) for (const c of indices) flat.push(p * width + c);
      indices = flat;
      width *= positions;
      continue;
    }
    throw new UnsupportedError(
      `structured pruning cannot follow channels through layer "${layer.name}" (${cls})`,
    );
  }
  throw new UnsupportedError(
    chain.slice(start).some((l) => !channelsLast(l))
      ? `the output of layer "${chain[start - 1]?.name}" passes a channels-first layer`
      : `its units are the model's outputs`,
  );
}

/** A weight's short name ("kernel") from its original name ("dense_1/kernel"). */
function shortName(w: tfTypes.LayerVariable): string {
  return w.originalName.split('/').pop() ?? w.originalName;
}

/**
 * Importance of each output unit (filter) of a kernel: the L1 norm of its
 * incoming weights, the criterion of Li et al. 2017, "Pruning Filters for
 * Efficient ConvNets" (arXiv:1608.08710, sec. 3.1).
 */
export function unitNorms(kernel: Float32Array, shape: number[], outAxis: number): Float64Array {
  const units = shape[outAxis];
  const inner = shape.slice(outAxis + 1).reduce((a, b) => a * b, 1);
  const norms = new Float64Array(units);
  for (let i = 0; i < kernel.length; i++)
    norms[Math.floor(i / inner) % units] += Math.abs(kernel[i]);
  return norms;
}

/** Indices of the `count` largest norms, in ascending index order (ties to the lower index). */
export function keepLargest(norms: ArrayLike<number>, count: number): number[] {
  const order = Array.from({ length: norms.length }, (_, i) => i);
  order.sort((a, b) => norms[b] - norms[a] || a - b);
  return order.slice(0, count).sort((a, b) => a - b);
}

export interface StructuredPlan {
  units: UnitPlan[];
  slices: WeightSlice[];
  /** Prunable-looking layers left whole, and why. */
  skipped: { layer: string; reason: string }[];
}

/**
 * Plans the removal of `fraction` of the units of every layer whose output
 * can be followed to a consumer (so never the model's output layer): keeps
 * the n − round(fraction·n) units with the largest norms (at least one).
 */
export function planStructured(model: tfTypes.LayersModel, fraction: number): StructuredPlan {
  const chain = chainOf(model);
  const plan: StructuredPlan = { units: [], slices: [], skipped: [] };
  chain.forEach((layer, i) => {
    const cls = layer.getClassName();
    const producer = PRODUCERS[cls];
    if (!producer) return;
    const kernelVar = layer.weights.find((w) => shortName(w) === 'kernel');
    if (!kernelVar) return;
    const shape = kernelVar.shape as number[];
    const units = shape[producer.outAxis];
    let downstream: WeightSlice[];
    const keepCount = Math.max(1, units - Math.round(fraction * units));
    const keep = keepLargest(
      unitNorms(kernelVar.read().dataSync() as Float32Array, shape, producer.outAxis),
      keepCount,
    );
    try {
      if (cls !== 'Dense' && !channelsLast(layer)) {
        throw new UnsupportedError(`layer "${layer.name}" is channels-first`);
      }
      downstream = traceConsumer(chain, i + 1, keep, units);
    } catch (err) {
      if (!(err instanceof UnsupportedError)) throw err;
      plan.skipped.push({ layer: layer.name, reason: err.message });
      return;
    }
    if (keep.length === units) {
      plan.skipped.push({
        layer: layer.name,
        reason: `${units} unit(s): none to remove at ${fraction}`,
      });
      return;
    }
    plan.units.push({
      layer: layer.name,
      className: cls,
      configKey: producer.configKey,
      units,
      keep,
    });
    plan.slices.push({
      layer: layer.name,
      weight: 'kernel',
      axis: producer.outAxis,
      indices: keep,
    });
    if ((layer.getConfig() as { useBias?: boolean }).useBias !== false) {
      plan.slices.push({ layer: layer.name, weight: 'bias', axis: 0, indices: keep });
    }
    plan.slices.push(...downstream);
  });
  return plan;
}
