/**
 * What CONV_2D and DEPTHWISE_CONV_2D share in prepare(): options, the NHWC
 * geometry, the implicit padding (padding.ts) and a check that the model's
 * output shape is the one the options imply.
 */
import type { PaddingName } from '../../tflite/model';
import { expectRank, input, KernelError, numberOption, output, type NodeContext } from '../kernel';
import { computePaddingHeightWidth } from './padding';

export interface ConvGeometry {
  batches: number;
  inputHeight: number;
  inputWidth: number;
  inputDepth: number;
  filterHeight: number;
  filterWidth: number;
  outputHeight: number;
  outputWidth: number;
  outputDepth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padHeight: number;
  padWidth: number;
}

export function convGeometry(node: NodeContext): ConvGeometry {
  const x = input(node, 0);
  const w = input(node, 1);
  const y = output(node, 0);
  expectRank(node, x, 4);
  expectRank(node, w, 4);
  expectRank(node, y, 4);
  const strideHeight = numberOption(node, 'strideH', 1);
  const strideWidth = numberOption(node, 'strideW', 1);
  const dilationHeight = numberOption(node, 'dilationHFactor', 1);
  const dilationWidth = numberOption(node, 'dilationWFactor', 1);
  if (strideHeight < 1 || strideWidth < 1 || dilationHeight < 1 || dilationWidth < 1) {
    throw new KernelError(
      node,
      `strides (${strideHeight}, ${strideWidth}) and dilations (${dilationHeight}, ${dilationWidth}) must be positive`,
    );
  }
  const padding = (node.options?.padding as PaddingName | undefined) ?? 'SAME';
  const [batches, inputHeight, inputWidth, inputDepth] = x.shape;
  const filterHeight = w.shape[1];
  const filterWidth = w.shape[2];
  const pad = computePaddingHeightWidth(
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    inputHeight,
    inputWidth,
    filterHeight,
    filterWidth,
    padding,
  );
  const [outBatches, outputHeight, outputWidth, outputDepth] = y.shape;
  if (outBatches !== batches || outputHeight !== pad.outHeight || outputWidth !== pad.outWidth) {
    throw new KernelError(
      node,
      `output [${y.shape}] does not match input [${x.shape}] with a ${filterHeight}x${filterWidth} filter, ${padding} padding and strides ${strideHeight}x${strideWidth}: expected [${batches},${pad.outHeight},${pad.outWidth},${outputDepth}]`,
    );
  }
  return {
    batches,
    inputHeight,
    inputWidth,
    inputDepth,
    filterHeight,
    filterWidth,
    outputHeight,
    outputWidth,
    outputDepth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padHeight: pad.height,
    padWidth: pad.width,
  };
}
