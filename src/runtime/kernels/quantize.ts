/**
 * QUANTIZE (micro/kernels/quantize_common.cc; kernels/internal/reference/
 * quantize.h, requantize.h).
 *
 * float -> int8/int16: q = clamp(round_half_away(x / scale) + zero_point), the
 * division in float.
 * integer -> integer (int8, uint8, int16, int32 in the pairs TFLM supports):
 * q = clamp(MultiplyByQuantizedMultiplier(x - in_zp, in_scale / out_scale) + out_zp).
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
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32, roundHalfAway, typeRange } from '../quant/rounding';

type IntArray = Int8Array | Uint8Array | Int16Array | Int32Array;

export interface AffineQuantizeParams {
  scale: number;
  zeroPoint: number;
  min: number;
  max: number;
}

export interface RequantizeParams {
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
  min: number;
  max: number;
}

export function affineQuantize(p: AffineQuantizeParams, x: Float32Array, y: IntArray): void {
  const { scale, zeroPoint, min, max } = p;
  for (let i = 0; i < x.length; i++) {
    const v = roundHalfAway(f32(x[i] / scale)) + zeroPoint;
    y[i] = v < min ? min : v > max ? max : v;
  }
}

export function requantize(p: RequantizeParams, x: IntArray, y: IntArray): void {
  const { inputZeroPoint, outputZeroPoint, multiplier, shift, min, max } = p;
  for (let i = 0; i < x.length; i++) {
    const v =
      multiplyByQuantizedMultiplier(x[i] - inputZeroPoint, multiplier, shift) + outputZeroPoint;
    y[i] = v < min ? min : v > max ? max : v;
  }
}

const REQUANTIZE_PAIRS = new Set([
  'int16>int8',
  'int8>int8',
  'int8>uint8',
  'uint8>int8',
  'int8>int16',
  'int8>int32',
  'int16>int16',
  'int16>int32',
  'int32>int8',
  'int32>int16',
]);

type QuantizeData =
  { kind: 'affine'; p: AffineQuantizeParams } | { kind: 'requantize'; p: RequantizeParams };

export const quantize: Kernel<QuantizeData> = {
  prepare(node) {
    const x = input(node, 0);
    const y = output(node, 0);
    if (!sameShape(x.shape, y.shape)) {
      throw new KernelError(node, `input [${x.shape}] and output [${y.shape}] differ`);
    }
    expectType(node, y, 'int8', 'int16', 'int32', 'uint8');
    const outQ = requireQuantization(node, y);
    if (y.quantization!.scale.length !== 1) {
      throw new KernelError(node, `output "${y.name}" must be quantized per tensor`);
    }
    const [min, max] = typeRange(y.type);
    if (x.type === 'float32') {
      expectType(node, y, 'int8', 'int16');
      return { kind: 'affine', p: { scale: f32(outQ.scale), zeroPoint: outQ.zeroPoint, min, max } };
    }
    if (!REQUANTIZE_PAIRS.has(`${x.type}>${y.type}`)) {
      throw new KernelError(node, `quantizing ${x.type} to ${y.type} is not supported`);
    }
    const inQ = requireQuantization(node, x);
    const { multiplier, shift } = quantizeMultiplier(inQ.scale / outQ.scale);
    return {
      kind: 'requantize',
      p: {
        inputZeroPoint: inQ.zeroPoint,
        outputZeroPoint: outQ.zeroPoint,
        multiplier,
        shift,
        min,
        max,
      },
    };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data as IntArray;
    if (data.kind === 'affine') affineQuantize(data.p, x as Float32Array, y);
    else requantize(data.p, x as IntArray, y);
  },
};
