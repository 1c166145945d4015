/**
 * Structured pruning of neurons and filters: removes the units (Dense) or
 * filters (Conv) with the smallest L1 norms (channels.ts), rebuilds the
 * layers smaller — their kernels, biases, and the next layer's input rows
 * (through Flatten after a conv) — then fine-tunes. Unlike masked weights,
 * this shrinks the dense model itself: flash, arena and MACs all drop on a
 * device without sparse kernels (TFLite Micro has none).
 *
 * The units go in one shot and the fine-tuning recovers the accuracy, as in
 * Li et al. 2017 ("prune once and retrain", sec. 3.4).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../../model/tf';
import type { Dataset } from '../../model/dataset';
import { datasetTensors, fit, hardLoss } from '../finetune';
import { copyWeights, fromTopology, taskOf, topologyOf, trainingTwin } from '../twin';
import { shortWeightName } from '../report';
import { planStructured, type StructuredPlan, type WeightSlice } from './channels';
import { checkSparsity, defaultEpochs, type FineTuneOptions } from './magnitude';
import { UnsupportedError, ValidationError } from '../../errors';

export interface StructuredOptions extends FineTuneOptions {
  /** Fraction of the units/filters of each prunable layer to remove, in (0, 1). */
  fraction: number;
}

export interface StructuredResult {
  model: tfTypes.LayersModel;
  epochs: number;
  plan: StructuredPlan;
  losses: number[];
}

function sliceKey(layer: string, weight: string): string {
  return `${layer}\u0000${weight}`;
}

/** Builds the smaller model the plan describes, with the kept weights; no training. */
export async function applyPlan(
  model: tfTypes.LayersModel,
  plan: StructuredPlan,
): Promise<tfTypes.LayersModel> {
  const t = tf();
  const json = topologyOf(model);
  for (const u of plan.units) {
    const entry = json.config.layers.find((l) => l.config.name === u.layer);
    if (!entry)
      throw new UnsupportedError(`structured pruning: layer "${u.layer}" not in the topology`);
    entry.config[u.configKey] = u.keep.length;
  }
  const slices = new Map<string, WeightSlice[]>();
  for (const s of plan.slices) {
    const key = sliceKey(s.layer, s.weight);
    slices.set(key, [...(slices.get(key) ?? []), s]);
  }
  const smaller = await fromTopology(json);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      let v = w.read().clone();
      for (const s of slices.get(sliceKey(layer.name, shortWeightName(w))) ?? []) {
        const next = t.gather(v, t.tensor1d(s.indices, 'int32'), s.axis);
        v.dispose();
        v = next;
      }
      return v;
    });
    smaller.getLayer(layer.name).setWeights(values);
    values.forEach((v) => v.dispose());
  }
  return smaller;
}

/**
 * Removes `o.fraction` of the units of each hidden Dense/Conv layer of a copy
 * of `model` and fine-tunes it on `train`; the input model is left as it was.
 */
export async function pruneStructured(
  model: tfTypes.LayersModel,
  train: Dataset,
  o: StructuredOptions,
): Promise<StructuredResult> {
  checkSparsity(o.fraction);
  const batchSize = o.batchSize ?? 32;
  const epochs = o.epochs ?? defaultEpochs(train.xs.length, batchSize);
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new ValidationError(`fine-tuning epochs must be an integer ≥ 0, got ${epochs}`);
  }
  const task = taskOf(model);
  const plan = planStructured(model, o.fraction);
  if (plan.units.length === 0) {
    throw new UnsupportedError(
      `model "${model.name}" has no hidden Dense or Conv layer whose units can be removed` +
        (plan.skipped.length
          ? `: ${plan.skipped.map((s) => `${s.layer}: ${s.reason}`).join('; ')}`
          : ''),
    );
  }
  const smaller = await applyPlan(model, plan);
  const net = await trainingTwin(smaller);
  const { x, y } = datasetTensors(model, train);
  let losses: number[];
  try {
    losses = await fit(net, x, [y], {
      epochs,
      batchSize,
      learningRate: o.learningRate ?? 0.001,
      seed: o.seed ?? 1,
      loss: (out, [yb]) => hardLoss(task, out, yb),
      onEpoch: o.onEpoch,
      signal: o.signal,
    });
  } finally {
    x.dispose();
    y.dispose();
  }
  copyWeights(net, smaller);
  if (net !== smaller) net.dispose();
  return { model: smaller, epochs, plan, losses };
}
