/**
 * One quantization with its report: quantize, measure both files, and when
 * data is given evaluate both on it with the same runner. The CLI and the
 * optimize node call this (or the accuracy gate, which calls it per
 * candidate).
 */
import type { Dataset } from '../../model/dataset';
import type { Evaluation } from '../evaluate';
import { isTinymlError } from '../../errors';
import { quantizeModel, type QuantizeResult } from './index';
import {
  evaluateModel,
  inferTask,
  interpreterRunner,
  type BatchRunner,
  type Task,
} from './evaluate';
import {
  evaluationChange,
  measureModel,
  ratios,
  type ModelMeasure,
  type QuantizeReport,
} from './report';
import type { Calibration } from './calibrate';

export interface EvaluationRequest {
  data: Dataset;
  /** 'validation' for held-out data; 'calibration' when only calibration data has labels. */
  on: 'validation' | 'calibration';
  task?: Task;
  runner?: BatchRunner;
}

export interface QuantizeOutput {
  bytes: Uint8Array;
  result: QuantizeResult;
  report: QuantizeReport;
}

/**
 * Evaluates a model, or returns the reason it could not be run (a model the
 * runner does not support is a note in the report, not a failed quantization).
 */
export async function tryEvaluate(
  bytes: Uint8Array,
  req: EvaluationRequest,
  task: Task,
): Promise<Evaluation | string> {
  try {
    return await evaluateModel(bytes, req.data, task, req.runner ?? interpreterRunner);
  } catch (err) {
    if (isTinymlError(err)) return err.message;
    throw err;
  }
}

export async function quantizeAndReport(
  floatModel: Uint8Array,
  calibration: readonly unknown[] | Calibration | undefined,
  options: unknown,
  evaluation?: EvaluationRequest,
  baseline?: Evaluation,
): Promise<QuantizeOutput> {
  const result = quantizeModel(floatModel, calibration, options);
  const before: ModelMeasure = measureModel(floatModel);
  const after: ModelMeasure = measureModel(result.bytes);
  const report: QuantizeReport = {
    mode: result.options.mode,
    io: result.options.io,
    perChannelDense: result.options.perChannelDense,
    before,
    after,
    ratio: ratios(before, after),
    notes: [...result.notes],
  };
  if (result.calibrationSamples !== undefined)
    report.calibrationSamples = result.calibrationSamples;
  if (evaluation) {
    const task = evaluation.task ?? inferTask(floatModel, evaluation.data);
    report.evaluatedOn = evaluation.on;
    const b = baseline ?? (await tryEvaluate(floatModel, evaluation, task));
    const a = await tryEvaluate(result.bytes, evaluation, task);
    if (typeof b === 'string') report.notes.push(`float model not evaluated: ${b}`);
    else before.evaluation = b;
    if (typeof a === 'string') report.notes.push(`quantized model not evaluated: ${a}`);
    else after.evaluation = a;
    if (typeof a !== 'string' && typeof b !== 'string')
      Object.assign(report, evaluationChange(b, a));
  }
  return { bytes: result.bytes, result, report };
}
