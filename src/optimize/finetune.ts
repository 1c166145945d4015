/**
 * The training loop pruning and distillation share: seeded mini-batches,
 * Adam (or another tf.train optimizer), a caller-defined loss, and hooks around every optimizer step (the
 * pruning masks are re-applied there, so a pruned weight is exactly zero
 * after every step, not only at the end).
 *
 * Classifiers are trained through a twin of the model whose softmax is
 * removed (`trainingTwin`): the loss then sees logits, which distillation
 * needs (Hinton et al. 2015 soften the logits, z/T) and which makes the
 * cross-entropy exact (tf.losses.softmaxCrossEntropy) instead of the
 * log-of-clipped-probabilities Keras computes on a softmax output.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../model/tf';
import { checkInputShape, type Dataset } from '../model/dataset';
import { toTensors } from '../model/train';
import { shuffledIndices } from '../model/random';
import { UnsupportedError, ValidationError } from '../errors';
import type { Task } from './report';

export type { Task };

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TopologyJson {
  class_name: string;
  config: { layers: LayerJson[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** The model's topology as Keras JSON (snake_case configs), ready to edit and rebuild. */
export function topologyOf(model: tfTypes.LayersModel): TopologyJson {
  const json = model.toJSON(null, false) as unknown as TopologyJson;
  if (!json?.config || !Array.isArray(json.config.layers)) {
    throw new UnsupportedError(`model "${model.name}" has no layer list in its topology`);
  }
  return JSON.parse(JSON.stringify(json)) as TopologyJson;
}

export async function fromTopology(json: TopologyJson): Promise<tfTypes.LayersModel> {
  return tf().models.modelFromJSON(json as unknown as tfTypes.io.ModelJSON['modelTopology'] & {});
}

/** A copy of a model with its own variables. */
export async function cloneModel(model: tfTypes.LayersModel): Promise<tfTypes.LayersModel> {
  const copy = await fromTopology(topologyOf(model));
  copy.setWeights(model.getWeights());
  return copy;
}

function lastLayer(model: tfTypes.LayersModel): tfTypes.layers.Layer {
  return model.layers[model.layers.length - 1];
}

function activationName(layer: tfTypes.layers.Layer): string | undefined {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : undefined;
}

/** Output width of the model's (single) output. */
export function outputUnits(model: tfTypes.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] ?? 1;
}

export function inputShapeOf(model: tfTypes.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null)) {
    throw new UnsupportedError(`model "${model.name}" has an input of unknown shape [${shape}]`);
  }
  return shape as number[];
}

/**
 * What the model was trained for, read from its output: a softmax over more
 * than one unit is a classifier (trained with categorical cross-entropy);
 * anything else is treated as regression (mean squared error). The saved
 * tfjs format does not keep the loss, so this is the one reliable signal.
 */
export function taskOf(model: tfTypes.LayersModel): Task {
  if (model.outputs.length !== 1 || model.inputs.length !== 1) {
    throw new UnsupportedError(
      `model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output models are supported`,
    );
  }
  const last = lastLayer(model);
  const softmax =
    activationName(last) === 'softmax' ||
    (last.getClassName() === 'Softmax' && outputUnits(model) > 1);
  return softmax && outputUnits(model) > 1 ? 'classification' : 'regression';
}

/**
 * A copy of a classifier without its final softmax, so it outputs logits:
 * the last layer's activation becomes linear, or a trailing Activation /
 * Softmax layer is dropped. The twin has its own variables (same values).
 * Regression models are returned as they are.
 */
export async function trainingTwin(model: tfTypes.LayersModel): Promise<tfTypes.LayersModel> {
  if (taskOf(model) === 'regression') return model;
  const json = topologyOf(model);
  const layers = json.config.layers;
  const last = layers[layers.length - 1];
  const dropsLast = last.class_name === 'Activation' || last.class_name === 'Softmax';
  if (dropsLast) {
    if (json.class_name !== 'Sequential') {
      throw new UnsupportedError(
        `model "${model.name}": a functional model ending in a separate ${last.class_name} layer is not supported; put the softmax into the last Dense layer`,
      );
    }
    layers.pop();
    if (layers.length === 0) {
      throw new UnsupportedError(`model "${model.name}" has no layer before its softmax to train`);
    }
  } else {
    last.config.activation = 'linear';
  }
  const twin = await fromTopology(json);
  twin.setWeights(model.getWeights());
  return twin;
}

/** Copies the twin's trained weights back into the model it was made from. */
export function copyWeights(from: tfTypes.LayersModel, to: tfTypes.LayersModel): void {
  if (from === to) return;
  to.setWeights(from.getWeights());
}

/** x and y (one-hot for a classifier) of a dataset for the model, validated first. */
export function datasetTensors(
  model: tfTypes.LayersModel,
  ds: Dataset,
  root = 'data',
): { x: tfTypes.Tensor; y: tfTypes.Tensor } {
  const inputShape = inputShapeOf(model);
  checkInputShape(ds, inputShape, root);
  const task = taskOf(model);
  return toTensors(
    {
      inputShape,
      layers: [],
      loss: task === 'classification' ? 'categoricalCrossentropy' : 'meanSquaredError',
    },
    ds,
    outputUnits(model),
  );
}

/** The task's ordinary loss on the twin's output: cross-entropy on logits, or MSE. */
export function hardLoss(task: Task, out: tfTypes.Tensor, y: tfTypes.Tensor): tfTypes.Scalar {
  const t = tf();
  return task === 'classification'
    ? (t.losses.softmaxCrossEntropy(y, out) as tfTypes.Scalar)
    : (t.losses.meanSquaredError(y, out) as tfTypes.Scalar);
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** tf.train optimizer (default adam, as `tinyml train`). */
  optimizer?: OptimizerName;
  /** Multiplies the learning rate after every epoch, as the spec field of the same name. */
  learningRateDecay?: number;
  seed: number;
  /** Loss of one batch: the net's output and the batch's rows of every target tensor. */
  loss: (out: tfTypes.Tensor, targets: tfTypes.Tensor[]) => tfTypes.Scalar;
  /** Runs before optimizer step `step` (0-based, counted over all epochs). */
  beforeStep?: (step: number) => void;
  /** Runs after optimizer step `step`, e.g. to re-apply pruning masks. */
  afterStep?: (step: number) => void;
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
  signal?: AbortSignal;
}

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

export function stepsPerEpoch(samples: number, batchSize: number): number {
  return Math.ceil(samples / batchSize);
}

function checkFit(o: FitOptions): void {
  const bad = (what: string, v: number) =>
    new ValidationError(`fine-tuning: ${what} must be a positive number, got ${v}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw bad('epochs (an integer ≥ 0)', o.epochs);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw bad('batch size', o.batchSize);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate))
    throw bad('learning rate', o.learningRate);
}

/**
 * Trains `net` on x and the target tensors (rows aligned with x).
 * Shuffles are seeded (the same order for the same seed, so two runs that
 * differ only in their loss see the same batches). Returns the mean loss of
 * each epoch.
 */
export async function fit(
  net: tfTypes.LayersModel,
  x: tfTypes.Tensor,
  targets: tfTypes.Tensor[],
  o: FitOptions,
): Promise<number[]> {
  checkFit(o);
  const t = tf();
  const n = x.shape[0];
  const optimizer = t.train[o.optimizer ?? 'adam'](o.learningRate);
  // LayerVariable.read() is the backing tf.Variable itself, which minimize() updates.
  const vars = net.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  const regularizers = () =>
    (net as unknown as { calculateLosses(): tfTypes.Scalar[] }).calculateLosses();
  const losses: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < o.epochs && !o.signal?.aborted; epoch++) {
      const order = shuffledIndices(n, o.seed * 7919 + epoch);
      let sum = 0;
      let batches = 0;
      for (let start = 0; start < n; start += o.batchSize) {
        o.beforeStep?.(step);
        const idx = t.tensor1d(order.slice(start, start + o.batchSize), 'int32');
        const cost = optimizer.minimize(
          () => {
            const xb = t.gather(x, idx);
            const out = net.apply(xb, { training: true }) as tfTypes.Tensor;
            let loss = o.loss(
              out,
              targets.map((y) => t.gather(y, idx)),
            );
            for (const r of regularizers()) loss = t.add(loss, r) as tfTypes.Scalar;
            return loss;
          },
          true,
          vars,
        );
        idx.dispose();
        sum += cost!.dataSync()[0];
        cost!.dispose();
        batches++;
        o.afterStep?.(step);
        step++;
      }
      const mean = sum / Math.max(1, batches);
      if (!Number.isFinite(mean)) {
        throw new ValidationError(
          `fine-tuning diverged at epoch ${epoch + 1}: loss is ${mean}; try a smaller learning rate`,
        );
      }
      losses.push(mean);
      o.onEpoch?.(epoch + 1, o.epochs, mean);
      if (o.learningRateDecay !== undefined) {
        // tfjs optimizers read their learning rate on every step.
        (optimizer as unknown as { learningRate: number }).learningRate *= o.learningRateDecay;
      }
      // Let timers and I/O run between epochs (a Node-RED node stays responsive).
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}
