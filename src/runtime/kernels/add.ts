/**
 * ADD with broadcasting (micro/kernels/add_common.cc; kernels/internal/
 * reference/add.h, integer_ops/add.h).
 *
 * float: clamp(a + b); int32: a + b wrapping.
 * int8 / int16: both inputs are shifted left by 20 (int8) or 15 (int16) bits,
 * rescaled to half the larger input scale (multipliers below one), added,
 * and the sum rescaled to the output scale:
 *   y = clamp(out_zp + M_out * (M1 * ((a + off1) << s) + M2 * ((b + off2) << s))).
 * TFLM uses this general form for int16 too (pot_scale_int16 is ignored).
 */
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
  output,
  requireQuantization,
  type Kernel,
} from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../quant/fixed-point';
import { quantizeMultiplierSmallerThanOneExp } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import { BroadcastPlan } from './broadcast';

export interface AddQuantParams {
  leftShift: number;
  input1Offset: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Offset: number;
  input2Multiplier: number;
  input2Shift: number;
  outputOffset: number;
  outputMultiplier: number;
  outputShift: number;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp, inlined by hand in the loops' hot path. */
function scale(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

export function addQuantizedElement(p: AddQuantParams, a: number, b: number): number {
  const s1 = scale((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const s2 = scale((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  const raw = scale((s1 + s2) | 0, p.outputMultiplier, p.outputShift) + p.outputOffset;
  return raw < p.quantizedActivationMin
    ? p.quantizedActivationMin
    : raw > p.quantizedActivationMax
      ? p.quantizedActivationMax
      : raw;
}

type Num = Float32Array | Int32Array | Int16Array | Int8Array;

function binary(
  plan: BroadcastPlan,
  x1: Num,
  x2: Num,
  y: Num,
  fn: (a: number, b: number) => number,
): void {
  if (plan.same) {
    for (let i = 0; i < plan.size; i++) y[i] = fn(x1[i], x2[i]);
    return;
  }
  const n = plan.rowLength;
  const s1 = plan.rowStride1;
  const s2 = plan.rowStride2;
  plan.start();
  for (let r = 0; r < plan.rows; r++) {
    const b1 = plan.base1;
    const b2 = plan.base2;
    const bo = plan.baseOut;
    for (let i = 0; i < n; i++) y[bo + i] = fn(x1[b1 + i * s1], x2[b2 + i * s2]);
    plan.next();
  }
}

interface AddData {
  plan: BroadcastPlan;
  kind: 'float' | 'int32' | 'quantized';
  /** The per-element function, built once in prepare(). */
  fn: (a: number, b: number) => number;
}

export const add: Kernel<AddData> = {
  prepare(node) {
    const a = input(node, 0);
    const b = input(node, 1);
    const y = output(node, 0);
    expectType(node, y, 'float32', 'int32', 'int8', 'int16');
    if (a.type !== y.type || b.type !== y.type) {
      throw new KernelError(
        node,
        `input types ${a.type}, ${b.type} and output type ${y.type} must match`,
      );
    }
    const plan = new BroadcastPlan(node, a, b, y);
    const activation = fusedActivation(node);
    if (y.type === 'float32') {
      const [min, max] = floatActivationRange(activation);
      return { plan, kind: 'float', fn: (u, v) => Math.min(Math.max(f32(u + v), min), max) };
    }
    if (y.type === 'int32') return { plan, kind: 'int32', fn: (u, v) => (u + v) | 0 };
    const q1 = requireQuantization(node, a);
    const q2 = requireQuantization(node, b);
    const qo = requireQuantization(node, y);
    const leftShift = y.type === 'int16' ? 15 : 20;
    const twiceMaxInputScale = 2 * Math.max(q1.scale, q2.scale);
    const m1 = quantizeMultiplierSmallerThanOneExp(q1.scale / twiceMaxInputScale);
    const m2 = quantizeMultiplierSmallerThanOneExp(q2.scale / twiceMaxInputScale);
    const mo = quantizeMultiplierSmallerThanOneExp(
      twiceMaxInputScale / (2 ** leftShift * qo.scale),
    );
    const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
      activation,
      y.type,
      qo.scale,
      qo.zeroPoint,
    );
    const p: AddQuantParams = {
      leftShift,
      input1Offset: -q1.zeroPoint,
      input1Multiplier: m1.multiplier,
      input1Shift: m1.shift,
      input2Offset: -q2.zeroPoint,
      input2Multiplier: m2.multiplier,
      input2Shift: m2.shift,
      outputOffset: qo.zeroPoint,
      outputMultiplier: mo.multiplier,
      outputShift: mo.shift,
      quantizedActivationMin,
      quantizedActivationMax,
    };
    return { plan, kind: 'quantized', fn: (u, v) => addQuantizedElement(p, u, v) };
  },
  eval(node, data) {
    binary(
      data.plan,
      node.inputs[0]!.data as Num,
      node.inputs[1]!.data as Num,
      node.outputs[0].data as Num,
      data.fn,
    );
  },
};

export { binary };
