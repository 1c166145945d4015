/**
 * Measuring a model on held-out data, the same way for a tfjs model and for
 * a .tflite run in the project's interpreter: accuracy for classification,
 * mean absolute and squared error for regression.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../model/tf';
import { flatten } from '../util/arrays';
import type { Dataset } from '../model/dataset';
import { Interpreter } from '../runtime/interpreter';

export interface Evaluation {
  task: 'classification' | 'regression';
  samples: number;
  /** Fraction of samples whose arg-max output is the label (classification). */
  accuracy?: number;
  mae?: number;
  mse?: number;
}

function argmax(values: ArrayLike<number>, offset = 0, n = values.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
  return best;
}

/** Scores predictions (one row of `width` outputs per sample) against the dataset's ys. */
export function score(
  predictions: ArrayLike<number>,
  width: number,
  ds: Dataset,
  task: Evaluation['task'],
): Evaluation {
  const n = ds.ys.length;
  if (task === 'classification') {
    let correct = 0;
    for (let s = 0; s < n; s++) {
      const y = ds.ys[s];
      const label = typeof y === 'number' ? y : argmax(y);
      if (argmax(predictions, s * width, width) === label) correct++;
    }
    return { task, samples: n, accuracy: correct / n };
  }
  let abs = 0;
  let sq = 0;
  let count = 0;
  for (let s = 0; s < n; s++) {
    const y = flatten(ds.ys[s]);
    for (let j = 0; j < width; j++) {
      const d = predictions[s * width + j] - y[j];
      abs += Math.abs(d);
      sq += d * d;
      count++;
    }
  }
  return { task, samples: n, mae: abs / count, mse: sq / count };
}

export function evaluateTfjs(
  model: tfTypes.LayersModel,
  ds: Dataset,
  task: Evaluation['task'],
): Evaluation {
  const t = tf();
  const inShape = model.inputs[0].shape.slice(1) as number[];
  const width = inShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(ds.xs.length * width);
  ds.xs.forEach((sample, i) => x.set(flatten(sample), i * width));
  const out = t.tidy(() => {
    const y = model.predict(t.tensor(x, [ds.xs.length, ...inShape])) as tfTypes.Tensor;
    return { data: y.dataSync().slice(), width: y.shape[y.shape.length - 1] ?? 1 };
  });
  return score(out.data, out.width, ds, task);
}

/** Runs a float32-input .tflite over the dataset, one sample per invoke. */
export function evaluateTflite(
  model: Uint8Array | Interpreter,
  ds: Dataset,
  task: Evaluation['task'],
): Evaluation {
  const interp = model instanceof Interpreter ? model : new Interpreter(model);
  const out = interp.outputs[0];
  const width = out.data.length;
  const predictions = new Float32Array(ds.xs.length * width);
  ds.xs.forEach((sample, i) => {
    interp.setInput(0, flatten(sample));
    interp.invoke();
    predictions.set(out.data as Float32Array, i * width);
  });
  return score(predictions, width, ds, task);
}
