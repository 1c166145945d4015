/**
 * Explicit op registration, after TFLM's MicroMutableOpResolver: a model can
 * only run ops that were registered, an unknown op fails when the model is
 * loaded (never at invoke), and registering an op twice is an error.
 */
import { BuiltinOperator, opName } from '../tflite/model';
import type { Kernel } from './kernel';
import { add } from './kernels/add';
import { averagePool2d } from './kernels/average-pool-2d';
import { concatenation } from './kernels/concatenation';
import { conv2d } from './kernels/conv-2d';
import { depthwiseConv2d } from './kernels/depthwise-conv-2d';
import { dequantizeKernel } from './kernels/dequantize';
import { fullyConnected } from './kernels/fully-connected';
import { logistic } from './kernels/logistic';
import { maxPool2d } from './kernels/max-pool-2d';
import { mean, sum } from './kernels/mean';
import { reduceMax } from './kernels/reduce-max';
import { mul } from './kernels/mul';
import { padKernel } from './kernels/pad';
import { quantize } from './kernels/quantize';
import { relu } from './kernels/relu';
import { relu6 } from './kernels/relu6';
import { reshape } from './kernels/reshape';
import { softmax } from './kernels/softmax';
import { squeeze } from './kernels/squeeze';
import { svdf } from './kernels/svdf';
import { tanh } from './kernels/tanh';
import { argMax, argMin } from './kernels/arg-min-max';
import { cast } from './kernels/cast';
import { depthToSpace } from './kernels/depth-to-space';
import { div } from './kernels/div';
import { abs, exp, floor, rsqrt, sqrt, square } from './kernels/elementwise';
import { elu } from './kernels/elu';
import { expandDims } from './kernels/expand-dims';
import { gather } from './kernels/gather';
import { hardSwish } from './kernels/hard-swish';
import { l2Normalization } from './kernels/l2-normalization';
import { leakyRelu } from './kernels/leaky-relu';
import { logSoftmax } from './kernels/log-softmax';
import { maximum, minimum } from './kernels/maximum-minimum';
import { pack, unpack } from './kernels/pack';
import { prelu } from './kernels/prelu';
import { resizeBilinear } from './kernels/resize-bilinear';
import { resizeNearestNeighbor } from './kernels/resize-nearest-neighbor';
import { shape } from './kernels/shape';
import { slice } from './kernels/slice';
import { batchToSpaceNd, spaceToBatchNd } from './kernels/space-batch';
import { split, splitV } from './kernels/split';
import { stridedSlice } from './kernels/strided-slice';
import { squaredDifference } from './kernels/squared-difference';
import { sub } from './kernels/sub';
import { transpose } from './kernels/transpose';
import { transposeConv } from './kernels/transpose-conv';
import { unidirectionalSequenceLstm } from './kernels/unidirectional-sequence-lstm';
import { TinymlError } from '../errors';

export class OpResolver {
  private readonly kernels = new Map<number, Kernel>();

  add<OpData>(code: number, kernel: Kernel<OpData>): this {
    if (this.kernels.has(code)) {
      throw new TinymlError('EDUPLICATE', `op ${opName(code)} is already registered`);
    }
    this.kernels.set(code, kernel as Kernel<unknown>);
    return this;
  }

  find(code: number): Kernel | undefined {
    return this.kernels.get(code);
  }

  /** Names of the registered ops, sorted. */
  ops(): string[] {
    return [...this.kernels.keys()].map(opName).sort();
  }
}

/** A resolver with every op this interpreter implements. */
export function allOpsResolver(): OpResolver {
  return new OpResolver()
    .add(BuiltinOperator.ADD, add)
    .add(BuiltinOperator.AVERAGE_POOL_2D, averagePool2d)
    .add(BuiltinOperator.CONCATENATION, concatenation)
    .add(BuiltinOperator.CONV_2D, conv2d)
    .add(BuiltinOperator.DEPTHWISE_CONV_2D, depthwiseConv2d)
    .add(BuiltinOperator.DEQUANTIZE, dequantizeKernel)
    .add(BuiltinOperator.FULLY_CONNECTED, fullyConnected)
    .add(BuiltinOperator.LOGISTIC, logistic)
    .add(BuiltinOperator.MAX_POOL_2D, maxPool2d)
    .add(BuiltinOperator.MEAN, mean)
    .add(BuiltinOperator.MUL, mul)
    .add(BuiltinOperator.PAD, padKernel)
    .add(BuiltinOperator.PADV2, padKernel)
    .add(BuiltinOperator.QUANTIZE, quantize)
    .add(BuiltinOperator.RELU, relu)
    .add(BuiltinOperator.RELU6, relu6)
    .add(BuiltinOperator.RESHAPE, reshape)
    .add(BuiltinOperator.SOFTMAX, softmax)
    .add(BuiltinOperator.SQUEEZE, squeeze)
    .add(BuiltinOperator.SVDF, svdf)
    .add(BuiltinOperator.TANH, tanh)
    .add(BuiltinOperator.ARG_MAX, argMax)
    .add(BuiltinOperator.ARG_MIN, argMin)
    .add(BuiltinOperator.EXPAND_DIMS, expandDims)
    .add(BuiltinOperator.GATHER, gather)
    .add(BuiltinOperator.HARD_SWISH, hardSwish)
    .add(BuiltinOperator.LEAKY_RELU, leakyRelu)
    .add(BuiltinOperator.MAXIMUM, maximum)
    .add(BuiltinOperator.MINIMUM, minimum)
    .add(BuiltinOperator.PACK, pack)
    .add(BuiltinOperator.PRELU, prelu)
    .add(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, resizeNearestNeighbor)
    .add(BuiltinOperator.SHAPE, shape)
    .add(BuiltinOperator.SLICE, slice)
    .add(BuiltinOperator.SPLIT, split)
    .add(BuiltinOperator.SPLIT_V, splitV)
    .add(BuiltinOperator.STRIDED_SLICE, stridedSlice)
    .add(BuiltinOperator.SUB, sub)
    .add(BuiltinOperator.TRANSPOSE, transpose)
    .add(BuiltinOperator.UNPACK, unpack)
    .add(BuiltinOperator.BATCH_TO_SPACE_ND, batchToSpaceNd)
    .add(BuiltinOperator.SPACE_TO_BATCH_ND, spaceToBatchNd)
    .add(BuiltinOperator.DEPTH_TO_SPACE, depthToSpace)
    .add(BuiltinOperator.ABS, abs)
    .add(BuiltinOperator.CAST, cast)
    .add(BuiltinOperator.FLOOR, floor)
    .add(BuiltinOperator.RSQRT, rsqrt)
    .add(BuiltinOperator.SQRT, sqrt)
    .add(BuiltinOperator.SQUARE, square)
    .add(BuiltinOperator.SQUARED_DIFFERENCE, squaredDifference)
    .add(BuiltinOperator.RESIZE_BILINEAR, resizeBilinear)
    .add(BuiltinOperator.REDUCE_MAX, reduceMax)
    .add(BuiltinOperator.SUM, sum)
    .add(BuiltinOperator.DIV, div)
    .add(BuiltinOperator.ELU, elu)
    .add(BuiltinOperator.EXP, exp)
    .add(BuiltinOperator.LOG_SOFTMAX, logSoftmax)
    .add(BuiltinOperator.L2_NORMALIZATION, l2Normalization)
    .add(BuiltinOperator.TRANSPOSE_CONV, transposeConv)
    .add(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, unidirectionalSequenceLstm);
}
