/**
 * What a model will cost on a device, read from the file alone: the ops and
 * how often each runs, tensors with shape, type and quantization, parameter
 * count and bytes, multiply-accumulates per op (macs.ts), flash bytes, the
 * planned tensor arena (the planner the interpreter uses, after TFLM's
 * GreedyMemoryPlanner) and the builtin ops a device's op resolver must
 * register, as the TFLM code that registers them (tflm-resolver.ts).
 */
import {
  elementCount,
  operatorName,
  tensorByteSize,
  type SubGraphDef,
  type TfliteModel,
} from './model';
import { readMetadata, type ModelMetadata } from './metadata';
import { macsOf } from './macs';
import { tflmResolver } from './tflm-resolver';
import { planArena, isConstant } from '../runtime/memory';

export interface TensorInfo {
  index: number;
  name: string;
  shape: number[];
  dtype: string;
  bytes: number;
  constant: boolean;
  /** Byte offset in the planned arena; absent for tensors not in the arena. */
  arenaOffset?: number;
  quantization?: { scale: number[]; zeroPoint: number[]; quantizedDimension: number };
}

export interface OpInfo {
  index: number;
  op: string;
  /** The operator code's version (op_version.cc numbering). */
  version: number;
  inputs: number[];
  outputs: number[];
  macs: number;
}

export interface InspectReport {
  description: string;
  metadata?: ModelMetadata;
  /** Size of the .tflite file: what the device stores in flash. */
  flashBytes: number;
  /** Planned tensor arena of the main subgraph (TFLM's non-persistent section). */
  arenaBytes: number;
  /** Elements and bytes of the constant tensors that hold weights and biases. */
  params: number;
  paramBytes: number;
  macs: number;
  subgraphs: number;
  ops: OpInfo[];
  opCounts: Record<string, number>;
  /** Builtin ops of every subgraph, sorted: what the op resolver must register. */
  requiredOps: string[];
  tflm: { resolver: string[]; unsupported: string[]; code: string };
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  tensors: TensorInfo[];
}

/**
 * Constants that describe a shape rather than hold weights (the new shape of
 * RESHAPE, the paddings of PAD, the axes of MEAN, ...): op name → the input
 * positions that are such descriptors. They take flash but are not parameters.
 */
const STRUCTURAL_INPUTS: Record<string, number[]> = {
  RESHAPE: [1],
  PAD: [1],
  PADV2: [1],
  MIRROR_PAD: [1],
  MEAN: [1],
  SUM: [1],
  REDUCE_MAX: [1],
  REDUCE_MIN: [1],
  REDUCE_PROD: [1],
  TRANSPOSE: [1],
  EXPAND_DIMS: [1],
  SLICE: [1, 2],
  STRIDED_SLICE: [1, 2, 3],
  RESIZE_BILINEAR: [1],
  RESIZE_NEAREST_NEIGHBOR: [1],
  TRANSPOSE_CONV: [0],
};

function structuralConstants(model: TfliteModel, sg: SubGraphDef): Set<number> {
  const structural = new Set<number>();
  const other = new Set<number>();
  for (const op of sg.operators) {
    const positions = STRUCTURAL_INPUTS[operatorName(model, op)] ?? [];
    op.inputs.forEach((t, i) => (positions.includes(i) ? structural : other).add(t));
  }
  for (const t of other) structural.delete(t);
  return structural;
}

function byteSize(model: TfliteModel, sg: SubGraphDef, index: number): number {
  const t = sg.tensors[index];
  if (isConstant(model, sg, index)) return model.buffers[t.buffer].data.length;
  try {
    return tensorByteSize(t);
  } catch {
    return 0; // strings and resources have no fixed size
  }
}

export function inspectModel(model: TfliteModel, fileBytes: number): InspectReport {
  const sg = model.subgraphs[0];
  const plan = planArena(model);
  const tensorInfo = (index: number): TensorInfo => {
    const t = sg.tensors[index];
    const info: TensorInfo = {
      index,
      name: t.name,
      shape: t.shape,
      dtype: t.type,
      bytes: byteSize(model, sg, index),
      constant: isConstant(model, sg, index),
    };
    if (plan.tensorOffsets[index] >= 0) info.arenaOffset = plan.tensorOffsets[index];
    if (t.quantization && t.quantization.scale.length > 0) {
      info.quantization = {
        scale: t.quantization.scale,
        zeroPoint: t.quantization.zeroPoint,
        quantizedDimension: t.quantization.quantizedDimension,
      };
    }
    return info;
  };
  const tensors = sg.tensors.map((_, i) => tensorInfo(i));
  const structural = structuralConstants(model, sg);
  let params = 0;
  let paramBytes = 0;
  for (const t of tensors) {
    if (!t.constant || structural.has(t.index)) continue;
    params += elementCount(t.shape);
    paramBytes += t.bytes;
  }
  const ops: OpInfo[] = sg.operators.map((op, index) => {
    const name = operatorName(model, op);
    return {
      index,
      op: name,
      version: model.operatorCodes[op.opcodeIndex]?.version ?? 1,
      inputs: op.inputs,
      outputs: op.outputs,
      macs: macsOf(sg, op, name),
    };
  });
  const opCounts: Record<string, number> = {};
  for (const o of ops) opCounts[o.op] = (opCounts[o.op] ?? 0) + 1;
  const allOps = new Set<string>();
  for (const s of model.subgraphs)
    for (const op of s.operators) allOps.add(operatorName(model, op));
  const requiredOps = [...allOps].sort();
  const report: InspectReport = {
    description: model.description,
    flashBytes: fileBytes,
    arenaBytes: plan.arenaBytes,
    params,
    paramBytes,
    macs: ops.reduce((n, o) => n + o.macs, 0),
    subgraphs: model.subgraphs.length,
    ops,
    opCounts,
    requiredOps,
    tflm: (() => {
      const r = tflmResolver(requiredOps);
      return { resolver: r.methods, unsupported: r.unsupported, code: r.code };
    })(),
    inputs: sg.inputs.map(tensorInfo),
    outputs: sg.outputs.map(tensorInfo),
    tensors,
  };
  const meta = readMetadata(model);
  if (meta) report.metadata = meta;
  return report;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function bytes(n: number): string {
  return n < 1024 ? `${n} bytes` : `${count(n)} bytes = ${(n / 1024).toFixed(1)} KiB`;
}

/** The report as the CLI prints it. */
export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  const m = r.metadata;
  if (m?.name) lines.push(`model        ${m.name}${m.version ? ` ${m.version}` : ''}`);
  if (m?.description) lines.push(`description  ${m.description}`);
  if (m?.task) lines.push(`task         ${m.task}`);
  if (m?.labels) lines.push(`labels       ${m.labels.join(', ')}`);
  const s = m?.inputScaling;
  if (s?.mean !== undefined) lines.push(`input        (x - ${s.mean}) / ${s.std}`);
  if (s?.min !== undefined) lines.push(`input        (x - ${s.min}) / (${s.max} - ${s.min})`);
  if (m?.producer) lines.push(`producer     ${m.producer.name} ${m.producer.version}`);
  lines.push(`flash        ${bytes(r.flashBytes)}`);
  lines.push(
    `arena        ${bytes(r.arenaBytes)} planned (tensors; TFLM adds its own bookkeeping)`,
  );
  lines.push(`parameters   ${count(r.params)} (${bytes(r.paramBytes)})`);
  lines.push(`MACs         ${count(r.macs)}`);
  lines.push(
    `ops          ${Object.entries(r.opCounts)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ')}`,
  );
  const io = (t: TensorInfo) => {
    const q = t.quantization;
    const quant =
      q && q.scale.length === 1 ? ` (scale ${q.scale[0]}, zero point ${q.zeroPoint[0] ?? 0})` : '';
    return `${t.name} [${t.shape}] ${t.dtype}${quant}`;
  };
  lines.push(`inputs       ${r.inputs.map(io).join('; ')}`);
  lines.push(`outputs      ${r.outputs.map(io).join('; ')}`);
  if (r.subgraphs > 1)
    lines.push(`subgraphs    ${r.subgraphs} (operators below are the main one's)`);
  lines.push('');
  lines.push(`${'#'.padStart(3)}  ${'op'.padEnd(20)} ${'MACs'.padStart(10)}  outputs`);
  for (const o of r.ops) {
    const outs = o.outputs.map((i) => `[${r.tensors[i]?.shape ?? ''}]`).join(' ');
    lines.push(
      `${String(o.index).padStart(3)}  ${o.op.padEnd(20)} ${count(o.macs).padStart(10)}  ${outs}`,
    );
  }
  lines.push('');
  if (r.tflm.unsupported.length > 0) {
    lines.push(`TFLM has no builtin kernel for: ${r.tflm.unsupported.join(', ')}`);
  }
  lines.push('TFLM op resolver:');
  lines.push(...r.tflm.code.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}
