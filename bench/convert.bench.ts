/**
 * Convert and inspect time per model size. References measured in the same
 * run: tfjs model.predict of one input (what converting competes with: the
 * user's model already runs in tfjs) and reading the file back (the least
 * inspect can cost). Times are medians of repeated runs.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { table, type Benchmark } from './index';
import { tf } from '../src/model/tf';
import { convertLayersModel } from '../src/tflite/convert';
import { writeModel } from '../src/tflite/writer';
import { readModel } from '../src/tflite/reader';
import { inspectModel } from '../src/tflite/inspect';
import { mulberry32 } from '../src/model/random';

interface Size {
  name: string;
  build: (t: typeof tfTypes) => tfTypes.LayersModel;
}

const SIZES: Size[] = [
  {
    name: 'small (hello world MLP)',
    build: (t) =>
      t.sequential({
        layers: [
          t.layers.dense({ inputShape: [1], units: 16, activation: 'relu' }),
          t.layers.dense({ units: 16, activation: 'relu' }),
          t.layers.dense({ units: 1 }),
        ],
      }),
  },
  {
    name: 'medium (KWS-style CNN, 49x40)',
    build: (t) =>
      t.sequential({
        layers: [
          t.layers.conv2d({
            inputShape: [49, 40, 1],
            filters: 32,
            kernelSize: [10, 4],
            strides: 2,
            padding: 'same',
            useBias: false,
          }),
          t.layers.batchNormalization({}),
          t.layers.reLU(),
          t.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
          t.layers.reLU({ maxValue: 6 }),
          t.layers.conv2d({ filters: 64, kernelSize: 1, activation: 'relu' }),
          t.layers.maxPooling2d({ poolSize: 2 }),
          t.layers.flatten(),
          t.layers.dense({ units: 64, activation: 'relu' }),
          t.layers.dense({ units: 12, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'large (MobileNet-style, 96x96)',
    build: (t) => {
      const layers: tfTypes.layers.Layer[] = [
        t.layers.conv2d({
          inputShape: [96, 96, 3],
          filters: 32,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
        }),
      ];
      for (const [out, stride] of [
        [64, 1],
        [128, 2],
        [128, 1],
        [256, 2],
        [256, 1],
        [512, 2],
        [512, 1],
      ]) {
        layers.push(t.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same' }));
        layers.push(t.layers.batchNormalization({}));
        layers.push(t.layers.reLU({ maxValue: 6 }));
        layers.push(t.layers.conv2d({ filters: out, kernelSize: 1, useBias: false }));
        layers.push(t.layers.batchNormalization({}));
        layers.push(t.layers.reLU({ maxValue: 6 }));
      }
      layers.push(t.layers.globalAveragePooling2d({}));
      layers.push(t.layers.dense({ units: 1000, activation: 'softmax' }));
      return t.sequential({ layers });
    },
  },
];

function seed(model: tfTypes.LayersModel, t: typeof tfTypes, s: number): void {
  const rand = mulberry32(s);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w) => {
        const v = new Float32Array(w.size);
        for (let i = 0; i < v.length; i++) v[i] = 0.25 + rand() * 0.5;
        return t.tensor(v, w.shape);
      }),
    );
  }
}

/** Median milliseconds of `fn` over enough runs to take about 0.3 s (at least 3). */
function time(fn: () => void): number {
  const samples: number[] = [];
  const start = Date.now();
  while (samples.length < 3 || (Date.now() - start < 300 && samples.length < 200)) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function ms(x: number): string {
  return x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0);
}

export const benchmark: Benchmark = {
  name: 'convert',
  description:
    'convert (tfjs → TfliteModel), write, read and inspect per model size; references: tfjs predict of one input and reading the file',
  async run(log) {
    const t = tf(() => undefined);
    const rows: (string | number)[][] = [];
    for (const [i, size] of SIZES.entries()) {
      const model = size.build(t);
      seed(model, t, 100 + i);
      const inputShape = [1, ...(model.inputs[0].shape.slice(1) as number[])];
      const x = t.randomUniform(inputShape, 0, 1, 'float32', 7);
      const predict = time(() => t.tidy(() => (model.predict(x) as tfTypes.Tensor).dataSync()));
      const tfl = convertLayersModel(model);
      const bytes = writeModel(tfl);
      const convert = time(() => convertLayersModel(model));
      const write = time(() => writeModel(tfl));
      const read = time(() => readModel(bytes));
      const parsed = readModel(bytes);
      const inspect = time(() => inspectModel(parsed, bytes.length));
      rows.push([
        size.name,
        bytes.length,
        ms(predict),
        ms(convert),
        (convert / predict).toFixed(2),
        ms(write),
        ms(read),
        ms(inspect),
        (inspect / read).toFixed(2),
      ]);
      x.dispose();
      model.dispose();
    }
    log(
      table(
        [
          'model',
          'file bytes',
          'predict ms',
          'convert ms',
          'convert/predict',
          'write ms',
          'read ms',
          'inspect ms',
          'inspect/read',
        ],
        rows,
      ),
    );
  },
};
