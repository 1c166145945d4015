/**
 * Distillation as the CLI and the optimize node call it: validates the
 * options, holds out data, trains the student alone and distilled, and
 * reports teacher, student alone and distilled student side by side.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ajv, check } from '../../util/validate';
import { holdOut } from '../holdout';
import { checkInputShape } from '../../model/dataset';
import {
  compare,
  convertOptionsFor,
  measureTfjs,
  type ModelMeasure,
  type OptimizeReport,
} from '../report';
import { distill } from './distill';
import { inputShapeOf, taskOf } from '../twin';
import type { ModelSpec } from '../../model/spec';
import { ValidationError } from '../../errors';

export { distill } from './distill';
export { distillationLoss, regressionDistillationLoss, softKl } from './loss';
export { studentForBudget, specFromModel, footprintOf } from './student';

export interface DistillModelOptions {
  studentSpec?: object;
  budget?: { flashBytes?: number; arenaBytes?: number };
  temperature?: number;
  alpha?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Train the student alone for comparison (default true). */
  baseline?: boolean;
  heldOut?: unknown;
  testFraction?: number;
}

export const distillOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    studentSpec: { type: 'object' },
    budget: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        flashBytes: { type: 'integer', minimum: 1 },
        arenaBytes: { type: 'integer', minimum: 1 },
      },
    },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    alpha: { type: 'number', minimum: 0, maximum: 1 },
    epochs: { type: 'integer', minimum: 1, maximum: 100000 },
    batchSize: { type: 'integer', minimum: 1, maximum: 65536 },
    learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
    seed: { type: 'integer' },
    baseline: { type: 'boolean' },
    heldOut: { type: 'object' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
  },
} as const;

const validateDistillOptions = ajv.compile<DistillModelOptions>(distillOptionsSchema);

export function parseDistillOptions(value: unknown, root = 'options'): DistillModelOptions {
  const o = check(validateDistillOptions, value, root);
  if ((o.studentSpec === undefined) === (o.budget === undefined)) {
    throw new ValidationError(`${root} needs exactly one of studentSpec and budget`);
  }
  return o;
}

export interface DistillHooks {
  onEpoch?: (run: 'distilled' | 'alone', epoch: number, epochs: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface DistillOutput {
  model: tfTypes.LayersModel;
  alone?: tfTypes.LayersModel;
  /** The student's spec as trained (derived from the budget when none was given). */
  spec: ModelSpec;
  report: OptimizeReport;
  /** The distilled student as a float32 .tflite, when the converter supports its layers. */
  tflite?: Uint8Array;
}

export async function distillModel(
  teacher: tfTypes.LayersModel,
  data: unknown,
  options: unknown,
  hooks: DistillHooks = {},
): Promise<DistillOutput> {
  const started = Date.now();
  const o = parseDistillOptions(options);
  const { train, test, description, caveat } = holdOut(data, o);
  checkInputShape(test, inputShapeOf(teacher), 'heldOut');
  const conv = convertOptionsFor(taskOf(teacher), train);
  const r = await distill(teacher, train, { ...o, ...hooks, convert: conv });
  const measures: ModelMeasure[] = [measureTfjs('teacher', teacher, test, r.task, conv).measure];
  let alone: ModelMeasure | undefined;
  if (r.alone) {
    alone = measureTfjs('student alone', r.alone, test, r.task, conv).measure;
    measures.push(alone);
  }
  const distilled = measureTfjs('distilled', r.student, test, r.task, conv);
  measures.push(distilled.measure);
  const notes: string[] = caveat ? [caveat] : [];
  if (r.task === 'regression') {
    notes.push(
      'regression teacher: the student regresses on its outputs; temperature does not apply',
    );
  }
  if (r.search) {
    notes.push(
      r.search.chosenWidth === r.search.teacherWidth
        ? "the teacher's own architecture fits the budget: the student has the teacher's widths"
        : `student derived for the budget: hidden widths scaled to ${r.search.chosenWidth}/${r.search.teacherWidth} of the teacher's widest layer`,
    );
  }
  const report: OptimizeReport = {
    technique: 'knowledge distillation (Hinton et al. 2015)',
    task: r.task,
    data: { trainSamples: train.xs.length, heldOutSamples: test.xs.length, heldOut: description },
    settings: {
      ...r.settings,
      studentSpec: r.spec,
      ...(r.search ? { budgetSearch: r.search } : {}),
      losses: r.losses,
    },
    models: measures,
    comparisons: [
      ...(alone ? [compare(distilled.measure, alone)] : []),
      compare(distilled.measure, measures[0]),
    ],
    notes,
    durationMs: Date.now() - started,
  };
  const out: DistillOutput = { model: r.student, spec: r.spec, report };
  if (r.alone) out.alone = r.alone;
  if (distilled.tflite) out.tflite = distilled.tflite;
  return out;
}
