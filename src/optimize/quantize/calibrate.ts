/**
 * Calibration: runs the float model on a representative dataset in the
 * project's interpreter and records the range [min, max] every float
 * activation tensor takes over all samples.
 *
 * Activations share arena memory, so an intermediate tensor's values are
 * gone once a later op reuses its bytes. Like TF's calibrator (a logging op
 * resolver that wraps every kernel, lite/tools/optimize/calibration/), each
 * kernel is wrapped so its outputs are measured right after it runs. The
 * ranges are the global min/max over the dataset, as TF's MinMax calibration
 * records them.
 */
import type { TfliteModel } from '../../tflite/model';
import { BuiltinOperator, operatorName } from '../../tflite/model';
import { Interpreter } from '../../runtime/interpreter';
import { allOpsResolver, OpResolver } from '../../runtime/resolver';
import type { Kernel } from '../../runtime/kernel';
import type { RuntimeTensor } from '../../runtime/tensor';
import { UnsupportedError, ValidationError } from '../../errors';

export interface TensorRange {
  min: number;
  max: number;
}

export interface Calibration {
  /** Tensor index → observed range, for every float32 activation tensor. */
  ranges: Map<number, TensorRange>;
  samples: number;
}

function observe(ranges: Map<number, TensorRange>, t: RuntimeTensor): void {
  if (t.type !== 'float32' || t.isConstant) return;
  const data = t.data as Float32Array;
  let r = ranges.get(t.index);
  if (!r) {
    r = { min: Infinity, max: -Infinity };
    ranges.set(t.index, r);
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new ValidationError(
        `calibration: tensor "${t.name}" took the value ${v}; a model that computes non-finite values cannot be quantized`,
      );
    }
    if (v < r.min) r.min = v;
    if (v > r.max) r.max = v;
  }
}

/** A resolver whose kernels record their outputs' ranges after each eval. */
function loggingResolver(ranges: Map<number, TensorRange>): OpResolver {
  const base = allOpsResolver();
  const resolver = new OpResolver();
  // Wrap every registered kernel, so an op the interpreter lacks is reported
  // by the interpreter itself with the full list of supported ops.
  for (const name of base.ops()) {
    const code = (BuiltinOperator as unknown as Record<string, number>)[name];
    const kernel = base.find(code)!;
    const logging: Kernel = {
      prepare: kernel.prepare.bind(kernel),
      eval(node, data) {
        kernel.eval(node, data);
        for (const t of node.outputs) observe(ranges, t);
      },
    };
    resolver.add(code, logging);
  }
  return resolver;
}

/** Checks that `model` is a float model this quantizer can start from. */
export function checkFloatModel(model: TfliteModel): void {
  if (model.subgraphs.length !== 1) {
    throw new UnsupportedError(
      `quantize: model has ${model.subgraphs.length} subgraphs; only single-subgraph models are supported`,
    );
  }
  const sg = model.subgraphs[0];
  for (const t of [...sg.inputs, ...sg.outputs]) {
    const tensor = sg.tensors[t];
    if (tensor.type !== 'float32') {
      throw new ValidationError(
        `quantize: expected a float32 model, but tensor "${tensor.name}" is ${tensor.type} (is the model already quantized?)`,
      );
    }
  }
  for (const op of sg.operators) {
    for (const t of op.inputs) {
      if (t >= 0 && sg.tensors[t].quantization && sg.tensors[t].quantization!.scale.length > 0) {
        throw new ValidationError(
          `quantize: operator ${operatorName(model, op)} already has quantized tensor "${sg.tensors[t].name}"`,
        );
      }
    }
  }
}

/**
 * Runs `samples` (one flat float array per sample, for a single-input
 * model) through the float model and returns the range of every float
 * activation tensor.
 */
export function calibrate(model: TfliteModel, samples: ArrayLike<number>[]): Calibration {
  checkFloatModel(model);
  if (samples.length === 0) {
    throw new ValidationError('calibration data must hold at least one sample');
  }
  const sg = model.subgraphs[0];
  if (sg.inputs.length !== 1) {
    throw new UnsupportedError(
      `quantize: model has ${sg.inputs.length} inputs; calibration supports single-input models`,
    );
  }
  const ranges = new Map<number, TensorRange>();
  const interp = new Interpreter(model, { resolver: loggingResolver(ranges) });
  const input = interp.inputs[0];
  samples.forEach((sample, i) => {
    if (sample.length !== input.data.length) {
      throw new ValidationError(
        `calibration sample ${i} has ${sample.length} values; input "${input.name}" (shape [${input.shape}]) takes ${input.data.length}`,
      );
    }
    interp.setInput(0, sample);
    observe(ranges, input);
    interp.invoke();
  });
  return { ranges, samples: samples.length };
}
