/**
 * RELU6: clamp(x, 0, 6) (micro/kernels/activations_common.cc). The quantized
 * form clamps between the input's quantized 0 and 6 without rescaling (TFLM
 * assumes input and output share their quantization).
 */
import { expectType, input, KernelError, requireQuantization, type Kernel } from '../kernel';
import { f32, roundHalfAway, typeRange } from '../quant/rounding';
import { checkSameShape } from './logistic';

export function relu6Float(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v > 6 ? 6 : v < 0 ? 0 : v;
  }
}

export function relu6Quantized(
  zero: number,
  six: number,
  x: Int8Array | Int16Array,
  y: Int8Array | Int16Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v > six ? six : v < zero ? zero : v;
  }
}

type Relu6Data = { kind: 'float' } | { kind: 'quantized'; zero: number; six: number };

export const relu6: Kernel<Relu6Data> = {
  prepare(node) {
    checkSameShape(node);
    const x = input(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (x.type === 'float32') return { kind: 'float' };
    const q = requireQuantization(node, x);
    const [qmin, qmax] = typeRange(x.type);
    // FloatToQuantizedType(6.0f, scale, zero_point), clamped to the type.
    const six = Math.min(Math.max(roundHalfAway(f32(6 / q.scale)) + q.zeroPoint, qmin), qmax);
    if (!Number.isFinite(six)) throw new KernelError(node, `input scale ${q.scale} is invalid`);
    return { kind: 'quantized', zero: q.zeroPoint, six };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') relu6Float(x as Float32Array, y as Float32Array);
    else relu6Quantized(data.zero, data.six, x as Int8Array, y as Int8Array);
  },
};
