/**
 * tfjs LSTM layers converted to UNIDIRECTIONAL_SEQUENCE_LSTM (+ STRIDED_SLICE
 * for the last step when returnSequences is false): the .tflite loads in the
 * real TensorFlow Lite runtime (@tensorflow/tfjs-tflite) and agrees with tfjs
 * predict within 1e-5 of the output's range, our interpreter agrees with
 * both, inspect counts the op's MACs, and what the op cannot express is
 * refused with the layer named.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { inspectModel } from '../../src/tflite/inspect';
import { operatorName } from '../../src/tflite/model';
import { Interpreter } from '../../src/runtime/interpreter';
import { TfliteOracle } from './tflite-runtime';
import { maxRelDiff, predict, seededInput, seedWeights } from '../helpers/models';

const L = tf.layers;
const sigmoid = { recurrentActivation: 'sigmoid' } as const;

interface LstmCase {
  name: string;
  inputShape: [number, number];
  layers: () => tf.layers.Layer[];
  ops: string[];
  /** MACs of each UNIDIRECTIONAL_SEQUENCE_LSTM: steps * units * (4 * (features + units) + 3). */
  lstmMacs: number[];
}

const CASES: LstmCase[] = [
  {
    name: 'last step (returnSequences false)',
    inputShape: [6, 3],
    layers: () => [L.lstm({ units: 8, ...sigmoid })],
    ops: ['UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE'],
    lstmMacs: [6 * 8 * (4 * (3 + 8) + 3)],
  },
  {
    name: 'whole sequence (returnSequences true), no bias',
    inputShape: [5, 4],
    layers: () => [L.lstm({ units: 5, returnSequences: true, useBias: false, ...sigmoid })],
    ops: ['UNIDIRECTIONAL_SEQUENCE_LSTM'],
    lstmMacs: [5 * 5 * (4 * (4 + 5) + 3)],
  },
  {
    name: 'two stacked LSTMs and a softmax classifier',
    inputShape: [10, 2],
    layers: () => [
      L.lstm({ units: 6, returnSequences: true, ...sigmoid }),
      L.lstm({ units: 4, ...sigmoid }),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    ops: [
      'UNIDIRECTIONAL_SEQUENCE_LSTM',
      'UNIDIRECTIONAL_SEQUENCE_LSTM',
      'STRIDED_SLICE',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ],
    lstmMacs: [10 * 6 * (4 * (2 + 6) + 3), 10 * 4 * (4 * (6 + 4) + 3)],
  },
];

function build(c: LstmCase): tf.LayersModel {
  const [first, ...rest] = c.layers();
  const input = tf.input({ shape: c.inputShape });
  let x = first.apply(input) as tf.SymbolicTensor;
  for (const layer of rest) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

describe('converter: LSTM layers in the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: TFLite runtime, our interpreter and tfjs agree; ops ${c.ops.join(' ')}`, async () => {
      const model = build(c);
      seedWeights(model, 300 + i, 0.8);
      const x = seededInput(c.inputShape, 400 + i, 2);
      const expected = predict(model, x, c.inputShape);
      const tfl = convertLayersModel(model);
      const sg = tfl.subgraphs[0];
      assert.deepEqual(
        sg.operators.map((op) => operatorName(tfl, op)),
        c.ops,
      );
      const bytes = writeModel(tfl);
      assert.deepEqual(readModel(bytes), tfl);

      const real = await oracle.run(bytes, [x]);
      const realDiff = maxRelDiff(real.outputs[0].data, expected);
      assert.ok(realDiff <= 1e-5, `TFLite vs tfjs: max diff ${realDiff} relative to range`);

      const interp = new Interpreter(bytes);
      interp.setInput(0, x);
      interp.invoke();
      const ours = interp.outputs[0].data as Float32Array;
      assert.deepEqual(interp.outputs[0].shape, real.outputs[0].shape);
      assert.ok(maxRelDiff(ours, expected) <= 1e-5, `ours vs tfjs: ${ours} vs ${expected}`);
      assert.ok(maxRelDiff(ours, real.outputs[0].data) <= 1e-5, 'ours vs TFLite');

      const report = inspectModel(tfl, bytes.length);
      assert.deepEqual(
        report.ops.filter((o) => o.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM').map((o) => o.macs),
        c.lstmMacs,
      );
      model.dispose();
    });
  }

  const refusals: [string, () => tf.layers.Layer, RegExp][] = [
    [
      "tfjs' default recurrentActivation (hardSigmoid)",
      () => L.lstm({ units: 3, name: 'hs' }),
      /layer "hs" \(LSTM\): recurrentActivation "hardSigmoid" is not supported; TFLite's LSTM gates use sigmoid/,
    ],
    [
      'activation relu',
      () => L.lstm({ units: 3, activation: 'relu', name: 'r', ...sigmoid }),
      /layer "r" \(LSTM\): activation "relu" is not supported; only tanh/,
    ],
    [
      'goBackwards',
      () => L.lstm({ units: 3, goBackwards: true, name: 'back', ...sigmoid }),
      /layer "back" \(LSTM\): goBackwards is not supported/,
    ],
  ];
  for (const [what, layer, message] of refusals) {
    it(`refuses ${what}, naming the layer`, () => {
      const input = tf.input({ shape: [4, 2] });
      const model = tf.model({ inputs: input, outputs: layer().apply(input) as tf.SymbolicTensor });
      assert.throws(() => convertLayersModel(model), message);
      model.dispose();
    });
  }
});
