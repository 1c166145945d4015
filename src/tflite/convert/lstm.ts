/**
 * LSTM: one UNIDIRECTIONAL_SEQUENCE_LSTM in the layout TensorFlow's converter
 * writes for a Keras LSTM (mnist_lstm's trained_lstm.tflite in tflite-micro
 * has it): batch-major input [batch, steps, features], 24 inputs — for each
 * gate an input weight [units, features] and a recurrent weight
 * [units, units] (the Keras kernel [features, 4 * units] and recurrent
 * kernel [units, 4 * units] split in Keras' gate order i, f, c, o and
 * transposed), a bias [units], the hidden and cell state as zero variable
 * tensors [batch, units], and the peephole, projection and layer-norm slots
 * empty. With returnSequences false the layer's output is the last step,
 * taken as TensorFlow's converter takes it: STRIDED_SLICE [0, steps - 1, 0]
 * to [batch, steps, units] with the time axis shrunk.
 *
 * TFLite's op computes the gates with sigmoid and the cell input and output
 * with its fused activation, so only activation "tanh" with
 * recurrentActivation "sigmoid" (tfjs' default is hardSigmoid) converts.
 * cell_clip is 0 (no clipping), which is what Keras computes; TensorFlow's
 * converter writes 10, which differs from Keras once |c| passes 10.
 * Stateful, reversed (goBackwards) and returnState layers are refused: the op
 * has none of them.
 */
import { BuiltinOperator } from '../model';
import { expectRank, layerError, weight, type LayerConverter } from './context';

/** Keras' gate order in the kernel's columns, and the TFLite input slot of each gate. */
const GATES = [
  { name: 'input', inputSlot: 1, recurrentSlot: 5, biasSlot: 12 },
  { name: 'forget', inputSlot: 2, recurrentSlot: 6, biasSlot: 13 },
  { name: 'cell', inputSlot: 3, recurrentSlot: 7, biasSlot: 14 },
  { name: 'output', inputSlot: 4, recurrentSlot: 8, biasSlot: 15 },
] as const;

/** Columns [gate * units, (gate + 1) * units) of a [rows, 4 * units] matrix, transposed to [units, rows]. */
function gateRows(values: Float32Array, rows: number, units: number, gate: number): Float32Array {
  const out = new Float32Array(units * rows);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) out[u * rows + r] = values[r * 4 * units + gate * units + u];
  }
  return out;
}

export const lstm: LayerConverter = (ctx) => {
  const { g, layer, config } = ctx;
  const [batch, steps, features] = expectRank(ctx, 3);
  for (const [key, what] of [
    ['stateful', 'stateful layers'],
    ['goBackwards', 'goBackwards'],
    ['returnState', 'returnState'],
  ] as const) {
    if (config[key] === true) throw layerError(ctx, `${what} is not supported`);
  }
  if ((config.activation ?? 'tanh') !== 'tanh') {
    throw layerError(ctx, `activation "${String(config.activation)}" is not supported; only tanh`);
  }
  if (config.recurrentActivation !== 'sigmoid') {
    throw layerError(
      ctx,
      `recurrentActivation "${String(config.recurrentActivation)}" is not supported; TFLite's LSTM gates use sigmoid (set recurrentActivation: 'sigmoid')`,
    );
  }
  const units = Number(config.units);
  const kernel = weight(ctx, 'kernel');
  const recurrent = weight(ctx, 'recurrent_kernel');
  if (kernel.shape[0] !== features || kernel.shape[1] !== 4 * units) {
    throw layerError(
      ctx,
      `kernel [${kernel.shape}] does not fit ${features} features and ${units} units`,
    );
  }
  const bias = config.useBias === false ? new Float32Array(4 * units) : weight(ctx, 'bias').values;
  const inputs = new Array<number>(24).fill(-1);
  inputs[0] = ctx.inputs[0];
  GATES.forEach((gate, k) => {
    const prefix = `${layer.name}/${gate.name}`;
    inputs[gate.inputSlot] = g.constant(
      `${prefix}/kernel`,
      [units, features],
      gateRows(kernel.values, features, units, k),
    );
    inputs[gate.recurrentSlot] = g.constant(
      `${prefix}/recurrent_kernel`,
      [units, units],
      gateRows(recurrent.values, units, units, k),
    );
    inputs[gate.biasSlot] = g.constant(
      `${prefix}/bias`,
      [units],
      bias.slice(k * units, (k + 1) * units),
    );
  });
  inputs[18] = g.variable(`${layer.name}/hidden_state`, [batch, units]);
  inputs[19] = g.variable(`${layer.name}/cell_state`, [batch, units]);
  const sequences = config.returnSequences === true;
  const out = g.addTensor(sequences ? layer.name : `${layer.name}/sequence`, [batch, steps, units]);
  g.addOperator(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, inputs, [out], {
    type: 'UnidirectionalSequenceLSTMOptions',
    fusedActivationFunction: 'TANH',
    cellClip: 0,
    projClip: 0,
    timeMajor: false,
  });
  if (sequences) return [out];
  const last = g.addTensor(layer.name, [batch, units]);
  g.addOperator(
    BuiltinOperator.STRIDED_SLICE,
    [
      out,
      g.int32(`${layer.name}/begin`, [0, steps - 1, 0]),
      g.int32(`${layer.name}/end`, [batch, steps, units]),
      g.int32(`${layer.name}/strides`, [1, 1, 1]),
    ],
    [last],
    { type: 'StridedSliceOptions', shrinkAxisMask: 2 },
  );
  return [last];
};
