/**
 * Encoding and decoding of builtin options tables. Each options table the
 * project decodes is described once here (field names as flatc's camelCase
 * accessors, with their kind and the schema default); the reader and writer
 * drive the generated classes from that description, so adding an op's options
 * is one entry, not two hand-written codecs that can drift apart.
 */
import * as flatbuffers from 'flatbuffers';
import * as fb from './generated/tflite_generated';
import { ACTIVATIONS, PADDINGS, TENSOR_TYPES, type BuiltinOptions } from './model';
import { TfliteFormatError } from '../errors';

type FieldKind =
  'int' | 'float' | 'bool' | 'padding' | 'activation' | 'tensorType' | 'enum' | 'int[]';
type FieldSpec = readonly [name: string, kind: FieldKind, defaultValue: unknown];

/** Decoded options tables: union member name → fields in schema order. */
export const OPTIONS_FIELDS: Readonly<Record<string, readonly FieldSpec[]>> = {
  Conv2DOptions: [
    ['padding', 'padding', 'SAME'],
    ['strideW', 'int', 0],
    ['strideH', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['dilationWFactor', 'int', 1],
    ['dilationHFactor', 'int', 1],
    ['quantizedBiasType', 'tensorType', 'float32'],
  ],
  DepthwiseConv2DOptions: [
    ['padding', 'padding', 'SAME'],
    ['strideW', 'int', 0],
    ['strideH', 'int', 0],
    ['depthMultiplier', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['dilationWFactor', 'int', 1],
    ['dilationHFactor', 'int', 1],
  ],
  Pool2DOptions: [
    ['padding', 'padding', 'SAME'],
    ['strideW', 'int', 0],
    ['strideH', 'int', 0],
    ['filterWidth', 'int', 0],
    ['filterHeight', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
  ],
  FullyConnectedOptions: [
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['weightsFormat', 'enum', 0],
    ['keepNumDims', 'bool', false],
    ['asymmetricQuantizeInputs', 'bool', false],
    ['quantizedBiasType', 'tensorType', 'float32'],
  ],
  SoftmaxOptions: [['beta', 'float', 0]],
  ConcatenationOptions: [
    ['axis', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
  ],
  AddOptions: [
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['potScaleInt16', 'bool', true],
  ],
  SubOptions: [
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['potScaleInt16', 'bool', true],
  ],
  MulOptions: [['fusedActivationFunction', 'activation', 'NONE']],
  DivOptions: [['fusedActivationFunction', 'activation', 'NONE']],
  ReshapeOptions: [['newShape', 'int[]', undefined]],
  ReducerOptions: [['keepDims', 'bool', false]],
  SqueezeOptions: [['squeezeDims', 'int[]', undefined]],
  StridedSliceOptions: [
    ['beginMask', 'int', 0],
    ['endMask', 'int', 0],
    ['ellipsisMask', 'int', 0],
    ['newAxisMask', 'int', 0],
    ['shrinkAxisMask', 'int', 0],
    ['offset', 'bool', false],
  ],
  ArgMaxOptions: [['outputType', 'tensorType', 'float32']],
  ArgMinOptions: [['outputType', 'tensorType', 'float32']],
  LeakyReluOptions: [['alpha', 'float', 0]],
  PackOptions: [
    ['valuesCount', 'int', 0],
    ['axis', 'int', 0],
  ],
  UnpackOptions: [
    ['num', 'int', 0],
    ['axis', 'int', 0],
  ],
  GatherOptions: [
    ['axis', 'int', 0],
    ['batchDims', 'int', 0],
  ],
  SplitOptions: [['numSplits', 'int', 0]],
  SplitVOptions: [['numSplits', 'int', 0]],
  ShapeOptions: [['outType', 'tensorType', 'float32']],
  L2NormOptions: [['fusedActivationFunction', 'activation', 'NONE']],
  TransposeConvOptions: [
    ['padding', 'padding', 'SAME'],
    ['strideW', 'int', 0],
    ['strideH', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['quantizedBiasType', 'tensorType', 'float32'],
  ],
  BatchMatMulOptions: [
    ['adjX', 'bool', false],
    ['adjY', 'bool', false],
    ['asymmetricQuantizeInputs', 'bool', false],
  ],
  SVDFOptions: [
    ['rank', 'int', 0],
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['asymmetricQuantizeInputs', 'bool', false],
  ],
  ResizeBilinearOptions: [
    ['alignCorners', 'bool', false],
    ['halfPixelCenters', 'bool', false],
  ],
  ResizeNearestNeighborOptions: [
    ['alignCorners', 'bool', false],
    ['halfPixelCenters', 'bool', false],
  ],
  SpaceToDepthOptions: [['blockSize', 'int', 0]],
  DepthToSpaceOptions: [['blockSize', 'int', 0]],
  CastOptions: [
    ['inDataType', 'tensorType', 'float32'],
    ['outDataType', 'tensorType', 'float32'],
  ],
  UnidirectionalSequenceLSTMOptions: [
    ['fusedActivationFunction', 'activation', 'NONE'],
    ['cellClip', 'float', 0],
    ['projClip', 'float', 0],
    ['timeMajor', 'bool', false],
    ['asymmetricQuantizeInputs', 'bool', false],
    ['diagonalRecurrentTensors', 'bool', false],
  ],
};

const unionEnum = fb.BuiltinOptions as unknown as Record<string, number> & Record<number, string>;

/** The BuiltinOptions union value of an options table name. */
export function builtinOptionsTypeOf(name: string): number {
  const value = unionEnum[name];
  if (typeof value !== 'number')
    throw new TfliteFormatError(`unknown builtin options type "${name}"`);
  return value;
}

/** The union member name of a BuiltinOptions value, if the schema has one. */
export function builtinOptionsName(typeValue: number): string | undefined {
  return unionEnum[typeValue];
}

/**
 * The options with every described field present (schema defaults filled in),
 * as the reader returns them, so a model built in memory and the same model
 * read back from its file compare equal.
 */
export function withDefaults(options: BuiltinOptions): BuiltinOptions {
  const out: BuiltinOptions = { type: options.type };
  for (const [field, kind, def] of OPTIONS_FIELDS[options.type] ?? []) {
    const v = options[field];
    if (kind === 'int[]') {
      if (Array.isArray(v) && v.length > 0) out[field] = v;
    } else if (kind === 'float' && typeof v === 'number') {
      // The file stores float32; keep the value it will read back as.
      out[field] = Math.fround(v);
    } else {
      out[field] = v === undefined ? def : v;
    }
  }
  return out;
}

interface GeneratedTable {
  __init(pos: number, bb: flatbuffers.ByteBuffer): GeneratedTable;
}
type GeneratedClass = { new (): GeneratedTable } & Record<string, unknown>;

function generatedClass(name: string): GeneratedClass {
  const cls = (fb as unknown as Record<string, GeneratedClass | undefined>)[name];
  if (!cls) throw new TfliteFormatError(`no generated class for options table ${name}`);
  return cls;
}

function pascal(field: string): string {
  return field[0].toUpperCase() + field.slice(1);
}

function decodeEnum(table: readonly string[], value: number, what: string): string {
  const name = table[value];
  if (name === undefined) throw new TfliteFormatError(`${what} has invalid value ${value}`);
  return name;
}

/**
 * Decodes the options of one operator. `readTable` initialises the generated
 * class at the union's position (Operator.builtinOptions). Tables that are not
 * described above decode to their name only.
 */
export function decodeOptions(
  typeValue: number,
  readTable: (obj: GeneratedTable) => GeneratedTable | null,
  where: string,
): BuiltinOptions | undefined {
  if (typeValue === 0) return undefined;
  const name = builtinOptionsName(typeValue);
  if (!name) throw new TfliteFormatError(`${where}: unknown builtin options type ${typeValue}`);
  const fields = OPTIONS_FIELDS[name];
  const out: BuiltinOptions = { type: name };
  if (!fields) return out;
  const table = readTable(new (generatedClass(name))()) as unknown as Record<
    string,
    (i?: number) => unknown
  > | null;
  if (!table) return out;
  for (const [field, kind] of fields) {
    const what = `${where} ${name}.${field}`;
    if (kind === 'int[]') {
      // An empty vector and an absent one mean the same to every kernel, so
      // both decode to an absent field and the writer omits empty vectors.
      const len = table[`${field}Length`]() as number;
      if (len === 0) continue;
      if (len > 64) throw new TfliteFormatError(`${what} has ${len} entries; at most 64 expected`);
      const values: number[] = [];
      for (let i = 0; i < len; i++) values.push(table[field](i) as number);
      out[field] = values;
      continue;
    }
    const raw = table[field]();
    switch (kind) {
      case 'padding':
        out[field] = decodeEnum(PADDINGS, raw as number, what);
        break;
      case 'activation':
        out[field] = decodeEnum(ACTIVATIONS, raw as number, what);
        break;
      case 'tensorType':
        out[field] = decodeEnum(TENSOR_TYPES, raw as number, what);
        break;
      default:
        out[field] = raw;
    }
  }
  return out;
}

function encodeEnum(table: readonly string[], value: unknown, what: string): number {
  const index = table.indexOf(value as string);
  if (index < 0) throw new TfliteFormatError(`${what}: invalid value ${JSON.stringify(value)}`);
  return index;
}

/** Writes an options table; returns [union type value, table offset]. */
export function encodeOptions(
  builder: flatbuffers.Builder,
  options: BuiltinOptions,
): [number, flatbuffers.Offset] {
  const typeValue = builtinOptionsTypeOf(options.type);
  const cls = generatedClass(options.type) as unknown as Record<
    string,
    (b: flatbuffers.Builder, v?: unknown) => number
  >;
  const fields = OPTIONS_FIELDS[options.type] ?? [];
  const vectors = new Map<string, number>();
  for (const [field, kind] of fields) {
    const value = options[field];
    if (kind === 'int[]' && Array.isArray(value) && value.length > 0) {
      vectors.set(field, cls[`create${pascal(field)}Vector`](builder, value));
    }
  }
  cls[`start${options.type}`](builder);
  for (const [field, kind, def] of fields) {
    const value = options[field];
    const what = `${options.type}.${field}`;
    if (kind === 'int[]') {
      const offset = vectors.get(field);
      if (offset !== undefined) cls[`add${pascal(field)}`](builder, offset);
      continue;
    }
    const v = value === undefined ? def : value;
    let encoded: unknown = v;
    if (kind === 'padding') encoded = encodeEnum(PADDINGS, v, what);
    else if (kind === 'activation') encoded = encodeEnum(ACTIVATIONS, v, what);
    else if (kind === 'tensorType') encoded = encodeEnum(TENSOR_TYPES, v, what);
    cls[`add${pascal(field)}`](builder, encoded);
  }
  return [typeValue, cls[`end${options.type}`](builder)];
}
