/**
 * The quantization parameters of every activation of a float model, chosen
 * before any tensor is written: from the calibrated range (int8 asymmetric,
 * int16 symmetric), copied from the input for ops that only move values, or
 * fixed by the op (SOFTMAX, LOGISTIC, TANH), in execution order so an op's
 * input is always decided before its output.
 */
import { operatorName, type TfliteModel } from '../../tflite/model';
import { asymmetricParams, INT16, INT8, symmetricParams, type QuantParams } from './arithmetic';
import type { TensorRange } from './calibrate';
import { INTEGER_RULES, integerOps, type ActivationType, type OpRule } from './ops';
import { UnsupportedError, ValidationError } from '../../errors';

/** Parameters of an activation with calibrated range [min, max]. */
export function activationParams(r: TensorRange, type: ActivationType): QuantParams {
  return type === 'int8'
    ? asymmetricParams(r.min, r.max, INT8)
    : symmetricParams(r.min, r.max, INT16.max);
}

/** The integer rule of operator `opIndex`, or an error naming the op and the supported ones. */
export function ruleFor(model: TfliteModel, opIndex: number, act: ActivationType): OpRule {
  const op = model.subgraphs[0].operators[opIndex];
  const rule = INTEGER_RULES.get(model.operatorCodes[op.opcodeIndex].builtinCode);
  if (!rule) {
    throw new UnsupportedError(
      `quantize: op ${operatorName(model, op)} (operator ${opIndex}) has no ${act} quantization; supported ops: ${integerOps().join(', ')}`,
    );
  }
  return rule;
}

/** Tensor index → parameters, for the model's inputs and every op output. */
export function planActivations(
  model: TfliteModel,
  ranges: ReadonlyMap<number, TensorRange>,
  act: ActivationType,
  notes: string[],
): Map<number, QuantParams> {
  const sg = model.subgraphs[0];
  const rangeOf = (index: number): TensorRange => {
    const r = ranges.get(index);
    if (!r) {
      throw new ValidationError(
        `quantize: no calibrated range for tensor "${sg.tensors[index].name}"; calibration did not reach it`,
      );
    }
    if (r.max - r.min === 0) {
      notes.push(
        `tensor "${sg.tensors[index].name}" was ${r.min} on every calibration sample; its scale is arbitrary`,
      );
    }
    return r;
  };
  const params = new Map<number, QuantParams>();
  for (const t of sg.inputs) params.set(t, activationParams(rangeOf(t), act));
  sg.operators.forEach((op, i) => {
    const rule = ruleFor(model, i, act);
    for (const out of op.outputs) {
      if (sg.tensors[out].type !== 'float32') {
        throw new UnsupportedError(
          `quantize: operator ${i} (${operatorName(model, op)}) outputs ${sg.tensors[out].type} tensor "${sg.tensors[out].name}"; only float32 activations are quantized`,
        );
      }
      if (rule.output === 'calibrated') {
        params.set(out, activationParams(rangeOf(out), act));
      } else if (rule.output === 'input') {
        const p = params.get(op.inputs[0]);
        if (!p) throw new ValidationError(`quantize: operator ${i} input has no parameters`);
        params.set(out, p);
      } else {
        params.set(out, rule.output[act]);
      }
    }
  });
  return params;
}
