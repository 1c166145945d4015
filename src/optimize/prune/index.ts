/**
 * Pruning as the CLI and the optimize node call it: validates the options,
 * holds out data, prunes (magnitude or structured), and measures the model
 * before and after — parameters, sparsity, .tflite bytes raw and gzip,
 * arena, MACs, held-out accuracy — in one OptimizeReport.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ajv, check } from '../../util/validate';
import { holdOut } from '../holdout';
import { checkInputShape } from '../../model/dataset';
import { inputShapeOf, taskOf } from '../twin';
import { compare, convertOptionsFor, measureTfjs, type OptimizeReport } from '../report';
import { pruneMagnitude, type MagnitudeResult } from './magnitude';
import { pruneStructured, type StructuredResult } from './structured';

export { pruneMagnitude, pruneStructured };
export { planStructured } from './channels';
export { applyPlan } from './structured';

export interface PruneOptions {
  /** Magnitude: fraction of zero weights per kernel; structured: fraction of units removed. */
  sparsity: number;
  structured?: boolean;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Fraction of the fine-tuning over which magnitude sparsity ramps up (default 0.6). */
  rampFraction?: number;
  /** Steps between magnitude mask updates. */
  frequency?: number;
  /** Magnitude pruning per kernel ("layer", default) or over all kernels ("global"). */
  scope?: 'layer' | 'global';
  /** Held-out data set; else `testFraction` of the data is held out (seeded). */
  heldOut?: unknown;
  testFraction?: number;
}

export const pruneOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sparsity'],
  properties: {
    sparsity: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    structured: { type: 'boolean' },
    epochs: { type: 'integer', minimum: 1, maximum: 100000 },
    batchSize: { type: 'integer', minimum: 1, maximum: 65536 },
    learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
    seed: { type: 'integer' },
    rampFraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    frequency: { type: 'integer', minimum: 1 },
    scope: { enum: ['layer', 'global'] },
    heldOut: { type: 'object' },
    testFraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
  },
} as const;

const validatePruneOptions = ajv.compile<PruneOptions>(pruneOptionsSchema);

export function parsePruneOptions(value: unknown, root = 'options'): PruneOptions {
  return check(validatePruneOptions, value, root);
}

export interface PruneHooks {
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface PruneOutput {
  model: tfTypes.LayersModel;
  report: OptimizeReport;
  /** The pruned model as a float32 .tflite, when the converter supports its layers. */
  tflite?: Uint8Array;
}

/**
 * Prunes a copy of `model` on `data` ({xs, ys}, validated) and reports the
 * model before and after on held-out data. The input model is not changed.
 */
export async function pruneModel(
  model: tfTypes.LayersModel,
  data: unknown,
  options: unknown,
  hooks: PruneHooks = {},
): Promise<PruneOutput> {
  const started = Date.now();
  const o = parsePruneOptions(options);
  const task = taskOf(model);
  const { train, test, description, caveat } = holdOut(data, o);
  checkInputShape(test, inputShapeOf(model), 'heldOut');
  const conv = convertOptionsFor(task, train);
  const before = measureTfjs('original', model, test, task, conv);
  const common = {
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    seed: o.seed,
    onEpoch: hooks.onEpoch,
    signal: hooks.signal,
  };
  let pruned: tfTypes.LayersModel;
  let details: Record<string, unknown>;
  const notes: string[] = caveat ? [caveat] : [];
  if (o.structured) {
    const r: StructuredResult = await pruneStructured(model, train, {
      ...common,
      fraction: o.sparsity,
    });
    pruned = r.model;
    details = {
      epochs: r.epochs,
      layers: r.plan.units.map((u) => ({ layer: u.layer, units: u.units, kept: u.keep.length })),
      skipped: r.plan.skipped,
      losses: r.losses,
    };
    for (const s of r.plan.skipped) notes.push(`${s.layer} kept whole: ${s.reason}`);
  } else {
    const r: MagnitudeResult = await pruneMagnitude(model, train, {
      ...common,
      sparsity: o.sparsity,
      rampFraction: o.rampFraction,
      frequency: o.frequency,
      scope: o.scope,
    });
    pruned = r.model;
    details = {
      epochs: r.epochs,
      scope: o.scope ?? 'layer',
      kernels: r.kernels,
      schedule: r.schedule,
      losses: r.losses,
    };
  }
  const after = measureTfjs('pruned', pruned, test, task, conv);
  const report: OptimizeReport = {
    technique: o.structured ? 'structured pruning (units/filters)' : 'magnitude pruning (weights)',
    task,
    data: { trainSamples: train.xs.length, heldOutSamples: test.xs.length, heldOut: description },
    settings: {
      sparsity: o.sparsity,
      structured: o.structured === true,
      batchSize: o.batchSize ?? 32,
      learningRate: o.learningRate ?? 0.001,
      seed: o.seed ?? 1,
      ...details,
    },
    models: [before.measure, after.measure],
    comparisons: [compare(after.measure, before.measure)],
    notes,
    durationMs: Date.now() - started,
  };
  const out: PruneOutput = { model: pruned, report };
  if (after.tflite) out.tflite = after.tflite;
  return out;
}
