/**
 * The in-memory form of a TensorFlow Lite model: plain data that the reader
 * produces, the writer consumes, the converter builds and the interpreter runs.
 * It mirrors the flatbuffer schema (src/tflite/schema/tflite.fbs) one to one, so
 * `readModel(writeModel(m))` gives back `m`.
 */
import { BuiltinOperator } from './generated/tflite/builtin-operator';
import { UnsupportedError } from '../errors';

export type TensorTypeName =
  | 'float32'
  | 'float16'
  | 'int32'
  | 'uint8'
  | 'int64'
  | 'string'
  | 'bool'
  | 'int16'
  | 'complex64'
  | 'int8'
  | 'float64'
  | 'complex128'
  | 'uint64'
  | 'resource'
  | 'variant'
  | 'uint32'
  | 'uint16'
  | 'int4'
  | 'bfloat16';

/** TensorType enum values of the schema, in order (index = enum value). */
export const TENSOR_TYPES: readonly TensorTypeName[] = [
  'float32',
  'float16',
  'int32',
  'uint8',
  'int64',
  'string',
  'bool',
  'int16',
  'complex64',
  'int8',
  'float64',
  'complex128',
  'uint64',
  'resource',
  'variant',
  'uint32',
  'uint16',
  'int4',
  'bfloat16',
];

/** Bytes per element of each fixed-size type (int4 is packed, two per byte). */
export const TENSOR_TYPE_BYTES: Partial<Record<TensorTypeName, number>> = {
  float32: 4,
  float16: 2,
  int32: 4,
  uint8: 1,
  int64: 8,
  bool: 1,
  int16: 2,
  complex64: 8,
  int8: 1,
  float64: 8,
  complex128: 16,
  uint64: 8,
  uint32: 4,
  uint16: 2,
  bfloat16: 2,
};

export type ActivationName = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';
export const ACTIVATIONS: readonly ActivationName[] = [
  'NONE',
  'RELU',
  'RELU_N1_TO_1',
  'RELU6',
  'TANH',
  'SIGN_BIT',
];

export type PaddingName = 'SAME' | 'VALID';
export const PADDINGS: readonly PaddingName[] = ['SAME', 'VALID'];

/**
 * Asymmetric linear quantization, f = scale * (q - zeroPoint), per tensor (one
 * scale) or per channel along `quantizedDimension` (TFLite quantization spec).
 */
export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
  min?: number[];
  max?: number[];
}

export interface TensorDef {
  name: string;
  shape: number[];
  type: TensorTypeName;
  /** Index into Model.buffers; 0 is the empty sentinel (no constant data). */
  buffer: number;
  quantization?: Quantization;
  isVariable?: boolean;
  shapeSignature?: number[];
}

/** Builtin options: the union member's name and its decoded fields. */
export interface BuiltinOptions {
  type: string;
  [field: string]: unknown;
}

export interface OperatorDef {
  opcodeIndex: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options?: BuiltinOptions;
  customOptions?: Uint8Array;
  intermediates?: number[];
}

export interface OperatorCodeDef {
  /** BuiltinOperator enum value. */
  builtinCode: number;
  customCode?: string;
  version: number;
}

export interface SubGraphDef {
  name?: string;
  tensors: TensorDef[];
  inputs: number[];
  outputs: number[];
  operators: OperatorDef[];
}

export interface BufferDef {
  data: Uint8Array;
}

export interface MetadataDef {
  name: string;
  buffer: number;
}

export interface TensorMapDef {
  name: string;
  tensorIndex: number;
}

export interface SignatureDefDef {
  signatureKey: string;
  subgraphIndex: number;
  inputs: TensorMapDef[];
  outputs: TensorMapDef[];
}

export interface TfliteModel {
  version: number;
  description: string;
  operatorCodes: OperatorCodeDef[];
  subgraphs: SubGraphDef[];
  buffers: BufferDef[];
  metadata: MetadataDef[];
  signatureDefs: SignatureDefDef[];
}

/** The schema version this project reads and writes. */
export const SCHEMA_VERSION = 3;

export { BuiltinOperator };

/** Name of a builtin operator code ("FULLY_CONNECTED"), or "UNKNOWN(n)". */
export function opName(code: number): string {
  const name = (BuiltinOperator as unknown as Record<number, string | undefined>)[code];
  return name ?? `UNKNOWN(${code})`;
}

/** Name of the op a given operator runs (custom ops by their custom code). */
export function operatorName(model: TfliteModel, op: OperatorDef): string {
  const code = model.operatorCodes[op.opcodeIndex];
  if (!code) return `INVALID_OPCODE(${op.opcodeIndex})`;
  if (code.builtinCode === BuiltinOperator.CUSTOM) return `CUSTOM:${code.customCode ?? ''}`;
  return opName(code.builtinCode);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Size in bytes of a tensor's data (int4 packed two per byte). */
export function tensorByteSize(t: Pick<TensorDef, 'shape' | 'type'> & { name?: string }): number {
  const count = elementCount(t.shape);
  if (t.type === 'int4') return Math.ceil(count / 2);
  const bytes = TENSOR_TYPE_BYTES[t.type];
  if (bytes === undefined) {
    throw new UnsupportedError(`tensor "${t.name}" has type ${t.type}, which has no fixed size`);
  }
  return count * bytes;
}
