/**
 * SVDF: a rank-factored, time-unrolled fully connected layer with a state of
 * the last `memory` feature activations per filter (micro/kernels/
 * svdf_common.cc, TFLM's own version of the op: scratch memory planned ahead,
 * output shape fixed).
 *
 * Each invoke shifts the whole state left by one element, writes each filter's
 * feature activation (weights_feature . input) at the end of its memory,
 * takes the dot product of every filter's memory with its time weights, sums
 * `rank` filters per unit, adds the bias and applies the activation.
 * int8: feature activations are requantized into the state's int8 (or int16)
 * scale (clamped to the state type, then offset by its zero point and stored
 * with C's wrapping conversion); the unit sums are requantized to the output.
 * Both multipliers come from scales multiplied and divided in float.
 */
import {
  expectRank,
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  optionalInput,
  output,
  requireQuantization,
  type Kernel,
} from '../kernel';
import { floatActivationRange } from '../quant/activation';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { bindSimdGemm, prepareSimdGemm, runSimdGemm, type SimdGemm } from './gemm-simd';
import { packRequantParams, requantParamsBytes } from '../wasm/requantize';

export interface SvdfShape {
  batches: number;
  inputSize: number;
  filters: number;
  units: number;
  rank: number;
  memory: number;
}

export interface SvdfInt8Params extends SvdfShape {
  inputZeroPoint: number;
  outputZeroPoint: number;
  stateZeroPoint: number;
  scale1Multiplier: number;
  scale1Shift: number;
  scale2Multiplier: number;
  scale2Shift: number;
  stateMin: number;
  stateMax: number;
  scratch: number;
  scratchOutput: number;
}

export interface SvdfFloatParams extends SvdfShape {
  activationMin: number;
  activationMax: number;
  scratch: number;
}

function shiftState(state: Int8Array | Int16Array | Float32Array, length: number): void {
  state.copyWithin(0, 1, length);
}

export function svdfInt8(
  p: SvdfInt8Params,
  x: Int8Array,
  weightsFeature: Int8Array,
  weightsTime: Int8Array | Int16Array,
  bias: Int32Array | null,
  state: Int8Array | Int16Array,
  y: Int8Array,
  scratch: Int32Array,
  scratchOutput: Int32Array,
): void {
  const { batches, inputSize, filters, units, rank, memory } = p;
  const inputZeroPoint = p.inputZeroPoint;
  const stateZeroPoint = p.stateZeroPoint;
  const { scale1Multiplier, scale1Shift, scale2Multiplier, scale2Shift } = p;
  const stateMin = p.stateMin;
  const stateMax = p.stateMax;
  shiftState(state, batches * filters * memory);
  // Feature activations into the newest state slot of each filter.
  for (let b = 0; b < batches; b++) {
    const xBase = b * inputSize;
    for (let r = 0; r < filters; r++) {
      const wBase = r * inputSize;
      let dot = 0;
      for (let c = 0; c < inputSize; c++) {
        dot += weightsFeature[wBase + c] * (x[xBase + c] - inputZeroPoint);
      }
      dot = multiplyByQuantizedMultiplier(dot | 0, scale1Multiplier, scale1Shift);
      dot = dot < stateMin ? stateMin : dot > stateMax ? stateMax : dot;
      state[(b * filters + r) * memory + memory - 1] = stateZeroPoint + dot;
    }
  }
  // Time weights . memory, per filter.
  for (let b = 0; b < batches; b++) {
    const stateBase = b * memory * filters;
    for (let i = 0; i < filters; i++) {
      const base = i * memory;
      let sum = 0;
      for (let j = 0; j < memory; j++) {
        sum += weightsTime[base + j] * (state[stateBase + base + j] - stateZeroPoint);
      }
      scratch[b * filters + i] = sum;
    }
  }
  for (let b = 0; b < batches; b++) {
    for (let u = 0; u < units; u++) {
      let acc = bias ? bias[u] : 0;
      for (let j = 0; j < rank; j++) acc += scratch[b * filters + u * rank + j];
      scratchOutput[b * units + u] = acc;
    }
  }
  const outputZeroPoint = p.outputZeroPoint;
  for (let i = 0; i < batches * units; i++) {
    const v =
      multiplyByQuantizedMultiplier(scratchOutput[i], scale2Multiplier, scale2Shift) +
      outputZeroPoint;
    y[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
}

export function svdfFloat(
  p: SvdfFloatParams,
  x: Float32Array,
  weightsFeature: Float32Array,
  weightsTime: Float32Array,
  bias: Float32Array | null,
  state: Float32Array,
  y: Float32Array,
  scratch: Float32Array,
): void {
  const { batches, inputSize, filters, units, rank, memory } = p;
  shiftState(state, batches * filters * memory);
  for (let b = 0; b < batches; b++) {
    for (let r = 0; r < filters; r++) {
      let dot = 0;
      for (let c = 0; c < inputSize; c++)
        dot += weightsFeature[r * inputSize + c] * x[b * inputSize + c];
      state[(b * filters + r) * memory + memory - 1] = dot;
    }
  }
  for (let b = 0; b < batches; b++) {
    const stateBase = b * memory * filters;
    for (let i = 0; i < filters; i++) {
      let sum = 0;
      for (let j = 0; j < memory; j++)
        sum += weightsTime[i * memory + j] * state[stateBase + i * memory + j];
      scratch[b * filters + i] = sum;
    }
  }
  for (let b = 0; b < batches; b++) {
    for (let u = 0; u < units; u++) {
      let acc = bias ? bias[u] : 0;
      for (let j = 0; j < rank; j++) acc += scratch[b * filters + u * rank + j];
      y[b * units + u] = Math.min(Math.max(acc, p.activationMin), p.activationMax);
    }
  }
}

/**
 * The feature stage of an int8 SVDF with an int8 state is a fully connected
 * layer (weights_feature . (input - zero point), requantized and clamped to
 * the state's range), so it can run on the SIMD gemm; its results land in an
 * arena scratch buffer and are then offset into the state as TFLM does.
 */
interface SvdfSimd {
  gemm: SimdGemm;
  features: number;
  /** int8 time weights, rows padded to mem8, and packed bias/scale-2 records (svdf_int8), or 0. */
  timeWeights: number;
  mem8: number;
  params: number;
  runtime?: SimdRuntime;
}

type SvdfData =
  { kind: 'int8'; p: SvdfInt8Params; simd?: SvdfSimd } | { kind: 'float'; p: SvdfFloatParams };

/** svdfInt8 with the feature activations already computed (the SIMD path). */
export function svdfInt8FromFeatures(
  p: SvdfInt8Params,
  features: Int8Array,
  weightsTime: Int8Array | Int16Array,
  bias: Int32Array | null,
  state: Int8Array,
  y: Int8Array,
  scratch: Int32Array,
  scratchOutput: Int32Array,
): void {
  const { batches, filters, units, rank, memory } = p;
  const stateZeroPoint = p.stateZeroPoint;
  for (let b = 0; b < batches; b++) {
    for (let r = 0; r < filters; r++) {
      state[(b * filters + r) * memory + memory - 1] = stateZeroPoint + features[b * filters + r];
    }
  }
  for (let b = 0; b < batches; b++) {
    const stateBase = b * memory * filters;
    for (let i = 0; i < filters; i++) {
      const base = i * memory;
      let sum = 0;
      for (let j = 0; j < memory; j++) {
        sum += weightsTime[base + j] * (state[stateBase + base + j] - stateZeroPoint);
      }
      scratch[b * filters + i] = sum;
    }
  }
  for (let b = 0; b < batches; b++) {
    for (let u = 0; u < units; u++) {
      let acc = bias ? bias[u] : 0;
      for (let j = 0; j < rank; j++) acc += scratch[b * filters + u * rank + j];
      scratchOutput[b * units + u] = acc;
    }
  }
  const outputZeroPoint = p.outputZeroPoint;
  for (let i = 0; i < batches * units; i++) {
    const v =
      multiplyByQuantizedMultiplier(scratchOutput[i], p.scale2Multiplier, p.scale2Shift) +
      outputZeroPoint;
    y[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
}

export const svdf: Kernel<SvdfData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const wf = input(node, 1);
    const wt = input(node, 2);
    const bias = optionalInput(node, 3);
    const state = input(node, 4);
    const y = output(node, 0);
    expectRank(node, x, 2);
    expectRank(node, wf, 2);
    expectRank(node, wt, 2);
    expectRank(node, state, 2);
    expectRank(node, y, 2);
    const rank = numberOption(node, 'rank', 1);
    const [batches, inputSize] = x.shape;
    const filters = wf.shape[0];
    const memory = wt.shape[1];
    if (rank < 1 || filters % rank !== 0)
      throw new KernelError(node, `${filters} filters are not a multiple of rank ${rank}`);
    const units = filters / rank;
    const problems: string[] = [];
    if (wf.shape[1] !== inputSize)
      problems.push(`weights_feature [${wf.shape}] must have ${inputSize} columns`);
    if (wt.shape[0] !== filters)
      problems.push(`weights_time [${wt.shape}] must have ${filters} rows`);
    if (bias && bias.shape[0] !== units)
      problems.push(`bias [${bias.shape}] must have ${units} values`);
    if (state.shape[0] !== batches || state.shape[1] !== memory * filters)
      problems.push(`state [${state.shape}] must be [${batches}, ${memory * filters}]`);
    if (y.shape[0] !== batches || y.shape[1] !== units)
      problems.push(`output [${y.shape}] must be [${batches}, ${units}]`);
    if (!state.isVariable) problems.push(`state "${state.name}" must be a variable tensor`);
    if (problems.length) throw new KernelError(node, problems.join('; '));
    const shape: SvdfShape = { batches, inputSize, filters, units, rank, memory };
    expectType(node, x, 'float32', 'int8');
    if (x.type === 'float32') {
      for (const t of [wf, wt, state, y]) expectType(node, t, 'float32');
      if (bias) expectType(node, bias, 'float32');
      const [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
      const scratch = ctx.requestScratch('float32', batches * filters);
      return { kind: 'float', p: { ...shape, activationMin, activationMax, scratch } };
    }
    expectType(node, wf, 'int8');
    expectType(node, wt, 'int8', 'int16');
    expectType(node, state, 'int8', 'int16');
    expectType(node, y, 'int8');
    if (bias) expectType(node, bias, 'int32');
    const inQ = requireQuantization(node, x);
    const wfQ = requireQuantization(node, wf);
    const wtQ = requireQuantization(node, wt);
    const stQ = requireQuantization(node, state);
    const outQ = requireQuantization(node, y);
    const s1 = quantizeMultiplier(f32(f32(inQ.scale * wfQ.scale) / stQ.scale));
    const s2 = quantizeMultiplier(f32(f32(stQ.scale * wtQ.scale) / outQ.scale));
    const scratch = ctx.requestScratch('int32', batches * filters);
    const scratchOutput = ctx.requestScratch('int32', batches * units);
    const stateMax = state.type === 'int16' ? 32767 : 127;
    let simd: SvdfSimd | undefined;
    if (ctx.simd && state.type === 'int8' && wf.isConstant) {
      const mem8 = Math.ceil(memory / 8) * 8;
      const timeOnSimd = wt.type === 'int8' && wt.isConstant && (!bias || bias.isConstant);
      if (timeOnSimd) {
        ctx.reservePersistent(filters * mem8);
        ctx.reservePersistent(requantParamsBytes(units));
      }
      simd = {
        gemm: prepareSimdGemm(ctx, filters, inputSize),
        features: ctx.requestSimdScratch('int8', batches * filters),
        timeWeights: timeOnSimd ? 1 : 0,
        mem8,
        params: 0,
      };
    }
    return {
      kind: 'int8',
      simd,
      p: {
        ...shape,
        inputZeroPoint: inQ.zeroPoint,
        outputZeroPoint: outQ.zeroPoint,
        stateZeroPoint: stQ.zeroPoint,
        scale1Multiplier: s1.multiplier,
        scale1Shift: s1.shift,
        scale2Multiplier: s2.multiplier,
        scale2Shift: s2.shift,
        stateMin: -stateMax - 1,
        stateMax,
        scratch,
        scratchOutput,
      },
    };
  },
  bind(node, data, simd) {
    if (data.kind !== 'int8' || !data.simd) return;
    const p = data.p;
    bindSimdGemm(
      data.simd.gemm,
      simd,
      node.inputs[1]!.data as Int8Array,
      new Int32Array(p.filters),
      new Int32Array(p.filters).fill(p.scale1Multiplier),
      new Int32Array(p.filters).fill(p.scale1Shift),
      -p.inputZeroPoint,
    );
    if (data.simd.timeWeights) {
      const wt = node.inputs[2]!.data as Int8Array;
      data.simd.timeWeights = simd.alloc(p.filters * data.simd.mem8);
      const padded = simd.int8(data.simd.timeWeights, p.filters * data.simd.mem8);
      for (let i = 0; i < p.filters; i++) {
        padded.set(wt.subarray(i * p.memory, (i + 1) * p.memory), i * data.simd.mem8);
      }
      const bias = node.inputs[3];
      const packed = packRequantParams(
        bias ? (bias.data as Int32Array) : new Int32Array(p.units),
        new Int32Array(p.units).fill(p.scale2Multiplier),
        new Int32Array(p.units).fill(p.scale2Shift),
        p.units,
      );
      data.simd.params = simd.alloc(packed.length);
      new Uint8Array(simd.buffer, data.simd.params, packed.length).set(packed);
    }
    data.simd.runtime = simd;
  },
  eval(node, data) {
    const bias = node.inputs[3];
    if (data.kind === 'int8' && data.simd?.runtime) {
      const p = data.p;
      const state = node.inputs[4]!.data as Int8Array;
      const features = node.scratch[data.simd.features] as Int8Array;
      shiftState(state, p.batches * p.filters * p.memory);
      runSimdGemm(
        data.simd.runtime,
        data.simd.gemm,
        node.inputs[0]!.data.byteOffset,
        p.inputSize,
        p.batches,
        0,
        p.stateMin,
        p.stateMax,
        features.byteOffset,
      );
      const s = data.simd;
      if (s.timeWeights) {
        const out = node.outputs[0].data as Int8Array;
        const sums = node.scratch[p.scratch] as Int32Array;
        for (let b = 0; b < p.batches; b++) {
          s.runtime!.kernels.svdf(
            features.byteOffset + b * p.filters,
            state.byteOffset + b * p.filters * p.memory,
            s.timeWeights,
            p.filters,
            p.memory,
            s.mem8,
            p.rank,
            p.units,
            p.stateZeroPoint,
            sums.byteOffset + b * p.filters * 4,
            s.params,
            p.outputZeroPoint,
            -128,
            127,
            out.byteOffset + b * p.units,
          );
        }
        return;
      }
      svdfInt8FromFeatures(
        p,
        features,
        node.inputs[2]!.data as Int8Array,
        bias ? (bias.data as Int32Array) : null,
        state,
        node.outputs[0].data as Int8Array,
        node.scratch[p.scratch] as Int32Array,
        node.scratch[p.scratchOutput] as Int32Array,
      );
    } else if (data.kind === 'int8') {
      svdfInt8(
        data.p,
        node.inputs[0]!.data as Int8Array,
        node.inputs[1]!.data as Int8Array,
        node.inputs[2]!.data as Int8Array,
        bias ? (bias.data as Int32Array) : null,
        node.inputs[4]!.data as Int8Array,
        node.outputs[0].data as Int8Array,
        node.scratch[data.p.scratch] as Int32Array,
        node.scratch[data.p.scratchOutput] as Int32Array,
      );
    } else {
      svdfFloat(
        data.p,
        node.inputs[0]!.data as Float32Array,
        node.inputs[1]!.data as Float32Array,
        node.inputs[2]!.data as Float32Array,
        bias ? (bias.data as Float32Array) : null,
        node.inputs[4]!.data as Float32Array,
        node.outputs[0].data as Float32Array,
        node.scratch[data.p.scratch] as Float32Array,
      );
    }
  },
};
