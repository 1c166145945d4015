/**
 * Measuring a model on float data whatever its I/O types: an int8 or int16
 * input is fed the sample quantized with the input tensor's parameters, an
 * integer output is dequantized with its own, so a float model and its
 * quantized versions are scored on the same samples in the same units.
 *
 * The runner is pluggable: the engine runs models in the project's
 * interpreter; tests can pass the real TFLite runtime instead.
 */
import { score, type Evaluation } from '../evaluate';
import type { Dataset } from '../../model/dataset';
import { flatten } from '../../util/arrays';
import { Interpreter } from '../../runtime/interpreter';
import { elementCount, type Quantization, type TensorTypeName } from '../../tflite/model';
import { readMetadata } from '../../tflite/metadata';
import { readModel } from '../../tflite/reader';
import { clamp, roundHalfAway } from './arithmetic';

export type Task = Evaluation['task'];

export interface IoTensor {
  type: TensorTypeName;
  quantization?: Quantization;
}

/** Runs a model on a batch of raw input tensors (values in the input's own type). */
export type BatchRunner = (
  model: Uint8Array,
  inputs: ArrayLike<number>[],
) => Promise<ArrayLike<number>[]>;

const RANGES: Partial<Record<TensorTypeName, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint8: [0, 255],
};

/** Float sample → values of the input tensor's type (quantized when it is an integer type). */
export function toTensorValues(sample: ArrayLike<number>, t: IoTensor): ArrayLike<number> {
  const range = RANGES[t.type];
  if (!range) return sample;
  const q = t.quantization;
  const scale = q?.scale[0] ?? 1;
  const zp = q?.zeroPoint[0] ?? 0;
  const out = new Array<number>(sample.length);
  for (let i = 0; i < sample.length; i++) {
    out[i] = clamp(roundHalfAway(sample[i] / scale) + zp, range[0], range[1]);
  }
  return out;
}

/** Output tensor values → float (dequantized when it is an integer type). */
export function toFloat(values: ArrayLike<number>, t: IoTensor): Float32Array {
  const out = Float32Array.from(values);
  if (!RANGES[t.type] || !t.quantization) return out;
  const scale = t.quantization.scale[0];
  const zp = t.quantization.zeroPoint[0];
  for (let i = 0; i < out.length; i++) out[i] = scale * (out[i] - zp);
  return out;
}

/** The project's interpreter as a BatchRunner (one invoke per sample). */
export const interpreterRunner: BatchRunner = async (model, inputs) => {
  const interp = new Interpreter(model);
  const out = interp.outputs[0];
  return inputs.map((values) => {
    interp.setInput(0, values);
    interp.invoke();
    return Array.from(out.data as ArrayLike<number>);
  });
};

/**
 * Runs `model` (single input, first output scored) on every sample of `ds`
 * and scores it: accuracy for classification, MAE/MSE for regression.
 */
export async function evaluateModel(
  model: Uint8Array,
  ds: Dataset,
  task: Task,
  runner: BatchRunner = interpreterRunner,
): Promise<Evaluation> {
  const m = readModel(model);
  const sg = m.subgraphs[0];
  const input = sg.tensors[sg.inputs[0]];
  const output = sg.tensors[sg.outputs[0]];
  const raw = await runner(
    model,
    ds.xs.map((x) => toTensorValues(flatten(x), input)),
  );
  const width = raw.length > 0 ? raw[0].length : 0;
  const predictions = new Float32Array(raw.length * width);
  raw.forEach((r, i) => predictions.set(toFloat(r, output), i * width));
  return score(predictions, width, ds, task);
}

/**
 * The task a model answers: its metadata's task when it says, else
 * classification when the output has several units and every label is a
 * class index (or one-hot row), else regression.
 */
export function inferTask(model: Uint8Array, ds: Dataset): Task {
  const m = readModel(model);
  const task = readMetadata(m)?.task;
  if (task === 'classification' || task === 'regression') return task;
  const sg = m.subgraphs[0];
  const width = elementCount(sg.tensors[sg.outputs[0]].shape);
  const isClass = ds.ys.every((y) =>
    typeof y === 'number'
      ? Number.isInteger(y) && y >= 0 && y < width
      : y.length === width && y.every((v) => v === 0 || v === 1),
  );
  return width > 1 && isClass ? 'classification' : 'regression';
}
