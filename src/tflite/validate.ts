/**
 * Consistency checks of a decoded model: everything that the flatbuffer
 * layout alone cannot guarantee and that a kernel or planner would otherwise
 * trip over: indices out of range, constant data that does not match its
 * tensor's shape, tensors too large for any runtime, quantization parameters
 * that do not fit the tensor or its type, and a dataflow that cannot run in
 * the order the operators are listed (a tensor read before any operator
 * writes it, written twice, or a constant overwritten).
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
/**
 * Most elements a tensor may have: TFLite sizes tensors in bytes with int
 * arithmetic on 32-bit devices and TFLM's arena is addressed with 32 bits.
 */
const MAX_ELEMENTS = 2 ** 31 - 1;

/** Zero-point ranges of the integer types (TFLite quantization spec). */
const ZERO_POINT_RANGE: Record<string, [number, number] | undefined> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int4: [-8, 7],
};

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
  validateDataflow(model, sg, where);
}

/**
 * The operators must be runnable in the order listed (TFLite and TFLM run
 * them in that order): every tensor an operator reads is a constant, a
 * variable, a subgraph input or the output of an earlier operator; no tensor
 * is written twice; no operator writes a constant or a subgraph input.
 */
function validateDataflow(model: TfliteModel, sg: SubGraphDef, where: string): void {
  const ready = new Set<number>(sg.inputs);
  const isInput = new Set<number>(sg.inputs);
  const producer = new Map<number, number>();
  sg.tensors.forEach((t, i) => {
    if (t.isVariable || (model.buffers[t.buffer]?.data.length ?? 0) > 0) ready.add(i);
    // A tensor that holds no data (a zero-sized or scalar placeholder) cannot be read wrongly.
    else if (t.shape.some((d) => d === 0)) ready.add(i);
  });
  sg.operators.forEach((op, o) => {
    const name = `operator ${o} (${operatorName(model, op)})`;
    op.inputs.forEach((t, i) => {
      if (t < 0 || ready.has(t)) return;
      throw new TfliteFormatError(
        `${where} ${name} input ${i} reads tensor ${t} "${sg.tensors[t].name}" before any operator writes it`,
      );
    });
    op.outputs.forEach((t) => {
      const tensor = sg.tensors[t];
      if ((model.buffers[tensor.buffer]?.data.length ?? 0) > 0) {
        throw new TfliteFormatError(
          `${where} ${name} writes tensor ${t} "${tensor.name}", which is a constant`,
        );
      }
      if (isInput.has(t)) {
        throw new TfliteFormatError(
          `${where} ${name} writes tensor ${t} "${tensor.name}", which is a subgraph input`,
        );
      }
      const earlier = producer.get(t);
      if (earlier !== undefined) {
        throw new TfliteFormatError(
          `${where} ${name} writes tensor ${t} "${tensor.name}", already written by operator ${earlier}`,
        );
      }
      producer.set(t, o);
      ready.add(t);
    });
  });
}

function validateTensor(model: TfliteModel, t: TensorDef, where: string): void {
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_DIM) {
      throw new TfliteFormatError(`${where} has invalid dimension ${d} in shape [${t.shape}]`);
    }
  }
  if (elementCount(t.shape) > MAX_ELEMENTS) {
    throw new TfliteFormatError(
      `${where} has shape [${t.shape}]: ${elementCount(t.shape)} elements, more than ${MAX_ELEMENTS}`,
    );
  }
  if (t.shapeSignature && t.shapeSignature.length !== t.shape.length) {
    throw new TfliteFormatError(
      `${where} has shape [${t.shape}] but shape_signature [${t.shapeSignature}] of another rank`,
    );
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
      const dim = t.shape[q.quantizedDimension];
      // TensorFlow's converter has written biases with the quantized_dimension
      // of their weights (3 on a rank-1 bias in TFLM's person_detect.tflite);
      // TFLM never reads it for a bias, so such a vector is accepted.
      const staleBiasAxis = t.shape.length === 1 && t.shape[0] === q.scale.length;
      if ((dim === undefined || dim !== q.scale.length) && !staleBiasAxis) {
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
    const range = ZERO_POINT_RANGE[t.type];
    for (const zp of q.zeroPoint) {
      if (range && (zp < range[0] || zp > range[1])) {
        throw new TfliteFormatError(
          `${where}: zero point ${zp} is outside the ${t.type} range [${range[0]}, ${range[1]}]`,
        );
      }
    }
  }
}
