/**
 * What a deployer and a device need to know about a model before any byte of
 * it moves: identity (name, version, sha256, size) and cost (ops, planned
 * arena, quantization) read from the file with the project's reader and the
 * interpreter's own planner (src/runtime/memory.ts) and, for TFLite Micro
 * devices, the calibrated estimate of src/export/arena.ts, plus the labels and
 * input scaling of its "tinyml" metadata (docs/formats.md).
 */
import { estimateArenaBytes } from '../export/arena';
import { inspectModel } from '../tflite/inspect';
import { readModel } from '../tflite/reader';
import { readMetadata } from '../tflite/metadata';
import { operatorName, type TfliteModel } from '../tflite/model';
import { planArena, isConstant } from '../runtime/memory';
import { sha256Hex } from '../util/sha256';
import type { Quantization } from './messages';

export interface ModelInfo {
  name: string;
  version: string;
  sha256: string;
  size: number;
  ops: string[];
  /** Planned tensor arena of the project's interpreter (what a "tinyml" runtime needs). */
  arenaBytes: number;
  /** The arena TensorFlow Lite Micro needs: planned bytes plus its persistent structures. */
  tflmArenaBytes: number;
  quantization: Quantization;
  labels?: string[];
  inputScaling?: Record<string, number | number[]>;
}

/** Reads `bytes` as a .tflite (a malformed file throws a TfliteFormatError). */
export function describeModel(
  bytes: Uint8Array,
  overrides: { name?: string; version?: string } = {},
): ModelInfo {
  const model = readModel(bytes);
  const meta = readMetadata(model);
  const sg = model.subgraphs[0];
  const ops = sg ? [...new Set(sg.operators.map((o) => operatorName(model, o)))].sort() : [];
  const info: ModelInfo = {
    name: overrides.name ?? meta?.name ?? 'model',
    version: overrides.version ?? meta?.version ?? '1',
    sha256: sha256Hex(bytes),
    size: bytes.length,
    ops,
    arenaBytes: sg ? planArena(model).arenaBytes : 0,
    tflmArenaBytes: sg
      ? estimateArenaBytes(model, inspectModel(model, bytes.length)).totalBytes
      : 0,
    quantization: quantizationOf(model),
  };
  if (meta?.labels) info.labels = meta.labels;
  if (meta?.inputScaling) info.inputScaling = { ...meta.inputScaling };
  return info;
}

/**
 * The model's numeric scheme, from its activation (non-constant) and weight
 * tensor types: all float32 → float32; float16 weights → float16; int8 or
 * int16 activations → int8 / int16 (the TFLite quantization spec's
 * full-integer schemes); anything else → mixed.
 */
export function quantizationOf(model: TfliteModel): Quantization {
  const sg = model.subgraphs[0];
  if (!sg) return 'mixed';
  const acts = new Set<string>();
  const weights = new Set<string>();
  sg.tensors.forEach((t, i) => (isConstant(model, sg, i) ? weights : acts).add(t.type));
  const only = (s: Set<string>, ...types: string[]) => [...s].every((t) => types.includes(t));
  if (only(acts, 'float32') && only(weights, 'float32', 'int32')) return 'float32';
  if (only(acts, 'float32') && only(weights, 'float16', 'float32', 'int32')) return 'float16';
  if (only(acts, 'int8', 'int32') && acts.has('int8')) return 'int8';
  if (acts.has('int16') && only(acts, 'int16', 'int32', 'int64')) return 'int16';
  return 'mixed';
}
