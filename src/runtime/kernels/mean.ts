/**
 * MEAN and SUM over constant axes (micro/kernels/reduce_common.cc; kernels/
 * internal/reference/reduce.h). SUM is MEAN without the division by the
 * number of reduced elements (float sums, int8/int16 sums rescaled by
 * in_scale / out_scale alone) and without MEAN's 4-D spatial path.
 *
 * The input is walked in row-major order with an index odometer; each value
 * is added to its output position (the index with the reduced axes dropped).
 * float sums in float32 into the output and divides by the count; the 4-D
 * mean over height and width with keep_dims sums each (batch, channel) in
 * float32 and divides by height * width. int8 / int16 sum in int32, remove
 * zero_point * count, and rescale by (in_scale / out_scale) / count, the
 * division folded into the multiplier: (multiplier << s) / count with
 * s = min(floor(log2(count)), 32, 31 + shift).
 *
 * TFLM asks for scratch buffers here (the int32 sums, the odometer and the
 * resolved axes); so does this kernel, so the planned arena matches.
 */
import {
  expectConstant,
  expectType,
  input,
  KernelError,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quant/multiplier';
import { typeRange } from '../quant/rounding';

export interface MeanParams {
  inputDims: Int32Array;
  /** Resolved, deduplicated axes. */
  axes: Int32Array;
  /** Marks reduced dimensions of the input. */
  isAxis: Uint8Array;
  count: number;
  /** MEAN divides by the count; SUM does not. */
  divide: boolean;
  outputCount: number;
  /** The 4-D height-and-width mean with keep_dims (reference_ops::Mean 4D). */
  spatial: boolean;
  quantized: null | {
    inputZeroPoint: number;
    outputZeroPoint: number;
    multiplier: number;
    shift: number;
    min: number;
    max: number;
  };
  /** Indices into node.scratch. */
  sumScratch: number;
  iterScratch: number;
}

export function outputOffset(p: MeanParams, index: Int32Array): number {
  let offset = 0;
  for (let d = 0; d < p.inputDims.length; d++) {
    if (!p.isAxis[d]) offset = offset * p.inputDims[d] + index[d];
  }
  return offset;
}

export function nextIndex(dims: Int32Array, index: Int32Array): boolean {
  for (let d = dims.length - 1; d >= 0; d--) {
    index[d]++;
    if (index[d] < dims[d]) return true;
    index[d] = 0;
  }
  return false;
}

export function meanFloat(p: MeanParams, x: Float32Array, y: Float32Array, iter: Int32Array): void {
  if (p.spatial) {
    const [batches, height, width, depth] = p.inputDims;
    for (let b = 0; b < batches; b++) {
      for (let c = 0; c < depth; c++) {
        let value = 0;
        for (let h = 0; h < height; h++) {
          for (let w = 0; w < width; w++) {
            value = Math.fround(value + x[((b * height + h) * width + w) * depth + c]);
          }
        }
        y[b * depth + c] = value / (width * height);
      }
    }
    return;
  }
  y.fill(0);
  if (x.length === 0) return;
  iter.fill(0);
  let i = 0;
  do {
    const o = outputOffset(p, iter);
    y[o] = y[o] + x[i++];
  } while (nextIndex(p.inputDims, iter));
  if (p.divide && p.count > 0) for (let o = 0; o < p.outputCount; o++) y[o] = y[o] / p.count;
}

export function meanQuantized(
  p: MeanParams,
  x: Int8Array | Int16Array,
  y: Int8Array | Int16Array,
  sums: Int32Array,
  iter: Int32Array,
): void {
  const q = p.quantized!;
  sums.fill(0);
  y.fill(0);
  if (x.length === 0 || p.count === 0) return;
  iter.fill(0);
  let i = 0;
  do {
    const o = outputOffset(p, iter);
    sums[o] = sums[o] + x[i++];
  } while (nextIndex(p.inputDims, iter));
  const zeroSum = q.inputZeroPoint * p.count;
  for (let o = 0; o < p.outputCount; o++) {
    const shifted = (sums[o] - zeroSum) | 0;
    const v = multiplyByQuantizedMultiplier(shifted, q.multiplier, q.shift) + q.outputZeroPoint;
    y[o] = v < q.min ? q.min : v > q.max ? q.max : v;
  }
}

export function resolveAxes(node: NodeContext, rank: number): number[] {
  const axis = input(node, 1);
  expectType(node, axis, 'int32');
  expectConstant(node, axis, 'axis');
  const out: number[] = [];
  for (const raw of axis.data as Int32Array) {
    const a = raw < 0 ? raw + rank : raw;
    if (a < 0 || a >= rank)
      throw new KernelError(node, `axis ${raw} is outside a rank-${rank} input`);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** MEAN, or SUM (QuantizedMeanOrSum with compute_sum: no division by the count). */
function meanOrSum(isMean: boolean): Kernel<MeanParams> {
  return {
    prepare(node, ctx) {
      const x = input(node, 0);
      const y = output(node, 0);
      expectType(node, x, 'float32', 'int8', 'int16');
      if (x.type !== y.type)
        throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
      const rank = x.shape.length;
      const axes = resolveAxes(node, rank);
      const isAxis = new Uint8Array(rank);
      for (const a of axes) isAxis[a] = 1;
      const count = axes.reduce((n, a) => n * x.shape[a], 1);
      const outputCount = y.shape.reduce((a, b) => a * b, 1);
      const expected = x.shape.reduce((n, d, i) => (isAxis[i] ? n : n * d), 1);
      if (expected !== outputCount) {
        throw new KernelError(
          node,
          `output [${y.shape}] does not hold the mean of [${x.shape}] over axes [${axes}]`,
        );
      }
      const keepDims = node.options?.keepDims === true;
      const rawAxes = Array.from(input(node, 1).data as Int32Array);
      const spatial =
        isMean &&
        keepDims &&
        rank === 4 &&
        rawAxes.length === 2 &&
        isAxis[1] === 1 &&
        isAxis[2] === 1 &&
        x.type === 'float32';
      let quantized: MeanParams['quantized'] = null;
      let sumScratch = -1;
      if (x.type !== 'float32') {
        const inQ = requireQuantization(node, x);
        const outQ = requireQuantization(node, y);
        const base = quantizeMultiplier(inQ.scale / outQ.scale);
        let multiplier = base.multiplier;
        let shift = base.shift;
        if (isMean && count > 0) {
          // Fold 1 / count into the multiplier (QuantizedMeanOrSum).
          let s = 31 - Math.clz32(count);
          s = Math.min(s, 32, 31 + shift);
          multiplier = Number((BigInt(multiplier) << BigInt(s)) / BigInt(count));
          shift -= s;
        }
        const [min, max] = typeRange(x.type);
        quantized = {
          inputZeroPoint: inQ.zeroPoint,
          outputZeroPoint: outQ.zeroPoint,
          multiplier,
          shift,
          min,
          max,
        };
        sumScratch = ctx.requestScratch('int32', outputCount);
      }
      const iterScratch = ctx.requestScratch('int32', rank);
      ctx.requestScratch('int32', rawAxes.length); // TFLM's resolved-axis buffer
      return {
        inputDims: Int32Array.from(x.shape),
        axes: Int32Array.from(axes),
        isAxis,
        count,
        divide: isMean,
        outputCount,
        spatial,
        quantized,
        sumScratch,
        iterScratch,
      };
    },
    eval(node, p) {
      const x = node.inputs[0]!.data;
      const y = node.outputs[0].data;
      const iter = node.scratch[p.iterScratch] as Int32Array;
      if (!p.quantized) meanFloat(p, x as Float32Array, y as Float32Array, iter);
      else
        meanQuantized(
          p,
          x as Int8Array,
          y as Int8Array,
          node.scratch[p.sumScratch] as Int32Array,
          iter,
        );
    },
  };
}

export const mean = meanOrSum(true);
export const sum = meanOrSum(false);
