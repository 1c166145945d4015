/**
 * What CONV_2D and DEPTHWISE_CONV_2D share in prepare(): options, the NHWC
 * geometry, the implicit padding (padding.ts) and a check that the model's
 * output shape is the one the options imply; the groups of a CONV_2D and the
 * depth multiplier of a DEPTHWISE_CONV_2D, which every data type's kernel reads.
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

/** CONV_2D: an [outDepth, fh, fw, inDepth / groups] filter. */
export interface ConvParams extends ConvGeometry {
  filterInputDepth: number;
  filtersPerGroup: number;
}

/** DEPTHWISE_CONV_2D: a [1, fh, fw, inDepth * depthMultiplier] filter. */
export interface DepthwiseParams extends ConvGeometry {
  depthMultiplier: number;
}

/** A 1x1 stride-1 convolution: the input's pixels are the gemm rows as they lie. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1;
}

export function groupedParams(node: NodeContext, g: ConvGeometry): ConvParams {
  const w = input(node, 1);
  const filterInputDepth = w.shape[3];
  if (w.shape[0] !== g.outputDepth) {
    throw new KernelError(
      node,
      `filter [${w.shape}] has ${w.shape[0]} outputs; the output has ${g.outputDepth} channels`,
    );
  }
  if (filterInputDepth <= 0 || g.inputDepth % filterInputDepth !== 0) {
    throw new KernelError(
      node,
      `input depth ${g.inputDepth} is not a multiple of the filter depth ${filterInputDepth}`,
    );
  }
  const groups = g.inputDepth / filterInputDepth;
  if (g.outputDepth % groups !== 0) {
    throw new KernelError(
      node,
      `output depth ${g.outputDepth} is not a multiple of the ${groups} groups`,
    );
  }
  return { ...g, filterInputDepth, filtersPerGroup: g.outputDepth / groups };
}

export function depthwiseParams(node: NodeContext, g: ConvGeometry): DepthwiseParams {
  const w = input(node, 1);
  if (w.shape[0] !== 1 || w.shape[3] !== g.outputDepth) {
    throw new KernelError(
      node,
      `filter [${w.shape}] must be [1, h, w, ${g.outputDepth}] for ${g.outputDepth} output channels`,
    );
  }
  // Old converters leave depth_multiplier 0; the shapes determine it.
  let depthMultiplier = numberOption(node, 'depthMultiplier', 0);
  if (g.inputDepth > 0 && depthMultiplier * g.inputDepth !== g.outputDepth) {
    depthMultiplier = g.outputDepth / g.inputDepth;
  }
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1) {
    throw new KernelError(
      node,
      `output depth ${g.outputDepth} is not a multiple of the input depth ${g.inputDepth}`,
    );
  }
  return { ...g, depthMultiplier };
}
