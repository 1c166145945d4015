/**
 * The registry of layer converters: Keras layer class name → converter. One
 * file per layer family; this file only lists them.
 */
import { activationLayer, leakyReluLayer, reluLayer, softmaxLayer } from './activations';
import type { LayerConverter } from './context';
import { conv2d, depthwiseConv2d, separableConv2d } from './conv';
import { conv1d } from './conv1d';
import { dense } from './dense';
import { lstm } from './lstm';
import { MERGE_CONVERTERS } from './merge';
import { batchNormalization, rescaling } from './normalization';
import { zeroPadding2d } from './padding';
import { POOLING_CONVERTERS } from './pooling';
import { flatten, reshapeLayer } from './reshape';

export type { LayerContext, LayerConverter } from './context';

/** Layers that are the identity at inference time (noise and dropout). */
const identity: LayerConverter = (ctx) => ctx.inputs;

export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Dense: dense,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Conv1D: conv1d,
  LSTM: lstm,
  ...POOLING_CONVERTERS,
  Flatten: flatten,
  Reshape: reshapeLayer,
  BatchNormalization: batchNormalization,
  Rescaling: rescaling,
  ZeroPadding2D: zeroPadding2d,
  ...MERGE_CONVERTERS,
  Activation: activationLayer,
  ReLU: reluLayer,
  LeakyReLU: leakyReluLayer,
  Softmax: softmaxLayer,
  Dropout: identity,
  SpatialDropout1D: identity,
  AlphaDropout: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
};
