/**
 * Running a model on JSON input and giving JSON output, as `tinyml run`, the
 * infer node and the device agent do. Input: an array with one entry per
 * model input (flat or nested), or a bare (flat or nested) array for a
 * single-input model. By default values are the tensors' own: an int8 input
 * takes integers in [-128, 127] and outputs are the raw integers. With
 * `float: true`, inputs are real numbers quantized with each input's scale and
 * zero point, and outputs are dequantized (dtype "float32"), so an int8 model
 * can be used like the float model it came from.
 */
import { flatten } from '../util/arrays';
import { ajv, check } from '../util/validate';
import type { Interpreter } from './interpreter';
import { dequantizeTensor } from './quantize-io';
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

export interface RunOptions {
  /** Real-valued inputs and outputs for quantized models. */
  float?: boolean;
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Nested arrays of numbers (the JSON shape of model inputs). */
const validateInput = ajv.compile<unknown[]>({
  type: 'array',
  items: { anyOf: [{ type: 'number' }, { $ref: '#' }] },
});

/** Splits `input` into one flat number array per model input. */
export function inputsFor(
  interp: Interpreter,
  input: unknown,
  options: RunOptions = {},
): number[][] {
  const given = check(validateInput, input, 'input');
  const tensors = interp.inputs;
  let perInput: unknown[];
  if (tensors.length === 1) {
    // [[...]] for one input is the same as [...]: both flatten to the values.
    perInput = [given];
  } else {
    if (given.length !== tensors.length) {
      throw new ValidationError(
        `model has ${tensors.length} inputs; input has ${given.length} entries`,
      );
    }
    perInput = given;
  }
  return perInput.map((v, i) => {
    const values = flatten(v, [], `input ${i}`);
    checkValues(tensors[i], values, i, options.float === true);
    return values;
  });
}

function checkValues(t: RuntimeTensor, values: number[], i: number, float: boolean): void {
  if (values.length !== t.data.length) {
    throw new ValidationError(
      `input ${i} "${t.name}" takes ${t.data.length} values (shape [${t.shape}]), got ${values.length}`,
    );
  }
  const range = float ? undefined : INT_RANGES[t.type];
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v)) throw new ValidationError(`input ${i}[${k}] is not a finite number`);
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new ValidationError(
        `input ${i}[${k}] = ${v}: ${t.type} input "${t.name}" takes integers in [${range[0]}, ${range[1]}] (or use real-valued input)`,
      );
    }
  }
}

export function outputJson(t: RuntimeTensor, float = false): OutputJson {
  if (float) {
    return {
      name: t.name,
      shape: [...t.shape],
      dtype: 'float32',
      data: Array.from(dequantizeTensor(t)),
    };
  }
  return {
    name: t.name,
    shape: [...t.shape],
    dtype: t.type,
    data: Array.from(t.data as ArrayLike<number | bigint>, Number),
  };
}

export function runJson(interp: Interpreter, input: unknown, options: RunOptions = {}): RunResult {
  const values = inputsFor(interp, input, options);
  values.forEach((v, i) => (options.float ? interp.setInputFloat(i, v) : interp.setInput(i, v)));
  const start = process.hrtime.bigint();
  interp.invoke();
  const latencyMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { outputs: interp.outputs.map((t) => outputJson(t, options.float)), latencyMs };
}
