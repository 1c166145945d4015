/**
 * What a model will cost on a device, read from the file alone: the ops and
 * how often each runs, tensors with shape, type and quantization, parameter
 * count and bytes, multiply-accumulates per op, flash bytes, the planned
 * tensor arena (the same planner the interpreter uses) and the builtin ops a
 * device's op resolver must register.
 */
import {
  elementCount,
  operatorName,
  tensorByteSize,
  type OperatorDef,
  type TfliteModel,
} from './model';
import { readMetadata, type ModelMetadata } from './metadata';
import { planArena, isConstant } from '../runtime/memory';

export interface TensorInfo {
  index: number;
  name: string;
  shape: number[];
  dtype: string;
  bytes: number;
  constant: boolean;
  quantization?: { scale: number[]; zeroPoint: number[]; quantizedDimension: number };
}

export interface OpInfo {
  index: number;
  op: string;
  inputs: number[];
  outputs: number[];
  macs: number;
}

export interface InspectReport {
  description: string;
  metadata?: ModelMetadata;
  flashBytes: number;
  arenaBytes: number;
  params: number;
  paramBytes: number;
  macs: number;
  ops: OpInfo[];
  opCounts: Record<string, number>;
  requiredOps: string[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  tensors: TensorInfo[];
}

/** Multiply-accumulates of one operator (0 for ops without them). */
export function macsOf(model: TfliteModel, op: OperatorDef): number {
  const sg = model.subgraphs[0];
  const name = operatorName(model, op);
  const shape = (i: number) => sg.tensors[i]?.shape ?? [];
  switch (name) {
    case 'FULLY_CONNECTED': {
      const w = shape(op.inputs[1]);
      const out = elementCount(shape(op.outputs[0]));
      return out * (w[1] ?? 0);
    }
    case 'CONV_2D': {
      const w = shape(op.inputs[1]); // [out, kh, kw, in]
      return elementCount(shape(op.outputs[0])) * (w[1] ?? 0) * (w[2] ?? 0) * (w[3] ?? 0);
    }
    case 'DEPTHWISE_CONV_2D': {
      const w = shape(op.inputs[1]); // [1, kh, kw, out]
      return elementCount(shape(op.outputs[0])) * (w[1] ?? 0) * (w[2] ?? 0);
    }
    default:
      return 0;
  }
}

export function inspectModel(model: TfliteModel, fileBytes: number): InspectReport {
  const sg = model.subgraphs[0];
  const tensorInfo = (index: number): TensorInfo => {
    const t = sg.tensors[index];
    let bytes = 0;
    try {
      bytes = tensorByteSize(t);
    } catch {
      bytes = 0;
    }
    const info: TensorInfo = {
      index,
      name: t.name,
      shape: t.shape,
      dtype: t.type,
      bytes,
      constant: isConstant(model, sg, index),
    };
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
  let params = 0;
  let paramBytes = 0;
  for (const t of tensors) {
    if (!t.constant) continue;
    params += elementCount(t.shape);
    paramBytes += t.bytes;
  }
  const ops = sg.operators.map((op, index) => ({
    index,
    op: operatorName(model, op),
    inputs: op.inputs,
    outputs: op.outputs,
    macs: macsOf(model, op),
  }));
  const opCounts: Record<string, number> = {};
  for (const o of ops) opCounts[o.op] = (opCounts[o.op] ?? 0) + 1;
  const report: InspectReport = {
    description: model.description,
    flashBytes: fileBytes,
    arenaBytes: planArena(model).arenaBytes,
    params,
    paramBytes,
    macs: ops.reduce((n, o) => n + o.macs, 0),
    ops,
    opCounts,
    requiredOps: Object.keys(opCounts).sort(),
    inputs: sg.inputs.map(tensorInfo),
    outputs: sg.outputs.map(tensorInfo),
    tensors,
  };
  const meta = readMetadata(model);
  if (meta) report.metadata = meta;
  return report;
}

/** The report as the CLI prints it. */
export function formatInspect(r: InspectReport): string {
  const lines: string[] = [];
  if (r.metadata?.name)
    lines.push(
      `model        ${r.metadata.name}${r.metadata.version ? ` ${r.metadata.version}` : ''}`,
    );
  lines.push(`flash        ${r.flashBytes} bytes`);
  lines.push(`arena        ${r.arenaBytes} bytes (planned)`);
  lines.push(`parameters   ${r.params} (${r.paramBytes} bytes)`);
  lines.push(`MACs         ${r.macs}`);
  lines.push(
    `ops          ${Object.entries(r.opCounts)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ')}`,
  );
  const io = (t: TensorInfo) => `${t.name} [${t.shape}] ${t.dtype}`;
  lines.push(`inputs       ${r.inputs.map(io).join('; ')}`);
  lines.push(`outputs      ${r.outputs.map(io).join('; ')}`);
  lines.push('');
  lines.push('  #  op                     MACs  outputs');
  for (const o of r.ops) {
    const outs = o.outputs.map((i) => `[${r.tensors[i]?.shape ?? ''}]`).join(' ');
    lines.push(
      `${String(o.index).padStart(3)}  ${o.op.padEnd(20)} ${String(o.macs).padStart(6)}  ${outs}`,
    );
  }
  return lines.join('\n');
}
