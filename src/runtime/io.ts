/**
 * Running a model on JSON input and giving JSON output, as `tinyml run`, the
 * infer node and the device agent do. Input: an array with one entry per
 * model input (flat or nested), or a bare (flat or nested) array for a
 * single-input model. Values are written as the tensor's type: an int8 input
 * takes integers in [-128, 127].
 */
import { flatten } from '../util/arrays';
import type { Interpreter } from './interpreter';
import type { RuntimeTensor } from './tensor';
import { ValidationError } from '../errors';

export interface OutputJson {
  name: string;
  shape: number[];
  dtype: string;
  data: number[];
}

export interface RunResult {
  outputs: OutputJson[];
  latencyMs: number;
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Splits `input` into one flat number array per model input. */
export function inputsFor(interp: Interpreter, input: unknown): number[][] {
  if (!Array.isArray(input)) throw new ValidationError('input must be a JSON array');
  const tensors = interp.inputs;
  let perInput: unknown[];
  if (tensors.length === 1) {
    const flat = flatten(input);
    // [[...]] for one input is the same as [...]: both flatten to the values.
    perInput = [flat];
  } else {
    if (input.length !== tensors.length) {
      throw new ValidationError(
        `model has ${tensors.length} inputs; input has ${input.length} entries`,
      );
    }
    perInput = input;
  }
  return perInput.map((v, i) => {
    const values = flatten(v);
    checkValues(tensors[i], values, i);
    return values;
  });
}

function checkValues(t: RuntimeTensor, values: number[], i: number): void {
  if (values.length !== t.data.length) {
    throw new ValidationError(
      `input ${i} "${t.name}" takes ${t.data.length} values (shape [${t.shape}]), got ${values.length}`,
    );
  }
  const range = INT_RANGES[t.type];
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) throw new ValidationError(`input ${i}[${k}] is not a finite number`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new ValidationError(
        `input ${i}[${k}] = ${v}: ${t.type} input "${t.name}" takes integers in [${range[0]}, ${range[1]}]`,
      );
    }
  }
}

export function outputJson(t: RuntimeTensor): OutputJson {
  return {
    name: t.name,
    shape: [...t.shape],
    dtype: t.type,
    data: Array.from(t.data as ArrayLike<number>),
  };
}

export function runJson(interp: Interpreter, input: unknown): RunResult {
  const values = inputsFor(interp, input);
  values.forEach((v, i) => interp.setInput(i, v));
  const start = process.hrtime.bigint();
  interp.invoke();
  const latencyMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { outputs: interp.outputs.map(outputJson), latencyMs };
}
