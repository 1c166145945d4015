/**
 * The report every optimization writes (report.json, msg.optimize, the CLI
 * table): for each model involved — before and after, or teacher, student
 * alone and distilled — its parameters and sparsity, its .tflite bytes raw
 * and gzip-compressed, planned arena, MACs, and accuracy (or error) on
 * held-out data; then comparisons of one model against another.
 *
 * A model is measured from its .tflite when it has one (the artifact that
 * goes to a device), so quantization reports through `measureTflite` and
 * pruning and distillation through `measureTfjs`, which converts first.
 */
import { gzipSync } from 'node:zlib';
import type * as tfTypes from '@tensorflow/tfjs';
import { evaluateTflite, evaluateTfjs, type Evaluation } from './evaluate';
import type { Dataset } from '../model/dataset';
import { convertLayersModel, type ConvertOptions } from '../tflite/convert';
import { writeModel } from '../tflite/writer';
import { readModel } from '../tflite/reader';
import { inspectModel } from '../tflite/inspect';
import { elementCount, operatorName, type TensorDef, type TfliteModel } from '../tflite/model';
import { isConstant } from '../runtime/memory';
import { isTinymlError } from '../errors';

export type Task = Evaluation['task'];

/** What a .tflite costs on a device. */
export interface TfliteMeasure {
  /** File size: the flash a device needs for the model. */
  bytes: number;
  /** gzip (zlib level 6, the gzip tool's default) of the file: the transfer size. */
  gzipBytes: number;
  arenaBytes: number;
  macs: number;
  /** Constant elements (weights, biases, and any constant shape tensors). */
  params: number;
  /** Zero fraction of the weight tensors of FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D. */
  weightSparsity: number;
  ops: string[];
}

export interface ModelMeasure {
  name: string;
  params: number;
  nonzeroParams: number;
  /** Zero fraction of the weight matrices and kernels; biases are not counted. */
  weightSparsity: number;
  tflite?: TfliteMeasure;
  /** Held-out accuracy (or error) of the TensorFlow.js model. */
  evaluation?: Evaluation;
  /** Held-out accuracy (or error) of the .tflite run in the project's interpreter. */
  tfliteEvaluation?: Evaluation;
  /** Why a part is missing (a layer the converter lacks, an op the interpreter lacks). */
  notes?: string[];
}

export interface Comparison {
  /** Name of the model being judged and of the one it is judged against. */
  of: string;
  against: string;
  paramsRatio: number;
  nonzeroParamsRatio: number;
  bytesRatio?: number;
  gzipRatio?: number;
  arenaRatio?: number;
  macsRatio?: number;
  /** Percentage points lost (negative: gained) on held-out data. */
  accuracyDropPp?: number;
  /** Change of mean absolute error (positive: worse). */
  maeChange?: number;
}

export interface OptimizeReport {
  technique: string;
  task: Task;
  data: { trainSamples: number; heldOutSamples: number; heldOut: string };
  settings: Record<string, unknown>;
  models: ModelMeasure[];
  comparisons: Comparison[];
  notes: string[];
  durationMs: number;
}

const WEIGHT_OPS = new Set(['FULLY_CONNECTED', 'CONV_2D', 'DEPTHWISE_CONV_2D']);

/** Tensor indices holding the weights (input 1) of the ops that have weight matrices. */
export function weightTensors(model: TfliteModel): Set<number> {
  const sg = model.subgraphs[0];
  const out = new Set<number>();
  for (const op of sg.operators) {
    if (WEIGHT_OPS.has(operatorName(model, op)) && op.inputs[1] >= 0) out.add(op.inputs[1]);
  }
  return out;
}

/**
 * Zero elements of a constant tensor. A quantized value is zero when it
 * equals its zero point (real = scale × (q − zeroPoint), TFLite quantization
 * spec); float16 zero is either signed zero.
 */
export function countZeros(t: TensorDef, data: Uint8Array): number {
  const n = elementCount(t.shape);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const zp = t.quantization?.zeroPoint ?? [];
  const qdim = t.quantization?.quantizedDimension ?? 0;
  // Elements per step of the quantized dimension, to find each element's channel.
  const inner = elementCount(t.shape.slice(qdim + 1));
  const channels = t.shape[qdim] ?? 1;
  const zeroOf = (i: number) =>
    zp.length > 1 ? zp[Math.floor(i / inner) % channels] : (zp[0] ?? 0);
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    switch (t.type) {
      case 'float32':
        if (view.getFloat32(i * 4, true) === 0) zeros++;
        break;
      case 'float16':
        if ((view.getUint16(i * 2, true) & 0x7fff) === 0) zeros++;
        break;
      case 'int8':
        if (view.getInt8(i) === zeroOf(i)) zeros++;
        break;
      case 'uint8':
        if (view.getUint8(i) === zeroOf(i)) zeros++;
        break;
      case 'int16':
        if (view.getInt16(i * 2, true) === zeroOf(i)) zeros++;
        break;
      case 'int32':
        if (view.getInt32(i * 4, true) === zeroOf(i)) zeros++;
        break;
      default:
        return 0; // types without a plain zero (int4 packed, strings): not counted
    }
  }
  return zeros;
}

/**
 * Bytes of the file gzip-compressed at level 9 (`gzip -9`), the figure every
 * optimize report gives, so quantize, prune and distill compare alike.
 */
export function gzipSize(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: 9 }).length;
}

/** Sizes, arena, MACs and weight sparsity of a .tflite. */
export function tfliteMeasure(
  bytes: Uint8Array,
  model: TfliteModel = readModel(bytes),
): TfliteMeasure {
  const info = inspectModel(model, bytes.length);
  const sg = model.subgraphs[0];
  let weights = 0;
  let zeros = 0;
  for (const i of weightTensors(model)) {
    const t = sg.tensors[i];
    if (!isConstant(model, sg, i)) continue;
    weights += elementCount(t.shape);
    zeros += countZeros(t, model.buffers[t.buffer].data);
  }
  return {
    bytes: bytes.length,
    gzipBytes: gzipSize(bytes),
    arenaBytes: info.arenaBytes,
    macs: info.macs,
    params: info.params,
    weightSparsity: weights ? zeros / weights : 0,
    ops: info.requiredOps,
  };
}

function noteOf(what: string, err: unknown): string {
  if (!isTinymlError(err)) throw err;
  return `${what}: ${err.message}`;
}

/** Measures a .tflite alone (e.g. a quantized model): counts come from its constant tensors. */
export function measureTflite(
  name: string,
  bytes: Uint8Array,
  heldOut?: Dataset,
  task?: Task,
): ModelMeasure {
  const model = readModel(bytes);
  const sg = model.subgraphs[0];
  const tfl = tfliteMeasure(bytes, model);
  let zeros = 0;
  sg.tensors.forEach((t, i) => {
    if (isConstant(model, sg, i)) zeros += countZeros(t, model.buffers[t.buffer].data);
  });
  const m: ModelMeasure = {
    name,
    params: tfl.params,
    nonzeroParams: tfl.params - zeros,
    weightSparsity: tfl.weightSparsity,
    tflite: tfl,
  };
  if (heldOut && task) {
    try {
      m.tfliteEvaluation = evaluateTflite(bytes, heldOut, task);
    } catch (err) {
      m.notes = [noteOf('not evaluated in the interpreter', err)];
    }
  }
  return m;
}

/** Short names of the weights pruning acts on (and sparsity counts). */
export const KERNEL_NAMES = new Set(['kernel', 'depthwise_kernel', 'pointwise_kernel']);

export function shortWeightName(w: tfTypes.LayerVariable): string {
  return w.originalName.split('/').pop() ?? w.originalName;
}

/** Parameter and kernel-sparsity counts of a tfjs model. */
export function tfjsCounts(model: tfTypes.LayersModel): {
  params: number;
  nonzeroParams: number;
  weightSparsity: number;
} {
  let params = 0;
  let nonzero = 0;
  let kernel = 0;
  let kernelZeros = 0;
  for (const w of model.weights) {
    const values = w.read().dataSync();
    let zeros = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
    params += values.length;
    nonzero += values.length - zeros;
    if (KERNEL_NAMES.has(shortWeightName(w))) {
      kernel += values.length;
      kernelZeros += zeros;
    }
  }
  return {
    params,
    nonzeroParams: nonzero,
    weightSparsity: kernel ? kernelZeros / kernel : 0,
  };
}

/**
 * Measures a tfjs model: its counts, its held-out accuracy, and — when the
 * converter supports all its layers — its .tflite (returned too, so the
 * caller can write it) measured and run in the project's interpreter.
 */
export function measureTfjs(
  name: string,
  model: tfTypes.LayersModel,
  heldOut: Dataset,
  task: Task,
  convert: ConvertOptions = {},
): { measure: ModelMeasure; tflite?: Uint8Array } {
  const m: ModelMeasure = { name, ...tfjsCounts(model) };
  m.evaluation = evaluateTfjs(model, heldOut, task);
  const notes: string[] = [];
  let bytes: Uint8Array | undefined;
  try {
    bytes = writeModel(convertLayersModel(model, convert));
  } catch (err) {
    notes.push(noteOf('no .tflite', err));
  }
  if (bytes) {
    m.tflite = tfliteMeasure(bytes);
    try {
      m.tfliteEvaluation = evaluateTflite(bytes, heldOut, task);
    } catch (err) {
      notes.push(noteOf('.tflite not evaluated in the interpreter', err));
    }
  }
  if (notes.length) m.notes = notes;
  return { measure: m, tflite: bytes };
}

/** Metadata for the .tflite of a model trained on `ds`: its task and class labels. */
export function convertOptionsFor(task: Task, ds: Dataset): ConvertOptions {
  return { metadata: { task, ...(ds.labels ? { labels: ds.labels } : {}) } };
}

/** The evaluation a comparison uses: the .tflite's when there is one, else the tfjs model's. */
export function primaryEvaluation(m: ModelMeasure): Evaluation | undefined {
  return m.tfliteEvaluation ?? m.evaluation;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export function compare(of: ModelMeasure, against: ModelMeasure): Comparison {
  const c: Comparison = {
    of: of.name,
    against: against.name,
    paramsRatio: of.params / against.params,
    nonzeroParamsRatio: of.nonzeroParams / against.nonzeroParams,
  };
  const set = <K extends keyof Comparison>(k: K, v: Comparison[K] | undefined) => {
    if (v !== undefined) c[k] = v;
  };
  set('bytesRatio', ratio(of.tflite?.bytes, against.tflite?.bytes));
  set('gzipRatio', ratio(of.tflite?.gzipBytes, against.tflite?.gzipBytes));
  set('arenaRatio', ratio(of.tflite?.arenaBytes, against.tflite?.arenaBytes));
  set('macsRatio', ratio(of.tflite?.macs, against.tflite?.macs));
  // Both sides from the same kind of evaluation (.tflite when both have one).
  const bothTflite = of.tfliteEvaluation && against.tfliteEvaluation;
  const a = bothTflite ? of.tfliteEvaluation : of.evaluation;
  const b = bothTflite ? against.tfliteEvaluation : against.evaluation;
  if (a?.accuracy !== undefined && b?.accuracy !== undefined) {
    set('accuracyDropPp', (b.accuracy - a.accuracy) * 100);
  }
  if (a?.mae !== undefined && b?.mae !== undefined) set('maeChange', a.mae - b.mae);
  return c;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const fixed = (v: number, d = 3) => v.toFixed(d);

function evalCell(e: Evaluation | undefined, key: 'accuracy' | 'mae' | 'mse'): string {
  const v = e?.[key];
  if (v === undefined) return '-';
  return key === 'accuracy' ? pct(v) : v.toPrecision(4);
}

/** Aligned text table: first column left-aligned, the rest right-aligned. */
export function textTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report as the CLI prints it: one column per model, then the comparisons. */
export function formatReport(r: OptimizeReport): string {
  const ms = r.models;
  const row = (label: string, cell: (m: ModelMeasure) => string) => [label, ...ms.map(cell)];
  const opt = (v: number | undefined, f: (v: number) => string = String) =>
    v === undefined ? '-' : f(v);
  const rows = [
    row('parameters', (m) => String(m.params)),
    row('non-zero parameters', (m) => String(m.nonzeroParams)),
    row('weight sparsity', (m) => pct(m.weightSparsity)),
    row('.tflite bytes', (m) => opt(m.tflite?.bytes)),
    row('.tflite gzip bytes', (m) => opt(m.tflite?.gzipBytes)),
    row('arena bytes', (m) => opt(m.tflite?.arenaBytes)),
    row('MACs', (m) => opt(m.tflite?.macs)),
  ];
  const key: ('accuracy' | 'mae' | 'mse')[] =
    r.task === 'classification' ? ['accuracy'] : ['mae', 'mse'];
  for (const k of key) {
    rows.push(row(`${k} (tfjs)`, (m) => evalCell(m.evaluation, k)));
    rows.push(row(`${k} (.tflite)`, (m) => evalCell(m.tfliteEvaluation, k)));
  }
  const lines = [
    `${r.technique}: ${r.task}, ${r.data.trainSamples} training samples, ${r.data.heldOutSamples} held out (${r.data.heldOut})`,
    '',
    textTable(['', ...ms.map((m) => m.name)], rows),
    '',
  ];
  for (const c of r.comparisons) {
    const parts = [
      `params ×${fixed(c.paramsRatio)}`,
      `non-zero ×${fixed(c.nonzeroParamsRatio)}`,
      c.bytesRatio !== undefined ? `bytes ×${fixed(c.bytesRatio)}` : '',
      c.gzipRatio !== undefined ? `gzip ×${fixed(c.gzipRatio)}` : '',
      c.arenaRatio !== undefined ? `arena ×${fixed(c.arenaRatio)}` : '',
      c.macsRatio !== undefined ? `MACs ×${fixed(c.macsRatio)}` : '',
      c.accuracyDropPp !== undefined ? `accuracy drop ${c.accuracyDropPp.toFixed(2)} pp` : '',
      c.maeChange !== undefined ? `MAE change ${c.maeChange.toPrecision(3)}` : '',
    ].filter(Boolean);
    lines.push(`${c.of} vs ${c.against}: ${parts.join(', ')}`);
  }
  for (const m of ms) for (const n of m.notes ?? []) lines.push(`note (${m.name}): ${n}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
