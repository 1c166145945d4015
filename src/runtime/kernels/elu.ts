/**
 * ELU (micro/kernels/elu.cc, reference/elu.h).
 *
 * float: x < 0 ? expm1(x) : x.
 * int8: a 256-entry table built in prepare (PopulateLookupTable): for each
 * int8 value v, dequantize in float, apply x < 0 ? exp(x) - 1 : x in float,
 * round(y / out_scale) (the reciprocal of the scale taken in float) plus the
 * output zero point, clamped. Math.exp rounded to float equals the C
 * library's expf except in rare last-bit cases, which move a table entry only
 * when the product lands exactly on a rounding tie.
 */
import { input, output, requireQuantization, type Kernel } from '../kernel';
import { f32, roundHalfAway } from '../quant/rounding';
import { expectSameTypes } from './index-map';
import { checkSameShape } from './logistic';

type EluData = { kind: 'float' } | { kind: 'int8'; table: Int8Array };

/** PopulateLookupTable<int8_t>: table[v & 0xff] for every int8 v. */
export function int8Table(
  inScale: number,
  inZeroPoint: number,
  outScale: number,
  outZeroPoint: number,
  transform: (x: number) => number,
): Int8Array {
  const table = new Int8Array(256);
  const inverseScale = f32(1 / outScale);
  for (let v = -128; v <= 127; v++) {
    const dequantized = f32(inScale * (v - inZeroPoint));
    const rescaled = roundHalfAway(f32(transform(dequantized) * inverseScale));
    const quantized = rescaled + outZeroPoint;
    table[v & 0xff] = Math.max(Math.min(127, quantized), -128);
  }
  return table;
}

export const elu: Kernel<EluData> = {
  prepare(node) {
    checkSameShape(node);
    expectSameTypes(node, 'float32', 'int8');
    const x = input(node, 0);
    if (x.type === 'float32') return { kind: 'float' };
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, output(node, 0));
    const table = int8Table(inQ.scale, inQ.zeroPoint, outQ.scale, outQ.zeroPoint, (v) =>
      v < 0 ? f32(f32(Math.exp(v)) - 1) : v,
    );
    return { kind: 'int8', table };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      const xf = x as Float32Array;
      const yf = y as Float32Array;
      for (let i = 0; i < xf.length; i++) yf[i] = xf[i] < 0 ? Math.expm1(xf[i]) : xf[i];
      return;
    }
    const xi = x as Int8Array;
    const yi = y as Int8Array;
    for (let i = 0; i < xi.length; i++) yi[i] = data.table[xi[i] & 0xff];
  },
};
