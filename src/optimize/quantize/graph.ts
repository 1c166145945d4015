/**
 * Reading the float model being rewritten: constant data, consumers and the
 * metadata to carry into the new model.
 */
import type { Quantization, TensorDef, TfliteModel } from '../../tflite/model';
import type { QuantParams } from './arithmetic';
import { TfliteFormatError } from '../../errors';

/** The float32 values of a constant tensor (a copy, so alignment never matters). */
export function constantFloats(model: TfliteModel, t: TensorDef): Float32Array {
  const bytes = model.buffers[t.buffer]?.data;
  if (!bytes || bytes.length === 0) {
    throw new TfliteFormatError(`tensor "${t.name}" has no constant data`);
  }
  return new Float32Array(bytes.slice().buffer, 0, bytes.length / 4);
}

/** The bytes of a constant tensor, or undefined for activations. */
export function constantBytes(model: TfliteModel, t: TensorDef): Uint8Array | undefined {
  const bytes = model.buffers[t.buffer]?.data;
  return bytes && bytes.length > 0 ? bytes : undefined;
}

export function isConstantTensor(model: TfliteModel, index: number): boolean {
  const t = model.subgraphs[0].tensors[index];
  return constantBytes(model, t) !== undefined;
}

/** Metadata entries of `model` as name + bytes, to re-attach to a rebuilt model. */
export function metadataEntries(model: TfliteModel): { name: string; bytes: Uint8Array }[] {
  return model.metadata
    .filter((m) => (model.buffers[m.buffer]?.data.length ?? 0) > 0)
    .map((m) => ({ name: m.name, bytes: model.buffers[m.buffer].data }));
}

/** Byte view of a typed array's elements (little-endian, as TFLite stores them). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** TFLite quantization parameters: per tensor, or per channel with zero points 0. */
export function quantization(p: QuantParams | { scales: number[]; axis: number }): Quantization {
  if ('scales' in p) {
    return { scale: p.scales, zeroPoint: p.scales.map(() => 0), quantizedDimension: p.axis };
  }
  return { scale: [p.scale], zeroPoint: [p.zeroPoint], quantizedDimension: 0 };
}
