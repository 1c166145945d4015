/**
 * The accuracy gate: quantize as far as the model allows without losing more
 * than the user accepts on held-out data.
 *
 * Candidates are tried from smallest and most integer to least:
 *   1. int8, FULLY_CONNECTED weights per tensor (TF's default);
 *   2. int8, FULLY_CONNECTED weights per channel (one scale per output unit:
 *      helps layers whose units have very different weight magnitudes);
 *   3. 16x8: int16 activations, int8 weights (256× finer activation steps,
 *      about the same flash; for models whose activations need more than
 *      8 bits, as TF's 16x8 mode is meant for), with the FULLY_CONNECTED
 *      granularity that lost less at int8 (per channel is not always better:
 *      finer weights can still round the other way at the output);
 *   4. float16 weights, float compute (near-lossless, half the float size);
 * and the first that stays within the limit and is smaller than the float
 * model is chosen. If none does, the float32 model is kept and the report
 * says so: the gate never ships a model that breaks its promise. Every
 * candidate is evaluated with the same runner on the same data as the float
 * baseline.
 */
import type { Dataset } from '../model/dataset';
import type { Evaluation } from './evaluate';
import { readModel } from '../tflite/reader';
import { BuiltinOperator } from '../tflite/model';
import { isTinymlError, ValidationError } from '../errors';
import { calibrate, calibrationSamples, QUANTIZE_MODES, type QuantizeMode } from './quantize/index';
import { parseDataset } from '../model/dataset';
import { ajv, check } from '../util/validate';
import { inferTask, type BatchRunner, type Task } from './quantize/evaluate';
import { quantizeAndReport, tryEvaluate, type EvaluationRequest } from './quantize/pipeline';
import { measureModel, type ModelMeasure, type QuantizeReport } from './quantize/report';

export interface GateOptions {
  /** Held-out data the accuracy is measured on. */
  validation: Dataset;
  /** Representative samples (xs) for the integer candidates' calibration. */
  calibration: readonly unknown[];
  /** Classification: the most accuracy that may be lost, in percentage points. */
  maxAccuracyDropPp?: number;
  /** Regression: the most the mean absolute error may grow (output units). */
  maxMaeIncrease?: number;
  /** Integer I/O for the integer candidates (int8, or int16 for 16x8) instead of float32. */
  integerIo?: boolean;
  /** Start the chain at this mode (default int8); later fallbacks still apply. */
  startMode?: QuantizeMode;
  task?: Task;
  runner?: BatchRunner;
}

export interface GateAttempt {
  candidate: string;
  /** FULLY_CONNECTED weights per channel in this candidate. */
  perChannelDense?: boolean;
  passed: boolean;
  reason: string;
  evaluation?: Evaluation;
  accuracyDropPp?: number;
  maeIncrease?: number;
  bytes?: number;
}

export interface GateResult {
  /** The candidate chosen, or "float32" when none stayed within the limit. */
  chosen: string;
  bytes: Uint8Array;
  /** The chosen quantization's report; undefined when the float model is kept. */
  report?: QuantizeReport;
  /** The float model measured, with its evaluation. */
  baseline: ModelMeasure;
  attempts: GateAttempt[];
  reason: string;
}

interface Candidate {
  name: string;
  mode: QuantizeMode;
  perChannelDense: boolean;
}

function candidates(start: QuantizeMode, hasDense: boolean): Candidate[] {
  const all: Candidate[] = [
    ...(hasDense
      ? [
          { name: 'int8 per-tensor', mode: 'int8' as const, perChannelDense: false },
          { name: 'int8 per-channel', mode: 'int8' as const, perChannelDense: true },
        ]
      : [{ name: 'int8', mode: 'int8' as const, perChannelDense: false }]),
    { name: 'int16x8', mode: 'int16x8', perChannelDense: false },
    { name: 'float16', mode: 'float16', perChannelDense: false },
  ];
  if (start === 'dynamic') {
    return [{ name: 'dynamic', mode: 'dynamic', perChannelDense: false }, all[all.length - 1]];
  }
  return all.slice(all.findIndex((c) => c.mode === start));
}

/** The gate's settings as the node and CLI pass them (data and runner checked apart). */
export const gateSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxAccuracyDropPp: { type: 'number', minimum: 0 },
    maxMaeIncrease: { type: 'number', minimum: 0 },
    integerIo: { type: 'boolean' },
    startMode: { enum: [...QUANTIZE_MODES] },
    task: { enum: ['classification', 'regression'] },
  },
} as const;
const validateSettings = ajv.compile(gateSettingsSchema);

const fmt = (x: number) => String(Number(x.toPrecision(3)));

export async function accuracyGate(
  floatModel: Uint8Array,
  options: GateOptions,
): Promise<GateResult> {
  // Data and runner are checked apart; the rest is plain settings.
  const { validation: v, calibration, ...rest } = options;
  const settings: Record<string, unknown> = { ...rest };
  delete settings.runner;
  check(validateSettings, settings, 'gate');
  const validation = parseDataset(v, 'validation');
  if (!Array.isArray(calibration) || calibration.length === 0) {
    throw new ValidationError('accuracy gate: calibration must hold at least one sample');
  }
  const task = options.task ?? inferTask(floatModel, validation);
  const limit = task === 'classification' ? options.maxAccuracyDropPp : options.maxMaeIncrease;
  if (limit === undefined || !(limit >= 0)) {
    throw new ValidationError(
      task === 'classification'
        ? 'accuracy gate: a classification model needs maxAccuracyDropPp (percentage points, ≥ 0)'
        : 'accuracy gate: a regression model needs maxMaeIncrease (≥ 0, in output units)',
    );
  }
  const evaluation: EvaluationRequest = { data: validation, on: 'validation', task };
  if (options.runner) evaluation.runner = options.runner;
  const baselineEval = await tryEvaluate(floatModel, evaluation, task);
  if (typeof baselineEval === 'string') {
    throw new ValidationError(
      `accuracy gate: the float model could not be evaluated: ${baselineEval}`,
    );
  }
  const baseline: ModelMeasure = { ...measureModel(floatModel), evaluation: baselineEval };

  const model = readModel(floatModel);
  const hasDense = model.operatorCodes.some(
    (c) => c.builtinCode === BuiltinOperator.FULLY_CONNECTED,
  );
  const attempts: GateAttempt[] = [];
  let cal: ReturnType<typeof calibrate> | undefined;
  const lossOf = new Map<string, number>();
  for (const c of candidates(options.startMode ?? 'int8', hasDense)) {
    if (c.mode === 'int16x8') {
      const pt = lossOf.get('int8 per-tensor');
      const pc = lossOf.get('int8 per-channel');
      if (pt !== undefined && pc !== undefined && pc < pt) c.perChannelDense = true;
    }
    const integer = c.mode === 'int8' || c.mode === 'int16x8';
    const io = integer && options.integerIo ? (c.mode === 'int8' ? 'int8' : 'int16') : 'float32';
    let out;
    try {
      if (integer && !cal) cal = calibrate(model, calibrationSamples(calibration));
      out = await quantizeAndReport(
        floatModel,
        integer ? cal : undefined,
        { mode: c.mode, io, perChannelDense: c.perChannelDense },
        evaluation,
        baselineEval,
      );
    } catch (err) {
      if (!isTinymlError(err)) throw err;
      attempts.push({
        candidate: c.name,
        passed: false,
        reason: `could not be built: ${err.message}`,
        perChannelDense: c.perChannelDense,
      });
      continue;
    }
    const r = out.report;
    const attempt: GateAttempt = {
      candidate: c.name,
      passed: false,
      reason: '',
      bytes: r.after.bytes,
      perChannelDense: c.perChannelDense,
    };
    if (!r.after.evaluation) {
      attempt.reason = `could not be evaluated: ${r.notes.join('; ')}`;
      attempts.push(attempt);
      continue;
    }
    attempt.evaluation = r.after.evaluation;
    const loss = task === 'classification' ? r.accuracyDropPp! : r.maeIncrease!;
    if (task === 'classification') attempt.accuracyDropPp = loss;
    else attempt.maeIncrease = loss;
    const what = task === 'classification' ? 'accuracy drop' : 'MAE increase';
    const unit = task === 'classification' ? ' pp' : '';
    lossOf.set(c.name, loss);
    attempt.passed = loss <= limit;
    attempt.reason = `${what} ${fmt(loss)}${unit} ${attempt.passed ? '≤' : '>'} ${fmt(limit)}${unit}`;
    if (attempt.passed && r.after.bytes >= baseline.bytes) {
      // A tiny model can grow (float16's DEQUANTIZE ops and tensors cost more
      // than half its weights save): nothing gained, so not chosen.
      attempt.passed = false;
      attempt.reason += `, but ${r.after.bytes} bytes is not smaller than the float model's ${baseline.bytes}`;
    }
    attempts.push(attempt);
    if (attempt.passed) {
      const tried = attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ');
      return {
        chosen: c.name,
        bytes: out.bytes,
        report: out.report,
        baseline,
        attempts,
        reason: `chose ${c.name} (${tried})`,
      };
    }
  }
  const tried = attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ');
  return {
    chosen: 'float32',
    bytes: floatModel,
    baseline,
    attempts,
    reason: `kept the float32 model: no candidate stayed within the limit (${tried})`,
  };
}
