/**
 * 2-D convolutions, in TFLite's layouts (schema.fbs, and what TensorFlow's
 * converter writes):
 * - CONV_2D filters [out, kh, kw, in]; Keras keeps [kh, kw, in, out];
 * - DEPTHWISE_CONV_2D filters [1, kh, kw, in * multiplier], output channel
 *   c * multiplier + m, which is Keras' [kh, kw, in, multiplier] read flat;
 * - SeparableConv2D is lowered as TensorFlow lowers tf.nn.separable_conv2d:
 *   DEPTHWISE_CONV_2D (strides, padding) then a 1x1 CONV_2D with the bias.
 * Convolutions always get a bias input (zeros when the layer has none), as
 * TensorFlow's converter gives them, so every runtime finds three inputs.
 */
import { BuiltinOperator } from '../model';
import type { GraphBuilder } from './graph-builder';
import { activationOf, applyActivation, fusedActivation, preActivationName } from './activations';
import {
  expectRank,
  intList,
  layerError,
  padding,
  permute,
  requireChannelsLast,
  weight,
  windowedOutputSize,
  type LayerContext,
  type LayerConverter,
} from './context';

export interface Conv2dParams {
  strides: number[];
  dilation: number[];
  padding: string;
  fused: 'NONE' | 'RELU' | 'RELU6';
}

function outputHW(inShape: number[], kh: number, kw: number, p: Conv2dParams): [number, number] {
  return [
    windowedOutputSize(inShape[1], kh, p.strides[0], p.dilation[0], p.padding),
    windowedOutputSize(inShape[2], kw, p.strides[1], p.dilation[1], p.padding),
  ];
}

/** CONV_2D of an NHWC input with Keras kernel [kh, kw, in, out]. */
export function emitConv2d(
  g: GraphBuilder,
  input: number,
  kernel: { shape: number[]; values: Float32Array },
  bias: Float32Array | undefined,
  p: Conv2dParams,
  name: string,
  outName: string,
): number {
  const inShape = g.tensors[input].shape;
  const [kh, kw, cin, cout] = kernel.shape;
  if (inShape[3] !== cin) {
    throw new Error(`internal: ${name} kernel expects ${cin} channels, input is [${inShape}]`);
  }
  const filter = g.constant(
    `${name}/kernel`,
    [cout, kh, kw, cin],
    permute(kernel.values, kernel.shape, [3, 0, 1, 2]),
  );
  const b = g.constant(`${name}/bias`, [cout], bias ?? new Float32Array(cout));
  const [oh, ow] = outputHW(inShape, kh, kw, p);
  const out = g.addTensor(outName, [inShape[0], oh, ow, cout]);
  g.addOperator(BuiltinOperator.CONV_2D, [input, filter, b], [out], {
    type: 'Conv2DOptions',
    padding: p.padding.toUpperCase(),
    strideH: p.strides[0],
    strideW: p.strides[1],
    dilationHFactor: p.dilation[0],
    dilationWFactor: p.dilation[1],
    fusedActivationFunction: p.fused,
  });
  return out;
}

/** DEPTHWISE_CONV_2D of an NHWC input with Keras kernel [kh, kw, in, multiplier]. */
export function emitDepthwiseConv2d(
  g: GraphBuilder,
  input: number,
  kernel: { shape: number[]; values: Float32Array },
  bias: Float32Array | undefined,
  p: Conv2dParams,
  name: string,
  outName: string,
): number {
  const inShape = g.tensors[input].shape;
  const [kh, kw, cin, multiplier] = kernel.shape;
  if (inShape[3] !== cin) {
    throw new Error(`internal: ${name} kernel expects ${cin} channels, input is [${inShape}]`);
  }
  const cout = cin * multiplier;
  const filter = g.constant(`${name}/depthwise_kernel`, [1, kh, kw, cout], kernel.values);
  const b = g.constant(`${name}/depthwise_bias`, [cout], bias ?? new Float32Array(cout));
  const [oh, ow] = outputHW(inShape, kh, kw, p);
  const out = g.addTensor(outName, [inShape[0], oh, ow, cout]);
  g.addOperator(BuiltinOperator.DEPTHWISE_CONV_2D, [input, filter, b], [out], {
    type: 'DepthwiseConv2DOptions',
    padding: p.padding.toUpperCase(),
    strideH: p.strides[0],
    strideW: p.strides[1],
    depthMultiplier: multiplier,
    dilationHFactor: p.dilation[0],
    dilationWFactor: p.dilation[1],
    fusedActivationFunction: p.fused,
  });
  return out;
}

/** Strides, dilation and padding of a 2-D conv layer, checked. */
export function conv2dParams(ctx: LayerContext, activation: string): Conv2dParams {
  requireChannelsLast(ctx);
  const strides = intList(ctx, 'strides', 2, 1);
  const dilation = intList(ctx, 'dilationRate', 2, 1);
  if (dilation.some((d) => d !== 1) && strides.some((s) => s !== 1)) {
    // Keras refuses this combination too (conv_utils: strides > 1 with dilation > 1).
    throw layerError(ctx, `strides ${strides} with dilation ${dilation} is not supported`);
  }
  return { strides, dilation, padding: padding(ctx), fused: fusedActivation(activation) };
}

function bias(ctx: LayerContext): Float32Array | undefined {
  return ctx.config.useBias === false ? undefined : weight(ctx, 'bias').values;
}

export const conv2d: LayerConverter = (ctx) => {
  expectRank(ctx, 4);
  const activation = activationOf(ctx);
  const p = conv2dParams(ctx, activation);
  const out = emitConv2d(
    ctx.g,
    ctx.inputs[0],
    weight(ctx, 'kernel'),
    bias(ctx),
    p,
    ctx.layer.name,
    preActivationName(ctx, activation, 'Conv2D'),
  );
  return [applyActivation(ctx, activation, out, ctx.layer.name)];
};

export const depthwiseConv2d: LayerConverter = (ctx) => {
  expectRank(ctx, 4);
  const activation = activationOf(ctx);
  const p = conv2dParams(ctx, activation);
  const out = emitDepthwiseConv2d(
    ctx.g,
    ctx.inputs[0],
    weight(ctx, 'depthwise_kernel'),
    bias(ctx),
    p,
    ctx.layer.name,
    preActivationName(ctx, activation, 'depthwise'),
  );
  return [applyActivation(ctx, activation, out, ctx.layer.name)];
};

export const separableConv2d: LayerConverter = (ctx) => {
  expectRank(ctx, 4);
  const activation = activationOf(ctx);
  const p = conv2dParams(ctx, activation);
  const name = ctx.layer.name;
  const depthwise = emitDepthwiseConv2d(
    ctx.g,
    ctx.inputs[0],
    weight(ctx, 'depthwise_kernel'),
    undefined,
    { ...p, fused: 'NONE' },
    name,
    `${name}/separable_conv2d/depthwise`,
  );
  const out = emitConv2d(
    ctx.g,
    depthwise,
    weight(ctx, 'pointwise_kernel'),
    bias(ctx),
    { strides: [1, 1], dilation: [1, 1], padding: 'valid', fused: p.fused },
    `${name}/pointwise`,
    preActivationName(ctx, activation, 'separable_conv2d'),
  );
  return [applyActivation(ctx, activation, out, name)];
};
