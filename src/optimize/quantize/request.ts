/**
 * One entry point for a quantization request from outside (the optimize
 * node's message, the CLI's files): validates it with ajv, then runs either
 * one quantization with its report, or the accuracy gate when a limit is
 * given. Labelled calibration data stands in for held-out data only when no
 * validation set is given, and the report says so.
 */
import { ajv, check } from '../../util/validate';
import { parseDataset, type Dataset } from '../../model/dataset';
import { ValidationError } from '../../errors';
import { accuracyGate, type GateAttempt } from '../gate';
import type { BatchRunner } from './evaluate';
import { QUANTIZE_IO, QUANTIZE_MODES, type QuantizeMode } from './index';
import { quantizeAndReport, type EvaluationRequest } from './pipeline';
import type { ModelMeasure, QuantizeReport } from './report';

export interface QuantizeRequest {
  /** Representative samples: a dataset ({xs}, labels optional) or a bare array of samples. */
  calibration?: { xs: unknown[]; ys?: unknown[] } | unknown[];
  /** Held-out labelled data: evaluation, and the gate's yardstick. */
  validation?: Dataset;
  mode?: QuantizeMode;
  io?: (typeof QUANTIZE_IO)[number];
  perChannelDense?: boolean;
  /** Accuracy gate (needs validation): most accuracy lost, percentage points. */
  maxAccuracyDropPp?: number;
  /** Accuracy gate for regression: most MAE gained, output units. */
  maxMaeIncrease?: number;
}

export const quantizeRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // An array of samples, or an object checked by calibrationObjectSchema.
    calibration: { type: ['array', 'object'], minItems: 1 },
    validation: { type: 'object' },
    mode: { enum: [...QUANTIZE_MODES] },
    io: { enum: [...QUANTIZE_IO] },
    perChannelDense: { type: 'boolean' },
    maxAccuracyDropPp: { type: 'number', minimum: 0 },
    maxMaeIncrease: { type: 'number', minimum: 0 },
  },
} as const;

const validateRequest = ajv.compile<QuantizeRequest>(quantizeRequestSchema);

export const calibrationObjectSchema = {
  type: 'object',
  required: ['xs'],
  properties: { xs: { type: 'array', minItems: 1 }, ys: { type: 'array' } },
} as const;
const validateCalibration = ajv.compile(calibrationObjectSchema);

export interface QuantizeOutcome {
  /** The model to ship: quantized, or the float model when the gate kept it. */
  bytes: Uint8Array;
  /** The quantization's report; absent when the gate kept the float model. */
  report?: QuantizeReport;
  gate?: { chosen: string; reason: string; attempts: GateAttempt[]; baseline: ModelMeasure };
}

export async function runQuantizeRequest(
  floatModel: Uint8Array,
  input: unknown,
  runner?: BatchRunner,
): Promise<QuantizeOutcome> {
  const req = check(validateRequest, input, 'quantize');
  if (req.calibration && !Array.isArray(req.calibration)) {
    check(validateCalibration, req.calibration, 'quantize.calibration');
  }
  const mode = req.mode ?? 'int8';
  const xs = Array.isArray(req.calibration) ? req.calibration : req.calibration?.xs;
  const validation = req.validation ? parseDataset(req.validation, 'validation') : undefined;
  const gated = req.maxAccuracyDropPp !== undefined || req.maxMaeIncrease !== undefined;
  if (gated) {
    if (!validation) {
      throw new ValidationError('quantize: the accuracy gate needs validation data (held out)');
    }
    if (!xs) throw new ValidationError('quantize: the accuracy gate needs calibration data');
    const gate = await accuracyGate(floatModel, {
      validation,
      calibration: xs,
      ...(req.maxAccuracyDropPp !== undefined ? { maxAccuracyDropPp: req.maxAccuracyDropPp } : {}),
      ...(req.maxMaeIncrease !== undefined ? { maxMaeIncrease: req.maxMaeIncrease } : {}),
      integerIo: (req.io ?? 'float32') !== 'float32',
      startMode: mode,
      ...(runner ? { runner } : {}),
    });
    const out: QuantizeOutcome = {
      bytes: gate.bytes,
      gate: {
        chosen: gate.chosen,
        reason: gate.reason,
        attempts: gate.attempts,
        baseline: gate.baseline,
      },
    };
    if (gate.report) out.report = gate.report;
    return out;
  }
  let evaluation: EvaluationRequest | undefined;
  if (validation) evaluation = { data: validation, on: 'validation' };
  else if (!Array.isArray(req.calibration) && req.calibration?.ys) {
    evaluation = { data: parseDataset(req.calibration, 'calibration'), on: 'calibration' };
  }
  if (evaluation && runner) evaluation.runner = runner;
  const options = {
    mode,
    ...(req.io ? { io: req.io } : {}),
    ...(req.perChannelDense !== undefined ? { perChannelDense: req.perChannelDense } : {}),
  };
  const { bytes, report } = await quantizeAndReport(floatModel, xs, options, evaluation);
  return { bytes, report };
}
