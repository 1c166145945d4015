/**
 * The training loop pruning and distillation share: seeded mini-batches,
 * Adam (or another tf.train optimizer), a caller-defined loss, and hooks
 * around every optimizer step (the pruning masks are re-applied there, so a
 * pruned weight is exactly zero after every step, not only at the end).
 * Classifiers are trained through their twin without softmax (twin.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../model/tf';
import { checkInputShape, type Dataset } from '../model/dataset';
import { toTensors } from '../model/train';
import { shuffledIndices } from '../model/random';
import { ValidationError } from '../errors';
import { inputShapeOf, outputUnits, taskOf, type Task } from './twin';

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
  const bad = (what: string, v: number) => new ValidationError(`fine-tuning: ${what}, got ${v}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 0)
    throw bad('epochs must be an integer ≥ 0', o.epochs);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
    throw bad('batch size must be an integer ≥ 1', o.batchSize);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate))
    throw bad('learning rate must be a positive number', o.learningRate);
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
