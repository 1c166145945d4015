/**
 * Shared parts of AVERAGE_POOL_2D and MAX_POOL_2D (micro/kernels/
 * pooling_common.cc): NHWC geometry, implicit padding without dilation, the
 * fused activation range, and the quantized check that input and output share
 * scale and zero point (the pools do not rescale).
 */
import type { PaddingName } from '../../tflite/model';
import {
  expectRank,
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  output,
  requireQuantization,
  type NodeContext,
} from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import { computePaddingHeightWidth } from './padding';

export interface PoolParams {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  depth: number;
  outputHeight: number;
  outputWidth: number;
  strideHeight: number;
  strideWidth: number;
  filterHeight: number;
  filterWidth: number;
  padHeight: number;
  padWidth: number;
  activationMin: number;
  activationMax: number;
  type: 'float32' | 'int8' | 'int16';
}

export function preparePool(node: NodeContext): PoolParams {
  const x = input(node, 0);
  const y = output(node, 0);
  expectRank(node, x, 4);
  expectRank(node, y, 4);
  expectType(node, x, 'float32', 'int8', 'int16');
  if (x.type !== y.type) {
    throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
  }
  const strideHeight = numberOption(node, 'strideH', 1);
  const strideWidth = numberOption(node, 'strideW', 1);
  const filterHeight = numberOption(node, 'filterHeight', 1);
  const filterWidth = numberOption(node, 'filterWidth', 1);
  if (strideHeight < 1 || strideWidth < 1 || filterHeight < 1 || filterWidth < 1) {
    throw new KernelError(
      node,
      `strides (${strideHeight}, ${strideWidth}) and filter (${filterHeight}, ${filterWidth}) must be positive`,
    );
  }
  const [batches, inputHeight, inputWidth, depth] = x.shape;
  const padding = (node.options?.padding as PaddingName | undefined) ?? 'SAME';
  const pad = computePaddingHeightWidth(
    strideHeight,
    strideWidth,
    1,
    1,
    inputHeight,
    inputWidth,
    filterHeight,
    filterWidth,
    padding,
  );
  const [outBatches, outputHeight, outputWidth, outDepth] = y.shape;
  if (
    outBatches !== batches ||
    outDepth !== depth ||
    outputHeight !== pad.outHeight ||
    outputWidth !== pad.outWidth
  ) {
    throw new KernelError(
      node,
      `output [${y.shape}] does not match input [${x.shape}] pooled ${filterHeight}x${filterWidth} with ${padding} padding and strides ${strideHeight}x${strideWidth}: expected [${batches},${pad.outHeight},${pad.outWidth},${depth}]`,
    );
  }
  let activationMin: number;
  let activationMax: number;
  if (x.type === 'float32') {
    [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
  } else {
    const inQ = requireQuantization(node, x);
    const outQ = requireQuantization(node, y);
    if (Math.abs(inQ.scale - outQ.scale) > 1e-6 || inQ.zeroPoint !== outQ.zeroPoint) {
      throw new KernelError(
        node,
        `input (scale ${inQ.scale}, zero point ${inQ.zeroPoint}) and output (scale ${outQ.scale}, zero point ${outQ.zeroPoint}) must be quantized alike`,
      );
    }
    [activationMin, activationMax] = quantizedActivationRange(
      fusedActivation(node),
      y.type,
      outQ.scale,
      outQ.zeroPoint,
    );
  }
  return {
    batches,
    inputHeight,
    inputWidth,
    depth,
    outputHeight,
    outputWidth,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
    padHeight: pad.height,
    padWidth: pad.width,
    activationMin,
    activationMax,
    type: x.type as PoolParams['type'],
  };
}
