/**
 * Consistency checks of a decoded model: everything that the flatbuffer
 * layout alone cannot guarantee and that a kernel or planner would otherwise
 * trip over (indices out of range, constant data that does not match its
 * tensor's shape, quantization parameters that do not fit the tensor).
 */
import {
  TENSOR_TYPE_BYTES,
  elementCount,
  operatorName,
  type SubGraphDef,
  type TensorDef,
  type TfliteModel,
} from './model';
import { TfliteFormatError } from '../errors';

/** Largest dimension accepted; larger ones cannot fit any device's memory. */
const MAX_DIM = 1 << 30;

export function validateModel(model: TfliteModel): void {
  if (model.subgraphs.length === 0) throw new TfliteFormatError('model has no subgraphs');
  if (model.buffers.length > 0 && model.buffers[0].data.length !== 0) {
    throw new TfliteFormatError('buffers[0] must be the empty sentinel buffer');
  }
  model.subgraphs.forEach((sg, s) => validateSubgraph(model, sg, s));
  model.metadata.forEach((m, i) => {
    if (m.buffer >= model.buffers.length) {
      throw new TfliteFormatError(
        `metadata[${i}] "${m.name}" refers to buffer ${m.buffer}; the model has ${model.buffers.length}`,
      );
    }
  });
  model.signatureDefs.forEach((sig, i) => {
    const sg = model.subgraphs[sig.subgraphIndex];
    if (!sg) {
      throw new TfliteFormatError(
        `signature_defs[${i}] refers to subgraph ${sig.subgraphIndex}; the model has ${model.subgraphs.length}`,
      );
    }
    for (const m of [...sig.inputs, ...sig.outputs]) {
      if (m.tensorIndex >= sg.tensors.length) {
        throw new TfliteFormatError(
          `signature_defs[${i}] "${m.name}" refers to tensor ${m.tensorIndex}; subgraph has ${sg.tensors.length}`,
        );
      }
    }
  });
}

function validateSubgraph(model: TfliteModel, sg: SubGraphDef, s: number): void {
  const where = `subgraph ${s}`;
  const checkIndex = (index: number, what: string, optional: boolean) => {
    if (optional && index === -1) return;
    if (!Number.isInteger(index) || index < 0 || index >= sg.tensors.length) {
      throw new TfliteFormatError(
        `${where} ${what} refers to tensor ${index}; the subgraph has ${sg.tensors.length} tensors`,
      );
    }
  };
  sg.tensors.forEach((t, i) => validateTensor(model, t, `${where} tensor ${i} "${t.name}"`));
  sg.inputs.forEach((t, i) => checkIndex(t, `input ${i}`, false));
  sg.outputs.forEach((t, i) => checkIndex(t, `output ${i}`, false));
  sg.operators.forEach((op, o) => {
    const code = model.operatorCodes[op.opcodeIndex];
    if (!code) {
      throw new TfliteFormatError(
        `${where} operator ${o} uses opcode index ${op.opcodeIndex}; the model has ${model.operatorCodes.length} operator codes`,
      );
    }
    const name = `operator ${o} (${operatorName(model, op)})`;
    op.inputs.forEach((t, i) => checkIndex(t, `${name} input ${i}`, true));
    op.outputs.forEach((t, i) => checkIndex(t, `${name} output ${i}`, false));
    (op.intermediates ?? []).forEach((t, i) => checkIndex(t, `${name} intermediate ${i}`, false));
  });
}

function validateTensor(model: TfliteModel, t: TensorDef, where: string): void {
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      throw new TfliteFormatError(`${where} has invalid dimension ${d} in shape [${t.shape}]`);
    }
  }
  if (t.buffer >= Math.max(model.buffers.length, 1)) {
    throw new TfliteFormatError(
      `${where} refers to buffer ${t.buffer}; the model has ${model.buffers.length} buffers`,
    );
  }
  const data = model.buffers[t.buffer]?.data;
  if (data && data.length > 0 && t.type !== 'string') {
    const count = elementCount(t.shape);
    const bytes =
      t.type === 'int4' ? Math.ceil(count / 2) : count * (TENSOR_TYPE_BYTES[t.type] ?? 0);
    if (bytes !== data.length) {
      throw new TfliteFormatError(
        `${where}: buffer ${t.buffer} holds ${data.length} bytes, but shape [${t.shape}] of ${t.type} needs ${bytes}`,
      );
    }
  }
  const q = t.quantization;
  if (q && q.scale.length > 0) {
    if (q.zeroPoint.length !== 0 && q.zeroPoint.length !== q.scale.length) {
      throw new TfliteFormatError(
        `${where}: ${q.scale.length} quantization scales but ${q.zeroPoint.length} zero points`,
      );
    }
    if (q.scale.length > 1) {
      // TensorFlow's converter has written 1-D biases with the quantized
      // dimension of their depthwise filter (3): person_detect.tflite does, and
      // TFLM accepts it, so a 1-D tensor with one scale per element is valid.
      const dim = t.shape.length === 1 ? t.shape[0] : t.shape[q.quantizedDimension];
      if (dim === undefined || dim !== q.scale.length) {
        throw new TfliteFormatError(
          `${where}: ${q.scale.length} per-channel scales along dimension ${q.quantizedDimension} of shape [${t.shape}]`,
        );
      }
    }
    for (const sc of q.scale) {
      if (!Number.isFinite(sc) || sc < 0) {
        throw new TfliteFormatError(`${where}: invalid quantization scale ${sc}`);
      }
    }
  }
}
