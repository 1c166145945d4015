/**
 * The converter's output checked against the real TensorFlow Lite runtime
 * (@tensorflow/tfjs-tflite: TFLite C++ compiled to WASM): every model must load
 * there and agree with tfjs predict within 1e-5 of the output's range; our
 * interpreter must agree too.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { Interpreter } from '../../src/runtime/interpreter';
import { TfliteOracle } from './tflite-runtime';
import { maxRelDiff, predict, seededInput, seedWeights } from '../helpers/models';

const ACTIVATIONS = ['relu', 'relu6', 'tanh', 'sigmoid', 'softmax', 'linear'] as const;

describe('converter: Dense models in the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const [i, activation] of ACTIVATIONS.entries()) {
    it(`dense ${activation}: TFLite runtime and our interpreter agree with tfjs`, async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [5], units: 8, activation }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: 4, activation, useBias: i % 2 === 0 }),
        ],
      });
      seedWeights(model, 100 + i, 1);
      const x = seededInput([5], 200 + i, 2);
      const expected = predict(model, x, [5]);
      const bytes = writeModel(convertLayersModel(model));

      const real = await oracle.run(bytes, [x]);
      assert.deepEqual(real.outputs[0].shape, [1, 4]);
      assert.ok(
        maxRelDiff(real.outputs[0].data, expected) <= 1e-5,
        `TFLite: ${real.outputs[0].data} vs ${expected}`,
      );

      const interp = new Interpreter(bytes);
      interp.setInput(0, x);
      interp.invoke();
      assert.ok(maxRelDiff(interp.outputs[0].data as Float32Array, expected) <= 1e-5);
    });
  }

  it('functional model with an Activation layer loads and agrees', async () => {
    const input = tf.input({ shape: [3] });
    const h = tf.layers.dense({ units: 6 }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.activation({ activation: 'relu6' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'tanh' }).apply(a) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    seedWeights(model, 9, 2);
    const x = seededInput([3], 10, 3);
    const bytes = writeModel(convertLayersModel(model));
    const real = await oracle.run(bytes, [x]);
    assert.ok(maxRelDiff(real.outputs[0].data, predict(model, x, [3])) <= 1e-5);
  });

  it('round-trips converted models: read(write(m)) equals m', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax' })],
    });
    seedWeights(model, 3);
    const m = convertLayersModel(model, {
      metadata: { name: 'rt', version: '7', labels: ['a', 'b', 'c'] },
    });
    assert.deepEqual(readModel(writeModel(m)), m);
  });

  it('refuses an unsupported layer with its name, class and the supported list', () => {
    const model = tf.sequential({
      layers: [tf.layers.gru({ inputShape: [4, 2], units: 3, name: 'my_gru' })],
    });
    assert.throws(
      () => convertLayersModel(model),
      /layer "my_gru" \(GRU\) is not supported; supported layers: .*Dense/,
    );
  });
});
