/** Small tfjs models with seeded weights for converter and interpreter tests. */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../src/model/random';

/** Replaces every weight of `model` with seeded uniform values in [-scale, scale]. */
export function seedWeights(model: tf.LayersModel, seed: number, scale = 0.5): void {
  const rand = mulberry32(seed);
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    layer.setWeights(
      weights.map((w) => {
        const values = new Float32Array(w.size);
        for (let i = 0; i < values.length; i++) values[i] = (rand() * 2 - 1) * scale;
        return tf.tensor(values, w.shape);
      }),
    );
  }
}

/** Seeded inputs for a model's first input, batch 1. */
export function seededInput(shape: number[], seed: number, scale = 1): Float32Array {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

export function predict(model: tf.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(input, [1, ...shape])) as tf.Tensor;
    return y.dataSync() as Float32Array;
  });
}

/** Max |a - b| relative to the range of `reference` (or absolute when the range is tiny). */
export function maxRelDiff(a: ArrayLike<number>, reference: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  let diff = 0;
  for (let i = 0; i < reference.length; i++) {
    lo = Math.min(lo, reference[i]);
    hi = Math.max(hi, reference[i]);
    diff = Math.max(diff, Math.abs(a[i] - reference[i]));
  }
  return diff / Math.max(hi - lo, 1);
}
