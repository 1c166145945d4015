/**
 * Real values in and out of quantized tensors, so the infer node and the
 * device agent can offer "float in / float out" for int8 models. The formulas
 * are TFLite's QUANTIZE and DEQUANTIZE reference kernels
 * (kernels/internal/reference/quantize.h, dequantize.h), so feeding
 * quantizeInto() gives the same tensor as a model that starts with QUANTIZE:
 *   q = clamp(round_half_away(x / scale) + zero_point)   (division in float)
 *   x = (float)(scale * (q - zero_point))                 (product in double)
 */
import { ValidationError } from '../errors';
import { f32, roundHalfAway, typeRange } from './quant/rounding';
import type { RuntimeTensor } from './tensor';

function isQuantizedType(type: string): boolean {
  return type === 'int8' || type === 'uint8' || type === 'int16' || type === 'int32';
}

function perTensorScale(t: RuntimeTensor): { scale: number; zeroPoint: number } | undefined {
  const q = t.quantization;
  if (!q || q.scale.length === 0) return undefined;
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
}

/** Writes real `values` into `t`, quantizing them when `t` is a quantized integer tensor. */
export function quantizeInto(t: RuntimeTensor, values: ArrayLike<number>): void {
  if (t.type === 'float32') {
    (t.data as Float32Array).set(values);
    return;
  }
  const q = perTensorScale(t);
  if (!isQuantizedType(t.type) || !q) {
    throw new ValidationError(
      `tensor "${t.name}" (${t.type}) is not quantized; give its values as ${t.type}, not as real numbers`,
    );
  }
  const [min, max] = typeRange(t.type);
  const scale = f32(q.scale);
  const out = t.data as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new ValidationError(`value ${i} (${v}) is not a finite number`);
    const r = roundHalfAway(f32(f32(v) / scale)) + q.zeroPoint;
    out[i] = r < min ? min : r > max ? max : r;
  }
}

/** The real values of `t`: dequantized for quantized tensors, a float32 copy otherwise. */
export function dequantizeTensor(t: RuntimeTensor): Float32Array {
  const data = t.data as ArrayLike<number>;
  const out = new Float32Array(data.length);
  const q = perTensorScale(t);
  if (t.type === 'float32' || !q || !isQuantizedType(t.type)) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return out;
  }
  for (let i = 0; i < data.length; i++) out[i] = q.scale * (data[i] - q.zeroPoint);
  return out;
}
