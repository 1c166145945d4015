/**
 * Reads a .tflite flatbuffer into a TfliteModel, validating as it goes.
 *
 * Order of defence: the identifier and schema version first; then every
 * flatbuffer access bounds-checked (CheckedByteBuffer); then limits on counts
 * that keep work proportional to the file size; then the model's own
 * consistency (validate.ts): indices in range, buffers the size their tensors
 * say. Any failure is a TfliteFormatError saying what is wrong and where.
 */
import * as fb from './generated/tflite_generated';
import { CheckedByteBuffer } from './checked-byte-buffer';
import { decodeOptions } from './options';
import {
  SCHEMA_VERSION,
  TENSOR_TYPES,
  type BufferDef,
  type MetadataDef,
  type OperatorCodeDef,
  type OperatorDef,
  type Quantization,
  type SignatureDefDef,
  type SubGraphDef,
  type TensorDef,
  type TfliteModel,
} from './model';
import { validateModel } from './validate';
import { TfliteFormatError } from '../errors';

/** The most dimensions a tensor may have (TFLite kernels support at most 6). */
export const MAX_RANK = 8;

export function readModel(bytes: Uint8Array): TfliteModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new TfliteFormatError('expected the model as bytes (Uint8Array or Buffer)');
  }
  if (bytes.length < 16) {
    throw new TfliteFormatError(`file is ${bytes.length} bytes, too short to be a .tflite model`);
  }
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]);
  if (ident !== 'TFL3') {
    throw new TfliteFormatError(
      `not a TensorFlow Lite model: file identifier is ${JSON.stringify(ident)}, expected "TFL3"`,
    );
  }
  let model: TfliteModel;
  try {
    model = decode(new CheckedByteBuffer(bytes), new Budget(2 * bytes.length + 4096));
  } catch (err) {
    if (err instanceof TfliteFormatError) throw err;
    // Anything else thrown while decoding (an unaligned typed array, a bad
    // UTF-8 sequence) is still a malformed file, never a crash.
    throw new TfliteFormatError(`malformed model: ${(err as Error).message}`);
  }
  validateModel(model);
  return model;
}

function decode(bb: CheckedByteBuffer, b: Budget): TfliteModel {
  const root = fb.Model.getRootAsModel(bb);
  const version = root.version();
  if (version !== SCHEMA_VERSION) {
    throw new TfliteFormatError(
      `schema version ${version} is not supported (this reader reads version ${SCHEMA_VERSION})`,
    );
  }
  const operatorCodes: OperatorCodeDef[] = [];
  for (let i = 0; i < root.operatorCodesLength(); i++) {
    const code = root.operatorCodes(i);
    if (!code) throw new TfliteFormatError(`operator_codes[${i}] is missing`);
    b.charge(1);
    // Old files only set the 1-byte deprecated code; newer ones set both and
    // the larger of the two is the real one (schema.fbs, OperatorCode).
    const builtinCode = Math.max(code.builtinCode(), code.deprecatedBuiltinCode());
    const def: OperatorCodeDef = { builtinCode, version: code.version() };
    const custom = code.customCode();
    if (custom !== null) def.customCode = b.string(custom);
    operatorCodes.push(def);
  }

  const buffers: BufferDef[] = [];
  for (let i = 0; i < root.buffersLength(); i++) {
    const buf = root.buffers(i);
    if (!buf) throw new TfliteFormatError(`buffers[${i}] is missing`);
    if (buf.offset() > 1n || buf.size() > 0n) {
      throw new TfliteFormatError(
        `buffers[${i}] stores its data outside the flatbuffer (models over 2 GB are not supported)`,
      );
    }
    const data = buf.dataArray();
    b.charge(1 + (data ? data.length : 0));
    buffers.push({ data: data ? data.slice() : new Uint8Array(0) });
  }

  const subgraphs: SubGraphDef[] = [];
  for (let s = 0; s < root.subgraphsLength(); s++) {
    const sg = root.subgraphs(s);
    if (!sg) throw new TfliteFormatError(`subgraphs[${s}] is missing`);
    b.charge(1);
    subgraphs.push(decodeSubgraph(sg, s, b));
  }

  const metadata: MetadataDef[] = [];
  for (let i = 0; i < root.metadataLength(); i++) {
    const m = root.metadata(i);
    if (!m) throw new TfliteFormatError(`metadata[${i}] is missing`);
    b.charge(1);
    metadata.push({ name: b.string(m.name()), buffer: m.buffer() });
  }

  const signatureDefs: SignatureDefDef[] = [];
  for (let i = 0; i < root.signatureDefsLength(); i++) {
    const sig = root.signatureDefs(i);
    if (!sig) throw new TfliteFormatError(`signature_defs[${i}] is missing`);
    const maps = (n: number, get: (j: number) => fb.TensorMap | null) => {
      const out = [];
      for (let j = 0; j < n; j++) {
        const m = get(j);
        if (!m) throw new TfliteFormatError(`signature_defs[${i}] tensor map ${j} is missing`);
        b.charge(1);
        out.push({ name: b.string(m.name()), tensorIndex: m.tensorIndex() });
      }
      return out;
    };
    b.charge(1);
    signatureDefs.push({
      signatureKey: b.string(sig.signatureKey()),
      subgraphIndex: sig.subgraphIndex(),
      inputs: maps(sig.inputsLength(), (j) => sig.inputs(j)),
      outputs: maps(sig.outputsLength(), (j) => sig.outputs(j)),
    });
  }

  return {
    version,
    description: b.string(root.description()),
    operatorCodes,
    subgraphs,
    buffers,
    metadata,
    signatureDefs,
  };
}

/**
 * Work budget of one read. A valid file stores each table, string and vector
 * once, so what decoding visits stays below the file's size; a hostile file
 * can point many tables at one large vector or string to make decoding
 * quadratic. Charging every table, element and byte decoded against a budget
 * proportional to the file size bounds the time and memory of any read.
 */
class Budget {
  constructor(private left: number) {}

  charge(n: number): void {
    this.left -= n;
    if (this.left < 0) {
      throw new TfliteFormatError(
        'model references far more data than the file holds (shared or overlapping tables)',
      );
    }
  }

  string(s: string | null): string {
    if (s === null) return '';
    this.charge(s.length + 1);
    return s;
  }

  intList(n: number, get: (i: number) => number | null): number[] {
    this.charge(n + 1);
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = get(i) ?? 0;
    return out;
  }
}

function decodeSubgraph(sg: fb.SubGraph, s: number, b: Budget): SubGraphDef {
  const tensors: TensorDef[] = [];
  for (let t = 0; t < sg.tensorsLength(); t++) {
    const tensor = sg.tensors(t);
    const where = `subgraph ${s} tensor ${t}`;
    if (!tensor) throw new TfliteFormatError(`${where} is missing`);
    b.charge(1);
    const rank = tensor.shapeLength();
    if (rank > MAX_RANK) {
      throw new TfliteFormatError(`${where} has rank ${rank}; at most ${MAX_RANK} is supported`);
    }
    const typeValue = tensor.type();
    const type = TENSOR_TYPES[typeValue];
    if (type === undefined) throw new TfliteFormatError(`${where} has unknown type ${typeValue}`);
    if (tensor.sparsity() !== null) {
      throw new TfliteFormatError(`${where} is sparse; sparse tensors are not supported`);
    }
    const def: TensorDef = {
      name: b.string(tensor.name()),
      shape: b.intList(rank, (i) => tensor.shape(i)),
      type,
      buffer: tensor.buffer(),
    };
    const q = tensor.quantization();
    if (q) {
      b.charge(1);
      const quant = decodeQuantization(q, where, b);
      if (quant) def.quantization = quant;
    }
    if (tensor.isVariable()) def.isVariable = true;
    const sigLen = tensor.shapeSignatureLength();
    if (sigLen > MAX_RANK) {
      throw new TfliteFormatError(`${where} shape_signature has ${sigLen} dimensions`);
    }
    if (sigLen > 0) def.shapeSignature = b.intList(sigLen, (i) => tensor.shapeSignature(i));
    tensors.push(def);
  }
  const operators: OperatorDef[] = [];
  for (let o = 0; o < sg.operatorsLength(); o++) {
    const op = sg.operators(o);
    const where = `subgraph ${s} operator ${o}`;
    if (!op) throw new TfliteFormatError(`${where} is missing`);
    b.charge(1);
    const def: OperatorDef = {
      opcodeIndex: op.opcodeIndex(),
      inputs: b.intList(op.inputsLength(), (i) => op.inputs(i)),
      outputs: b.intList(op.outputsLength(), (i) => op.outputs(i)),
    };
    const options = decodeOptions(
      op.builtinOptionsType(),
      (obj) => op.builtinOptions(obj) as typeof obj | null,
      where,
    );
    if (options) {
      b.charge(Object.keys(options).length);
      def.options = options;
    }
    const custom = op.customOptionsArray();
    if (custom) {
      b.charge(custom.length);
      def.customOptions = custom.slice();
    }
    if (op.intermediatesLength() > 0) {
      def.intermediates = b.intList(op.intermediatesLength(), (i) => op.intermediates(i));
    }
    operators.push(def);
  }
  const out: SubGraphDef = {
    tensors,
    inputs: b.intList(sg.inputsLength(), (i) => sg.inputs(i)),
    outputs: b.intList(sg.outputsLength(), (i) => sg.outputs(i)),
    operators,
  };
  const name = sg.name();
  if (name !== null) out.name = b.string(name);
  return out;
}

function decodeQuantization(
  q: fb.QuantizationParameters,
  where: string,
  b: Budget,
): Quantization | null {
  if (q.detailsType() !== 0) {
    throw new TfliteFormatError(`${where} uses custom quantization details, not supported`);
  }
  const scaleLen = q.scaleLength();
  const zpLen = q.zeroPointLength();
  const minLen = q.minLength();
  const maxLen = q.maxLength();
  if (scaleLen === 0 && zpLen === 0 && minLen === 0 && maxLen === 0) return null;
  const quant: Quantization = {
    scale: b.intList(scaleLen, (i) => q.scale(i)),
    zeroPoint: b.intList(zpLen, (i) => {
      const v = q.zeroPoint(i);
      if (v === null) return 0;
      if (v > 2147483647n || v < -2147483648n) {
        throw new TfliteFormatError(`${where} zero point ${v} is out of the int32 range`);
      }
      return Number(v);
    }),
    quantizedDimension: q.quantizedDimension(),
  };
  if (minLen > 0) quant.min = b.intList(minLen, (i) => q.min(i));
  if (maxLen > 0) quant.max = b.intList(maxLen, (i) => q.max(i));
  return quant;
}
