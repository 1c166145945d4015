/**
 * What the converter refuses, and how: one UnsupportedError naming the layer,
 * its class and what would be accepted.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel, supportedLayers } from '../../src/tflite/convert';
import { UnsupportedError } from '../../src/errors';

const L = tf.layers;

function refuses(model: tf.LayersModel, pattern: RegExp): void {
  assert.throws(
    () => convertLayersModel(model),
    (err: Error) => {
      assert.ok(err instanceof UnsupportedError, `${err.name}: ${err.message}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('converter: refusals name the layer, its class and the alternatives', () => {
  it('lists every supported layer kind of the issue', () => {
    const list = supportedLayers();
    for (const name of [
      'Dense',
      'Conv2D',
      'DepthwiseConv2D',
      'SeparableConv2D',
      'Conv1D',
      'MaxPooling1D',
      'AveragePooling1D',
      'MaxPooling2D',
      'AveragePooling2D',
      'GlobalAveragePooling2D',
      'Flatten',
      'Reshape',
      'Dropout',
      'BatchNormalization',
      'Activation',
      'Add',
      'Concatenate',
      'ZeroPadding2D',
    ]) {
      assert.ok(list.includes(name), name);
    }
  });

  it('refuses a recurrent layer with the supported list', () => {
    const model = tf.sequential({
      layers: [L.gru({ inputShape: [4, 2], units: 3, name: 'my_gru' })],
    });
    refuses(model, /layer "my_gru" \(GRU\) is not supported; supported layers: .*Conv2D.*Dense/);
  });

  it('refuses an activation TFLite has no op for, naming the supported ones', () => {
    const model = tf.sequential({
      layers: [
        L.conv2d({
          inputShape: [4, 4, 1],
          filters: 1,
          kernelSize: 2,
          activation: 'elu',
          name: 'c',
        }),
      ],
    });
    refuses(
      model,
      /layer "c" \(Conv2D\): activation "elu" is not supported; supported: linear, relu, relu6, tanh, sigmoid, softmax/,
    );
  });

  it('refuses channels-first layers (TFLite is NHWC)', () => {
    const model = tf.sequential({
      layers: [
        L.maxPooling2d({
          inputShape: [2, 4, 4],
          poolSize: 2,
          dataFormat: 'channelsFirst',
          name: 'p',
        }),
      ],
    });
    refuses(model, /layer "p" \(MaxPooling2D\): data format "channelsFirst" is not supported/);
  });

  it('refuses causal Conv1D, which tfjs itself cannot run', () => {
    const model = tf.sequential({
      layers: [
        L.conv1d({ inputShape: [8, 2], filters: 2, kernelSize: 3, padding: 'causal', name: 'k' }),
      ],
    });
    refuses(
      model,
      /layer "k" \(Conv1D\): padding "causal" is not supported; supported: same, valid/,
    );
  });

  it('refuses a softmax that is not over the last axis and a ReLU cap other than 6', () => {
    refuses(
      tf.sequential({ layers: [L.softmax({ inputShape: [3, 4], axis: 1, name: 's' })] }),
      /layer "s" \(Softmax\): softmax over axis 1 is not supported; TFLite SOFTMAX uses the last axis \(2\)/,
    );
    refuses(
      tf.sequential({ layers: [L.reLU({ inputShape: [3], maxValue: 3, name: 'r' })] }),
      /layer "r" \(ReLU\): maxValue 3 is not supported/,
    );
  });

  it('refuses an input with an unknown dimension other than the batch', () => {
    const input = tf.input({ shape: [null, 3] as unknown as number[] });
    const out = L.dense({ units: 2 }).apply(input) as tf.SymbolicTensor;
    refuses(
      tf.model({ inputs: input, outputs: out }),
      /model input ".*" has an unknown dimension 1/,
    );
  });
});
