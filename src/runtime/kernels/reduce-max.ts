/**
 * REDUCE_MAX over constant axes (micro/kernels/reduce_common.cc,
 * EvalMinMaxHelper; reference/reduce.h ReduceGeneric): every output starts
 * at the type's lowest value (-FLT_MAX for float) and takes each input value
 * of its position that is larger. int8 compares raw values, so TFLM requires
 * the input's scale and zero point on the output (checked here at load).
 * TFLM asks for scratch buffers for the odometer and the resolved axes; so
 * does this kernel, so the planned arena matches.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, output, quantParams, type Kernel } from '../kernel';
import { expectSameTypes } from './index-map';
import { nextIndex, outputOffset, resolveAxes, type MeanParams } from './mean';

const FLT_LOWEST = -3.4028234663852886e38;

interface MaxData {
  p: Pick<MeanParams, 'inputDims' | 'isAxis'>;
  lowest: number;
  iterScratch: number;
}

export function reduceMaxReference(
  d: MaxData,
  x: Float32Array | Int8Array,
  y: Float32Array | Int8Array,
  iter: Int32Array,
): void {
  y.fill(d.lowest);
  if (x.length === 0) return;
  iter.fill(0);
  let i = 0;
  do {
    const o = outputOffset(d.p as MeanParams, iter);
    const v = x[i++];
    if (v > y[o]) y[o] = v;
  } while (nextIndex(d.p.inputDims, iter));
}

export const reduceMax: Kernel<MaxData> = {
  prepare(node, ctx) {
    expectSameTypes(node, 'float32', 'int8');
    const x = input(node, 0);
    const y = output(node, 0);
    const rank = x.shape.length;
    const axes = resolveAxes(node, rank);
    const isAxis = new Uint8Array(rank);
    for (const a of axes) isAxis[a] = 1;
    const expected = x.shape.reduce((n, dim, i) => (isAxis[i] ? n : n * dim), 1);
    if (expected !== elementCount(y.shape)) {
      throw new KernelError(
        node,
        `output [${y.shape}] does not hold the maximum of [${x.shape}] over axes [${axes}]`,
      );
    }
    if (x.type === 'int8') {
      const qi = quantParams(x);
      const qo = quantParams(y);
      if (Math.fround(qi.scale) !== Math.fround(qo.scale) || qi.zeroPoint !== qo.zeroPoint) {
        throw new KernelError(
          node,
          `int8 input (scale ${qi.scale}, zero point ${qi.zeroPoint}) and output (scale ${qo.scale}, zero point ${qo.zeroPoint}) must share their quantization`,
        );
      }
    }
    const iterScratch = ctx.requestScratch('int32', rank);
    ctx.requestScratch('int32', input(node, 1).data.length); // TFLM's resolved-axis buffer
    return {
      p: { inputDims: Int32Array.from(x.shape), isAxis },
      lowest: x.type === 'int8' ? -128 : FLT_LOWEST,
      iterScratch,
    };
  },
  eval(node, d) {
    reduceMaxReference(
      d,
      node.inputs[0]!.data as Float32Array,
      node.outputs[0].data as Float32Array,
      node.scratch[d.iterScratch] as Int32Array,
    );
  },
};
