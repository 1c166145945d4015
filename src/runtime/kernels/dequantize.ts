/**
 * DEQUANTIZE (micro/kernels/dequantize_common.cc; kernels/internal/reference/
 * dequantize.h): x = (float)(scale * (q - zero_point)), the product in double.
 * float16 inputs (weights of float16-quantized models, which full TFLite
 * dequantizes at run time) are widened to float32 exactly.
 */
import {
  expectType,
  input,
  KernelError,
  output,
  requireQuantization,
  sameShape,
  type Kernel,
} from '../kernel';

export interface DequantizeParams {
  scale: number;
  zeroPoint: number;
}

export function dequantize(
  p: DequantizeParams,
  x: Int8Array | Uint8Array | Int16Array,
  y: Float32Array,
): void {
  const { scale, zeroPoint } = p;
  for (let i = 0; i < x.length; i++) y[i] = scale * (x[i] - zeroPoint);
}

/** IEEE-754 binary16 bits to the number they stand for. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

export function dequantizeFloat16(x: Uint16Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = halfToFloat(x[i]);
}

type DequantizeData = { kind: 'int'; p: DequantizeParams } | { kind: 'float16' };

export const dequantizeKernel: Kernel<DequantizeData> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    expectType(node, x, 'int8', 'int16', 'uint8', 'float16');
    expectType(node, y, 'float32');
    if (!sameShape(x.shape, y.shape)) {
      throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] differ`);
    }
    if (x.type === 'float16') return { kind: 'float16' };
    const q = requireQuantization(node, x);
    return { kind: 'int', p: { scale: q.scale, zeroPoint: q.zeroPoint } };
  },
  eval(node, data) {
    const y = node.outputs[0].data as Float32Array;
    if (data.kind === 'float16') dequantizeFloat16(node.inputs[0]!.data as Uint16Array, y);
    else dequantize(data.p, node.inputs[0]!.data as Int8Array, y);
  },
};
