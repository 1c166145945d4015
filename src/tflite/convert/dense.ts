/**
 * Dense: FULLY_CONNECTED with weights [units, inputs] (Keras keeps
 * [inputs, units]) and a bias.
 *
 * Two choices differ from TensorFlow's newest converter, for readers that
 * predate it (Arm NN 20.08's TfLite parser refuses both, tested):
 * - a layer without bias gets a zero bias instead of the optional input -1;
 * - on inputs of rank above 2 (Keras applies the kernel to the last axis),
 *   FULLY_CONNECTED keeps keep_num_dims false, so it treats the input as
 *   [product of the other dims, inputs] (TFLite fully_connected.cc) and writes
 *   [rows, units], and a RESHAPE restores [..., units]. keep_num_dims (op
 *   version 5) would do the same in one op.
 */
import { BuiltinOperator, elementCount } from '../model';
import { emitReshape } from './reshape';
import { activationOf, applyActivation, fusedActivation, preActivationName } from './activations';
import { layerError, permute, weight, type LayerConverter } from './context';

export const dense: LayerConverter = (ctx) => {
  const { g, layer } = ctx;
  const input = ctx.inputs[0];
  const inShape = g.tensors[input].shape;
  if (inShape.length < 2) {
    throw layerError(ctx, `expects an input of rank 2 or more, got shape [${inShape}]`);
  }
  const kernel = weight(ctx, 'kernel');
  const [inUnits, units] = kernel.shape;
  if (inShape[inShape.length - 1] !== inUnits) {
    throw layerError(ctx, `kernel expects ${inUnits} input features, input has [${inShape}]`);
  }
  const activation = activationOf(ctx);
  const w = g.constant(
    `${layer.name}/kernel`,
    [units, inUnits],
    permute(kernel.values, [inUnits, units], [1, 0]),
  );
  const bias = g.constant(
    `${layer.name}/bias`,
    [units],
    ctx.config.useBias === false ? new Float32Array(units) : weight(ctx, 'bias').values,
  );
  const rows = elementCount(inShape.slice(0, -1));
  const flat = inShape.length === 2;
  const out = g.addTensor(
    flat ? preActivationName(ctx, activation, 'MatMul') : `${layer.name}/MatMul`,
    [rows, units],
  );
  g.addOperator(BuiltinOperator.FULLY_CONNECTED, [input, w, bias], [out], {
    type: 'FullyConnectedOptions',
    fusedActivationFunction: fusedActivation(activation),
  });
  const shaped = flat
    ? out
    : emitReshape(
        g,
        out,
        [...inShape.slice(0, -1), units],
        preActivationName(ctx, activation, 'Tensordot'),
      );
  return [applyActivation(ctx, activation, shaped, layer.name)];
};
