/**
 * The real-data models the accuracy tests and bench/prune.bench.ts share:
 * an MLP on the UCI digits and one on iris, trained with `trainModel` (what
 * `tinyml train` runs) on a seeded 75/25 split; accuracy is always measured
 * on the held-out quarter.
 */
import type * as tf from '@tensorflow/tfjs';
import { loadBuiltinDataset, splitDataset } from '../../src/model/builtin-datasets';
import type { Dataset } from '../../src/model/dataset';
import type { ModelSpec } from '../../src/model/spec';
import { trainModel } from '../../src/model/train';

export interface Trained {
  model: tf.LayersModel;
  train: Dataset;
  test: Dataset;
  spec: ModelSpec;
}

/** 64 → 64 → 32 → 10; about 97% on held-out digits after 30 epochs. */
export const DIGITS_MLP: ModelSpec = {
  name: 'digits-mlp',
  inputShape: [64],
  layers: [
    { type: 'dense', units: 64, activation: 'relu' },
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
  loss: 'sparseCategoricalCrossentropy',
  epochs: 30,
  batchSize: 32,
  learningRate: 0.001,
  seed: 1,
};

/** A small student for distillation on digits: 64 → 8 → 10. */
export const DIGITS_STUDENT: ModelSpec = {
  name: 'digits-student',
  inputShape: [64],
  layers: [
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** 4 → 32 → 16 → 3. */
export const IRIS_MLP: ModelSpec = {
  name: 'iris-mlp',
  inputShape: [4],
  layers: [
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
  loss: 'sparseCategoricalCrossentropy',
  epochs: 100,
  batchSize: 16,
  learningRate: 0.01,
  seed: 1,
};

/** 4 → 4 → 3. */
export const IRIS_STUDENT: ModelSpec = {
  name: 'iris-student',
  inputShape: [4],
  layers: [
    { type: 'dense', units: 4, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
};

export async function trainOn(
  dataset: 'digits' | 'iris',
  spec: ModelSpec,
  testFraction = 0.25,
  seed = 1,
): Promise<Trained> {
  const { train, test } = splitDataset(loadBuiltinDataset(dataset), testFraction, seed);
  const { model } = await trainModel(spec, train);
  return { model, train, test, spec };
}
