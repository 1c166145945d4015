/**
 * Conv1D, lowered as tf.nn.conv1d lowers it (and as TensorFlow's converter
 * then writes it): RESHAPE [batch, width, channels] to [batch, 1, width,
 * channels], CONV_2D with a [1, k] kernel, strides [1, s] and dilation [1, d],
 * and RESHAPE back to [batch, width', filters]. Keras' "causal" padding is
 * refused: tfjs neither runs it nor computes its output shape (it gives the
 * VALID length), so a tfjs model using it has no defined meaning to convert.
 */
import { activationOf, applyActivation, fusedActivation } from './activations';
import { emitConv2d } from './conv';
import {
  expectRank,
  intList,
  layerError,
  padding,
  requireChannelsLast,
  weight,
  type LayerConverter,
} from './context';
import { emitReshape } from './reshape';

export const conv1d: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  requireChannelsLast(ctx);
  const [batch, , channels] = expectRank(ctx, 3);
  const activation = activationOf(ctx);
  const [stride] = intList(ctx, 'strides', 1, 1);
  const [dilation] = intList(ctx, 'dilationRate', 1, 1);
  if (stride !== 1 && dilation !== 1) {
    throw layerError(ctx, `strides ${stride} with dilation ${dilation} is not supported`);
  }
  const pad = padding(ctx);
  const kernel = weight(ctx, 'kernel'); // [k, in, out]
  const [k, cin, cout] = kernel.shape;
  if (cin !== channels) {
    throw layerError(ctx, `kernel expects ${cin} channels, input has ${channels}`);
  }

  const x = ctx.inputs[0];
  const width = g.tensors[x].shape[1];
  const expanded = emitReshape(g, x, [batch, 1, width, channels], `${layer.name}/ExpandDims`);
  const conv = emitConv2d(
    g,
    expanded,
    { shape: [1, k, cin, cout], values: kernel.values },
    ctx.config.useBias === false ? undefined : weight(ctx, 'bias').values,
    {
      strides: [1, stride],
      dilation: [1, dilation],
      padding: pad,
      fused: fusedActivation(activation),
    },
    layer.name,
    `${layer.name}/conv1d`,
  );
  const [, , outWidth] = g.tensors[conv].shape;
  const squeezed = emitReshape(
    g,
    conv,
    [batch, outWidth, cout],
    activation === 'linear' || fusedActivation(activation) !== 'NONE'
      ? layer.name
      : `${layer.name}/Squeeze`,
  );
  return [applyActivation(ctx, activation, squeezed, layer.name)];
};
