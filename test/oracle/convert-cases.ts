/**
 * The converter's test models: one or more per layer kind and a few mixed
 * networks, each with the TFLite op list TensorFlow's converter would write
 * for it. Weights are seeded, so every run converts the same models.
 */
import * as tf from '@tensorflow/tfjs';
import { seededInput, seedWeights } from '../helpers/models';
import { mulberry32 } from '../../src/model/random';

export interface ConvertCase {
  name: string;
  build: () => tf.LayersModel;
  /** The expected operators, in order. */
  ops: string[];
}

const L = tf.layers;

function seq(inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  let x: tf.SymbolicTensor = input;
  for (const layer of layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

/**
 * Seeds every weight in [-scale, scale], then gives batch norms plausible
 * statistics (variance in [0.25, 1.25], gamma around 1) so their outputs stay
 * in range.
 */
export function seedModel(model: tf.LayersModel, seed: number, scale = 0.5): void {
  seedWeights(model, seed, scale);
  const rand = mulberry32(seed ^ 0x9e3779b9);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(
      layer.weights.map((w) => {
        const shape = w.shape as number[];
        const n = shape.reduce((a, b) => a * b, 1);
        const v = new Float32Array(n);
        const short = w.originalName.split('/').pop();
        for (let i = 0; i < n; i++) {
          const r = rand();
          v[i] =
            short === 'moving_variance'
              ? 0.25 + r
              : short === 'gamma'
                ? 0.5 + r
                : (r * 2 - 1) * 0.5;
        }
        return tf.tensor(v, shape);
      }),
    );
  }
}

export const CASES: ConvertCase[] = [
  {
    name: 'Conv2D same, relu',
    build: () =>
      seq(
        [8, 8, 3],
        [L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })],
      ),
    ops: ['CONV_2D'],
  },
  {
    name: 'Conv2D valid, strides 2, no bias, tanh',
    build: () =>
      seq(
        [9, 7, 2],
        [L.conv2d({ filters: 3, kernelSize: 3, strides: 2, useBias: false, activation: 'tanh' })],
      ),
    ops: ['CONV_2D', 'TANH'],
  },
  {
    name: 'Conv2D 3x2 kernel, strides [2, 1], same, sigmoid',
    build: () =>
      seq(
        [7, 6, 2],
        [
          L.conv2d({
            filters: 5,
            kernelSize: [3, 2],
            strides: [2, 1],
            padding: 'same',
            activation: 'sigmoid',
          }),
        ],
      ),
    ops: ['CONV_2D', 'LOGISTIC'],
  },
  {
    name: 'Conv2D dilation 2, relu6',
    build: () =>
      seq(
        [10, 10, 2],
        [L.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, activation: 'relu6' })],
      ),
    ops: ['CONV_2D'],
  },
  {
    name: 'DepthwiseConv2D multiplier 1, same, relu6',
    build: () =>
      seq([8, 8, 4], [L.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6' })]),
    ops: ['DEPTHWISE_CONV_2D'],
  },
  {
    name: 'DepthwiseConv2D multiplier 3, strides 2, valid, no bias',
    build: () =>
      seq(
        [9, 9, 2],
        [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 3, strides: 2, useBias: false })],
      ),
    ops: ['DEPTHWISE_CONV_2D'],
  },
  {
    name: 'SeparableConv2D multiplier 2, same, relu',
    build: () =>
      seq(
        [8, 8, 3],
        [
          L.separableConv2d({
            filters: 5,
            kernelSize: 3,
            depthMultiplier: 2,
            padding: 'same',
            activation: 'relu',
          }),
        ],
      ),
    ops: ['DEPTHWISE_CONV_2D', 'CONV_2D'],
  },
  {
    name: 'SeparableConv2D strides 2, valid, softmax',
    build: () =>
      seq(
        [9, 9, 2],
        [L.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'softmax' })],
      ),
    ops: ['DEPTHWISE_CONV_2D', 'CONV_2D', 'SOFTMAX'],
  },
  {
    name: 'Conv1D valid, strides 2, relu',
    build: () =>
      seq([20, 3], [L.conv1d({ filters: 4, kernelSize: 5, strides: 2, activation: 'relu' })]),
    ops: ['RESHAPE', 'CONV_2D', 'RESHAPE'],
  },
  {
    name: 'Conv1D same, tanh',
    build: () =>
      seq([15, 2], [L.conv1d({ filters: 3, kernelSize: 4, padding: 'same', activation: 'tanh' })]),
    ops: ['RESHAPE', 'CONV_2D', 'RESHAPE', 'TANH'],
  },
  {
    name: 'MaxPooling2D 2x2 and 3x3 same strides 2',
    build: () =>
      seq(
        [9, 9, 3],
        [
          L.maxPooling2d({ poolSize: 2 }),
          L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        ],
      ),
    ops: ['MAX_POOL_2D', 'MAX_POOL_2D'],
  },
  {
    name: 'AveragePooling2D same (edges average fewer values) and valid',
    build: () =>
      seq(
        [9, 8, 2],
        [
          L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          L.averagePooling2d({ poolSize: [2, 1] }),
        ],
      ),
    ops: ['AVERAGE_POOL_2D', 'AVERAGE_POOL_2D'],
  },
  {
    name: 'MaxPooling1D and AveragePooling1D',
    build: () =>
      seq(
        [17, 3],
        [
          L.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
          L.averagePooling1d({ poolSize: 2 }),
        ],
      ),
    ops: ['RESHAPE', 'MAX_POOL_2D', 'RESHAPE', 'AVERAGE_POOL_2D', 'RESHAPE'],
  },
  {
    name: 'GlobalAveragePooling2D',
    build: () => seq([6, 5, 4], [L.globalAveragePooling2d({})]),
    ops: ['AVERAGE_POOL_2D', 'RESHAPE'],
  },
  {
    name: 'GlobalMaxPooling2D and GlobalAveragePooling1D',
    build: () => {
      const a = tf.input({ shape: [5, 5, 3] });
      const b = tf.input({ shape: [7, 3] });
      const x = L.globalMaxPooling2d({}).apply(a) as tf.SymbolicTensor;
      const y = L.globalAveragePooling1d({}).apply(b) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: L.add().apply([x, y]) as tf.SymbolicTensor });
    },
    ops: ['MAX_POOL_2D', 'RESHAPE', 'RESHAPE', 'AVERAGE_POOL_2D', 'RESHAPE', 'ADD'],
  },
  {
    name: 'Flatten, Reshape, Dropout removed',
    build: () =>
      seq(
        [4, 3, 2],
        [
          L.flatten(),
          L.dropout({ rate: 0.5 }),
          L.reshape({ targetShape: [6, 4] }),
          L.flatten(),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      ),
    ops: ['RESHAPE', 'FULLY_CONNECTED', 'SOFTMAX'],
  },
  {
    name: 'Reshape with -1, then Dense',
    build: () => seq([4, 3, 2], [L.reshape({ targetShape: [-1, 4] }), L.dense({ units: 2 })]),
    ops: ['RESHAPE', 'FULLY_CONNECTED', 'RESHAPE'],
  },
  {
    name: 'Dense on a rank-3 input',
    build: () =>
      seq(
        [5, 4],
        [L.dense({ units: 3, activation: 'relu' }), L.dense({ units: 2, useBias: false })],
      ),
    ops: ['FULLY_CONNECTED', 'RESHAPE', 'FULLY_CONNECTED', 'RESHAPE'],
  },
  {
    name: 'BatchNormalization folded into Conv2D, then ReLU fused',
    build: () =>
      seq(
        [8, 8, 3],
        [
          L.conv2d({ filters: 4, kernelSize: 3, useBias: false }),
          L.batchNormalization({}),
          L.activation({ activation: 'relu' }),
        ],
      ),
    ops: ['CONV_2D'],
  },
  {
    name: 'BatchNormalization folded into DepthwiseConv2D and Dense',
    build: () =>
      seq(
        [6, 6, 3],
        [
          L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
          L.batchNormalization({}),
          L.reLU({ maxValue: 6 }),
          L.flatten(),
          L.dense({ units: 4, useBias: false }),
          L.batchNormalization({ center: false }),
        ],
      ),
    ops: ['DEPTHWISE_CONV_2D', 'RESHAPE', 'FULLY_CONNECTED'],
  },
  {
    name: 'BatchNormalization that cannot be folded: MUL + ADD',
    build: () =>
      seq(
        [6, 6, 3],
        [
          L.batchNormalization({}),
          L.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }),
          L.batchNormalization({ scale: false }),
        ],
      ),
    ops: ['MUL', 'ADD', 'CONV_2D', 'MUL', 'ADD'],
  },
  {
    name: 'Rescaling per feature (tinyml train normalize): MUL + ADD ahead of Dense',
    build: () =>
      seq(
        [5],
        [
          // tfjs types a scale as a number; its mul broadcasts a per-feature list.
          L.rescaling({
            scale: [0.5, 2, 0.001, 1, 4] as unknown as number,
            offset: [-1, 0.25, -0.7, 0, 3] as unknown as number,
          }),
          L.dense({ units: 3, activation: 'relu' }),
        ],
      ),
    ops: ['MUL', 'ADD', 'FULLY_CONNECTED'],
  },
  {
    name: 'Rescaling by scalars (image 0..255 to -1..1) ahead of Conv2D',
    build: () =>
      seq(
        [6, 6, 2],
        [L.rescaling({ scale: 1 / 127.5, offset: -1 }), L.conv2d({ filters: 2, kernelSize: 3 })],
      ),
    ops: ['MUL', 'ADD', 'CONV_2D'],
  },
  {
    name: 'Activation layers: relu6, tanh, sigmoid, softmax, linear, ReLU, LeakyReLU, Softmax',
    build: () =>
      seq(
        [6],
        [
          L.activation({ activation: 'relu6' }),
          L.activation({ activation: 'tanh' }),
          L.dense({ units: 5 }),
          L.activation({ activation: 'sigmoid' }),
          L.activation({ activation: 'linear' }),
          L.leakyReLU({ alpha: 0.2 }),
          L.dense({ units: 4 }),
          L.reLU(),
          L.activation({ activation: 'softmax' }),
          L.softmax(),
        ],
      ),
    ops: [
      'RELU6',
      'TANH',
      'FULLY_CONNECTED',
      'LOGISTIC',
      'LEAKY_RELU',
      'FULLY_CONNECTED',
      'SOFTMAX',
      'SOFTMAX',
    ],
  },
  {
    name: 'Add of three (residual) with ReLU fused, Concatenate on channels',
    build: () => {
      const input = tf.input({ shape: [6, 6, 2] });
      const a = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(
        input,
      ) as tf.SymbolicTensor;
      const b = L.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
      const sum = L.add().apply([input, a, b]) as tf.SymbolicTensor;
      const r = L.activation({ activation: 'relu' }).apply(sum) as tf.SymbolicTensor;
      const out = L.concatenate({ axis: -1 }).apply([r, a]) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: out });
    },
    ops: ['CONV_2D', 'CONV_2D', 'ADD', 'ADD', 'CONCATENATION'],
  },
  {
    name: 'Multiply, Average, Maximum, Minimum, Concatenate on axis 1',
    build: () => {
      const a = tf.input({ shape: [3, 4] });
      const b = tf.input({ shape: [3, 4] });
      const s = L.dense({ units: 4 }).apply(a) as tf.SymbolicTensor;
      const m = L.multiply().apply([a, b, s]) as tf.SymbolicTensor;
      const v = L.average().apply([m, s]) as tf.SymbolicTensor;
      const hi = L.maximum().apply([v, a]) as tf.SymbolicTensor;
      const lo = L.minimum().apply([hi, b]) as tf.SymbolicTensor;
      const out = L.concatenate({ axis: 1 }).apply([lo, a]) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: out });
    },
    ops: [
      'FULLY_CONNECTED',
      'RESHAPE',
      'MUL',
      'MUL',
      'ADD',
      'MUL',
      'MAXIMUM',
      'MINIMUM',
      'CONCATENATION',
    ],
  },
  {
    name: 'ZeroPadding2D asymmetric, then Conv2D valid',
    build: () =>
      seq(
        [5, 6, 2],
        [
          L.zeroPadding2d({
            padding: [
              [1, 2],
              [0, 3],
            ],
          }),
          L.conv2d({ filters: 2, kernelSize: 3 }),
        ],
      ),
    ops: ['PAD', 'CONV_2D'],
  },
  {
    name: 'Nested Sequential model inside a functional one, and a Dense shared by two calls',
    build: () => {
      const features = tf.sequential({
        layers: [
          L.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu' }),
          L.flatten(),
        ],
      });
      const a = tf.input({ shape: [6, 6, 2] });
      const b = tf.input({ shape: [6, 6, 2] });
      const shared = L.dense({ units: 4 });
      const fa = shared.apply(features.apply(a)) as tf.SymbolicTensor;
      const fb = shared.apply(
        L.flatten().apply(L.conv2d({ filters: 3, kernelSize: 3 }).apply(b)),
      ) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: L.add().apply([fa, fb]) as tf.SymbolicTensor });
    },
    // tfjs orders layers by depth: both convolutions come first.
    ops: ['CONV_2D', 'CONV_2D', 'RESHAPE', 'RESHAPE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'ADD'],
  },
  {
    name: 'MobileNet-style block: conv s2 + BN + ReLU6, depthwise + BN + ReLU6, 1x1, GAP, Dense softmax',
    build: () =>
      seq(
        [16, 16, 1],
        [
          L.zeroPadding2d({ padding: 1 }),
          L.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false }),
          L.batchNormalization({}),
          L.reLU({ maxValue: 6 }),
          L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }),
          L.batchNormalization({}),
          L.reLU({ maxValue: 6 }),
          L.conv2d({ filters: 16, kernelSize: 1, useBias: false }),
          L.batchNormalization({}),
          L.activation({ activation: 'relu' }),
          L.globalAveragePooling2d({}),
          L.dropout({ rate: 0.2 }),
          L.dense({ units: 3, activation: 'softmax' }),
        ],
      ),
    ops: [
      'PAD',
      'CONV_2D',
      'DEPTHWISE_CONV_2D',
      'CONV_2D',
      'AVERAGE_POOL_2D',
      'RESHAPE',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ],
  },
  {
    name: 'Keyword-spotting style Conv1D network with pooling and BN',
    build: () =>
      seq(
        [32, 4],
        [
          L.conv1d({ filters: 8, kernelSize: 3, padding: 'same' }),
          L.batchNormalization({}),
          L.activation({ activation: 'relu' }),
          L.maxPooling1d({ poolSize: 2 }),
          L.conv1d({ filters: 8, kernelSize: 3, activation: 'relu' }),
          L.globalAveragePooling1d({}),
          L.dense({ units: 4, activation: 'softmax' }),
        ],
      ),
    ops: [
      'RESHAPE',
      'CONV_2D',
      'RESHAPE',
      'MAX_POOL_2D',
      'RESHAPE',
      'CONV_2D',
      'RESHAPE',
      'AVERAGE_POOL_2D',
      'RESHAPE',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ],
  },
];

/** Seeded inputs for every model input, and tfjs' outputs on them (batch 1). */
export function reference(model: tf.LayersModel, seed: number) {
  const inputs = model.inputs.map((sym, i) =>
    seededInput(sym.shape.slice(1) as number[], seed + i, 2),
  );
  const outputs = tf.tidy(() => {
    const xs = inputs.map((x, i) =>
      tf.tensor(x, [1, ...(model.inputs[i].shape.slice(1) as number[])]),
    );
    const ys = model.predict(xs.length === 1 ? xs[0] : xs);
    return (Array.isArray(ys) ? ys : [ys]).map((y) => ({
      shape: y.shape,
      data: y.dataSync() as Float32Array,
    }));
  });
  return { inputs, outputs };
}
