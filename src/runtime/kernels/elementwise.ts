/**
 * One-input element-wise math (micro/kernels/elementwise.cc, floor.cc).
 *
 * float32: ABS, SQRT, RSQRT (1 / sqrt in float), SQUARE, FLOOR — each one
 * float operation (EXP: expf, which Math.exp matches but for rare last bits), which Math.fround of the double result reproduces exactly
 * (a single correctly rounded operation on float inputs, e.g. sqrt, rounded
 * to double and then to float gives the float result).
 * ABS on int8 / int16 (int16 with zero points 0): v = |x - in_zp|, then
 * out_zp + v when the scales are equal, else out_zp + M * v with
 * M = in_scale / out_scale (in float, widened), clamped to the type.
 */
import {
  input,
  KernelError,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32, typeRange } from '../quant/rounding';
import { checkSameShape } from './logistic';

type FloatFn = (x: number) => number;

export function mapFloat(fn: FloatFn, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = fn(x[i]);
}

function floatOnly(name: string, fn: FloatFn): Kernel<null> {
  return {
    prepare(node) {
      checkSameShape(node);
      const x = input(node, 0);
      if (x.type !== 'float32') {
        throw new KernelError(node, `input has type ${x.type}; TFLM's ${name} takes float32`);
      }
      return null;
    },
    eval(node) {
      mapFloat(fn, node.inputs[0]!.data as Float32Array, node.outputs[0].data as Float32Array);
    },
  };
}

export const sqrt = floatOnly('SQRT', (v) => f32(Math.sqrt(v)));
export const rsqrt = floatOnly('RSQRT', (v) => f32(1 / f32(Math.sqrt(v))));
export const square = floatOnly('SQUARE', (v) => f32(v * v));
export const floor = floatOnly('FLOOR', Math.floor);
export const exp = floatOnly('EXP', (v) => f32(Math.exp(v)));

interface AbsQuantParams {
  inputOffset: number;
  outputOffset: number;
  rescale: boolean;
  multiplier: number;
  shift: number;
  min: number;
  max: number;
}

type AbsData = { kind: 'float' } | { kind: 'quantized'; p: AbsQuantParams };

export function absQuantized(
  p: AbsQuantParams,
  x: Int8Array | Int16Array,
  y: Int8Array | Int16Array,
): void {
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i] - p.inputOffset);
    const r =
      (p.rescale ? multiplyByQuantizedMultiplier(v, p.multiplier, p.shift) : v) + p.outputOffset;
    y[i] = r < p.min ? p.min : r > p.max ? p.max : r;
  }
}

function prepareAbs(node: NodeContext): AbsData {
  checkSameShape(node);
  const x = input(node, 0);
  const y = output(node, 0);
  if (x.type === 'float32') return { kind: 'float' };
  if (x.type !== 'int8' && x.type !== 'int16') {
    throw new KernelError(node, `input has type ${x.type}; expected float32, int8 or int16`);
  }
  const inQ = requireQuantization(node, x);
  const outQ = requireQuantization(node, y);
  if (x.type === 'int16' && (inQ.zeroPoint !== 0 || outQ.zeroPoint !== 0)) {
    throw new KernelError(
      node,
      `int16 ABS needs zero points 0, got ${inQ.zeroPoint} and ${outQ.zeroPoint}`,
    );
  }
  const rescale = f32(inQ.scale) !== f32(outQ.scale);
  const m = quantizeMultiplier(f32(inQ.scale / outQ.scale));
  const [min, max] = typeRange(x.type);
  return {
    kind: 'quantized',
    p: {
      inputOffset: inQ.zeroPoint,
      outputOffset: outQ.zeroPoint,
      rescale,
      multiplier: m.multiplier,
      shift: m.shift,
      min,
      max,
    },
  };
}

export const abs: Kernel<AbsData> = {
  prepare: prepareAbs,
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') mapFloat(Math.abs, x as Float32Array, y as Float32Array);
    else absQuantized(data.p, x as Int8Array, y as Int8Array);
  },
};
