/**
 * A tensor as the interpreter sees it: shape, type, quantization and a typed
 * array over its bytes — a view into the model's constant buffer, or into
 * the planned arena for activations. Views are created once at allocation;
 * invoke() only reads and writes through them.
 */
import type { Quantization, TensorTypeName } from '../tflite/model';

export type TypedData =
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint16Array
  | Uint32Array
  | Float64Array
  | BigInt64Array;

export interface RuntimeTensor {
  index: number;
  name: string;
  shape: number[];
  type: TensorTypeName;
  data: TypedData;
  quantization?: Quantization;
  isConstant: boolean;
  /** Variable tensors (state such as SVDF's) keep their values across invokes. */
  isVariable?: boolean;
}

/** A typed array of the tensor's element type over `bytes` (no copy). */
export function viewAs(
  type: TensorTypeName,
  buffer: ArrayBufferLike,
  byteOffset: number,
  count: number,
): TypedData {
  switch (type) {
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(buffer, byteOffset, count);
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'uint16':
    case 'float16':
      return new Uint16Array(buffer, byteOffset, count);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, count);
    case 'float64':
      return new Float64Array(buffer, byteOffset, count);
    case 'int64':
      return new BigInt64Array(buffer, byteOffset, count);
    default:
      throw new Error(`tensor type ${type} cannot be viewed`);
  }
}

/** An empty view of the tensor's element type: what activations hold before the arena is bound. */
export function emptyView(type: TensorTypeName): TypedData {
  return viewAs(type, new ArrayBuffer(0), 0, 0);
}

/** Bytes per element of the views viewAs creates. */
export function elementBytes(type: TensorTypeName): number {
  switch (type) {
    case 'float32':
    case 'int32':
    case 'uint32':
      return 4;
    case 'int16':
    case 'uint16':
    case 'float16':
      return 2;
    case 'float64':
    case 'int64':
      return 8;
    default:
      return 1;
  }
}
