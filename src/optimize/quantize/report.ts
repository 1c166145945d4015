/**
 * What quantization did to a model, measured on the files themselves: raw
 * and gzip size (flash, and what a deployment sends), planned arena, MACs
 * and parameters (from inspect, the same numbers `tinyml inspect` prints),
 * and, when data is given, accuracy or error before and after.
 */
import type { Evaluation } from '../evaluate';
import { inspectModel } from '../../tflite/inspect';
import { readModel } from '../../tflite/reader';
import { gzipSize } from '../report';

export interface ModelMeasure {
  bytes: number;
  gzipBytes: number;
  arenaBytes: number;
  macs: number;
  params: number;
  paramBytes: number;
  /** Types of the model's inputs and outputs. */
  io: { inputs: string[]; outputs: string[] };
  evaluation?: Evaluation;
}

export interface QuantizeReport {
  mode: string;
  io: string;
  perChannelDense: boolean;
  calibrationSamples?: number;
  before: ModelMeasure;
  after: ModelMeasure;
  /** after / before. */
  ratio: { bytes: number; gzipBytes: number; arenaBytes: number };
  /** Which data the evaluations ran on ('validation' is held out; 'calibration' is not). */
  evaluatedOn?: 'validation' | 'calibration';
  /** Accuracy lost in percentage points (classification), or MAE gained (regression). */
  accuracyDropPp?: number;
  maeIncrease?: number;
  /** Why evaluation did not happen, or anything else worth knowing. */
  notes: string[];
}

export function measureModel(bytes: Uint8Array): ModelMeasure {
  const r = inspectModel(readModel(bytes), bytes.length);
  return {
    bytes: bytes.length,
    gzipBytes: gzipSize(bytes),
    arenaBytes: r.arenaBytes,
    macs: r.macs,
    params: r.params,
    paramBytes: r.paramBytes,
    io: { inputs: r.inputs.map((t) => t.dtype), outputs: r.outputs.map((t) => t.dtype) },
  };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Accuracy drop in percentage points, or MAE increase, from two evaluations. */
export function evaluationChange(
  before: Evaluation,
  after: Evaluation,
): { accuracyDropPp?: number; maeIncrease?: number } {
  if (before.accuracy !== undefined && after.accuracy !== undefined) {
    return { accuracyDropPp: round((before.accuracy - after.accuracy) * 100) };
  }
  if (before.mae !== undefined && after.mae !== undefined) {
    return { maeIncrease: round(after.mae - before.mae, 6) };
  }
  return {};
}

export function ratios(before: ModelMeasure, after: ModelMeasure): QuantizeReport['ratio'] {
  return {
    bytes: round(after.bytes / before.bytes),
    gzipBytes: round(after.gzipBytes / before.gzipBytes),
    arenaBytes: round(after.arenaBytes / Math.max(1, before.arenaBytes)),
  };
}

function describe(e: Evaluation | undefined): string {
  if (!e) return 'not evaluated';
  if (e.accuracy !== undefined) return `accuracy ${(e.accuracy * 100).toFixed(2)}%`;
  return `MAE ${e.mae?.toPrecision(4)}`;
}

/** The report as a table for the CLI. */
export function formatQuantizeReport(r: QuantizeReport): string {
  const row = (label: string, b: string | number, a: string | number, ratio = '') =>
    `${label.padEnd(12)} ${String(b).padStart(14)} ${String(a).padStart(14)} ${ratio.padStart(7)}`;
  const lines = [
    `quantized ${r.mode} (io ${r.io}${r.perChannelDense ? ', dense per channel' : ''})` +
      (r.calibrationSamples ? `, calibrated on ${r.calibrationSamples} samples` : ''),
    row('', 'before', 'after', 'ratio'),
    row('bytes', r.before.bytes, r.after.bytes, r.ratio.bytes.toFixed(3)),
    row('gzip bytes', r.before.gzipBytes, r.after.gzipBytes, r.ratio.gzipBytes.toFixed(3)),
    row('arena bytes', r.before.arenaBytes, r.after.arenaBytes, r.ratio.arenaBytes.toFixed(3)),
    row('MACs', r.before.macs, r.after.macs),
    row('io', r.before.io.inputs.join(','), r.after.io.inputs.join(',')),
  ];
  if (r.before.evaluation || r.after.evaluation) {
    lines.push(
      row(
        r.evaluatedOn === 'validation' ? 'held-out' : 'calib data',
        describe(r.before.evaluation),
        describe(r.after.evaluation),
      ),
    );
  }
  if (r.accuracyDropPp !== undefined) lines.push(`accuracy drop ${r.accuracyDropPp} pp`);
  if (r.maeIncrease !== undefined) lines.push(`MAE increase ${r.maeIncrease}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
