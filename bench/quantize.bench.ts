/**
 * Post-training quantization on real data: MLPs and CNNs on the UCI digits
 * (seeded 80/20 split), each quantized in every mode. Sizes, arena and MACs
 * come from the files; held-out accuracy from the real TFLite runtime
 * (@tensorflow/tfjs-tflite, the test oracle: quantized kernels the project's
 * interpreter does not all have yet) and from the project's interpreter
 * where it can run the model. Ratios are against the float32 model trained
 * and measured in the same run. Target (issue 5): int8 ≤ 0.27× the float
 * file with ≤ 0.5 pp accuracy drop.
 */
import { table, type Benchmark } from './index';
import { loadBuiltinDataset, splitDataset } from '../src/model/builtin-datasets';
import type { Dataset } from '../src/model/dataset';
import { trainModel } from '../src/model/train';
import { convertLayersModel } from '../src/tflite/convert';
import { writeModel } from '../src/tflite/writer';
import { quantizeModel } from '../src/optimize/quantize';
import { evaluateModel, type BatchRunner } from '../src/optimize/quantize/evaluate';
import { tryEvaluate } from '../src/optimize/quantize/pipeline';
import { measureModel } from '../src/optimize/quantize/report';
import { accuracyGate } from '../src/optimize/gate';
import { TfliteOracle } from '../test/oracle/tflite-runtime';
import { digitsImages } from '../test/fixtures/quantize/digits-cnn';
import { isTinymlError } from '../src/errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const MODES = [
  { label: 'int8 (float io)', options: { mode: 'int8' } },
  { label: 'int8 (int8 io)', options: { mode: 'int8', io: 'int8' } },
  { label: 'int8 per-channel', options: { mode: 'int8', perChannelDense: true } },
  { label: 'int16x8', options: { mode: 'int16x8' } },
  { label: 'dynamic', options: { mode: 'dynamic' } },
  { label: 'float16', options: { mode: 'float16' } },
];

interface Prepared {
  floatBytes: Uint8Array;
  train: Dataset;
  test: Dataset;
}

interface Case {
  name: string;
  prepare(): Promise<Prepared>;
}

const split = (ds: Dataset) => splitDataset(ds, 0.2, 1);

/** Trains a digits model from a spec on the seeded 80% and converts it. */
async function trained(ds: Dataset, spec: Record<string, unknown>): Promise<Prepared> {
  const { train, test } = split(ds);
  const { model } = await trainModel(
    { loss: 'sparseCategoricalCrossentropy', optimizer: 'adam', seed: 1, ...spec },
    train,
  );
  return { floatBytes: writeModel(convertLayersModel(model)), train, test };
}

const dense = (units: number, activation = 'relu') => ({ type: 'dense', units, activation });
const pixels = (scale: number): Dataset => {
  const d = loadBuiltinDataset('digits');
  return { xs: d.xs.map((x) => (x as number[]).map((v) => v * scale)), ys: d.ys };
};

const CASES: Case[] = [
  {
    name: 'MLP 64-32-10 (pixels 0..16)',
    prepare: () =>
      trained(pixels(1), {
        inputShape: [64],
        layers: [dense(32), dense(10, 'softmax')],
        epochs: 30,
        batchSize: 32,
        learningRate: 0.01,
      }),
  },
  {
    name: 'MLP 64-256-128-10 (pixels / 16)',
    prepare: () =>
      trained(pixels(1 / 16), {
        inputShape: [64],
        layers: [dense(256), dense(128), dense(10, 'softmax')],
        epochs: 8,
        batchSize: 64,
        learningRate: 0.003,
      }),
  },
  {
    // The fixture the tests use (training a CNN on the JS backend takes minutes).
    name: 'CNN conv8-pool-conv16-pool-10, 1898 parameters (test/fixtures/quantize/digits-cnn.tflite)',
    prepare: async () => {
      const { train, test } = split(digitsImages(loadBuiltinDataset('digits')));
      const floatBytes = new Uint8Array(
        readFileSync(
          join(__dirname, '..', '..', 'test', 'fixtures', 'quantize', 'digits-cnn.tflite'),
        ),
      );
      return { floatBytes, train, test };
    },
  },
  {
    name: 'CNN conv16-pool-512-10, 79530 parameters (weights in the dense head)',
    prepare: () =>
      trained(digitsImages(loadBuiltinDataset('digits')), {
        inputShape: [8, 8, 1],
        layers: [
          { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'flatten' },
          dense(512),
          dense(10, 'softmax'),
        ],
        epochs: 6,
        batchSize: 64,
        learningRate: 0.002,
      }),
  },
];

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

async function runCase(c: Case, log: (line: string) => void): Promise<void> {
  let prepared: Prepared;
  try {
    prepared = await c.prepare();
  } catch (err) {
    if (!isTinymlError(err)) throw err;
    log(`### ${c.name}\n\nnot run: ${err.message}\n`);
    return;
  }
  // A fresh runtime per case: one WASM heap through hundreds of model loads
  // ran out of bounds ("memory access out of bounds") on the 320 kB CNN.
  const oracle = new TfliteOracle();
  try {
    await measureCase(c, prepared, oracle, log);
  } finally {
    await oracle.close();
  }
}

async function measureCase(
  c: Case,
  { floatBytes, train, test }: Prepared,
  oracle: TfliteOracle,
  log: (line: string) => void,
): Promise<void> {
  const real: BatchRunner = async (bytes, inputs) => {
    const out: ArrayLike<number>[] = [];
    for (const x of inputs) out.push((await oracle.run(bytes, [x])).outputs[0].data);
    return out;
  };
  const base = measureModel(floatBytes);
  const baseAcc = (await evaluateModel(floatBytes, test, 'classification', real)).accuracy!;
  const ours = await tryEvaluate(floatBytes, { data: test, on: 'validation' }, 'classification');
  const rows: (string | number)[][] = [
    [
      'float32 (reference)',
      base.bytes,
      '1.000',
      base.gzipBytes,
      '1.000',
      base.arenaBytes,
      base.macs,
      '-',
      pct(baseAcc),
      '0.00',
      typeof ours === 'string' ? '-' : pct(ours.accuracy),
    ],
  ];
  for (const m of MODES) {
    const start = process.hrtime.bigint();
    let q;
    try {
      q = quantizeModel(floatBytes, train.xs, m.options);
    } catch (err) {
      if (!isTinymlError(err)) throw err;
      rows.push([m.label, `not quantized: ${err.message.split(';')[0]}`]);
      continue;
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const after = measureModel(q.bytes);
    const acc = (await evaluateModel(q.bytes, test, 'classification', real)).accuracy!;
    const oursQ = await tryEvaluate(q.bytes, { data: test, on: 'validation' }, 'classification');
    rows.push([
      m.label,
      after.bytes,
      (after.bytes / base.bytes).toFixed(3),
      after.gzipBytes,
      (after.gzipBytes / base.gzipBytes).toFixed(3),
      after.arenaBytes,
      after.macs,
      ms.toFixed(0),
      pct(acc),
      ((baseAcc - acc) * 100).toFixed(2),
      typeof oursQ === 'string' ? '-' : pct(oursQ.accuracy),
    ]);
  }
  log(`### ${c.name}: ${train.xs.length} training / ${test.xs.length} held-out samples\n`);
  log(
    table(
      [
        'model',
        'bytes',
        '×float',
        'gzip',
        '×float',
        'arena',
        'MACs',
        'quantize ms',
        'held-out (TFLite)',
        'drop pp',
        'held-out (ours)',
      ],
      rows,
    ),
  );
  try {
    const gate = await accuracyGate(floatBytes, {
      validation: test,
      calibration: train.xs,
      maxAccuracyDropPp: 0.5,
      runner: real,
    });
    log(`\naccuracy gate (max drop 0.5 pp, real runtime): ${gate.reason}\n`);
  } catch (err) {
    if (!isTinymlError(err)) throw err;
    log(`\naccuracy gate not run: ${err.message}\n`);
  }
}

export const benchmark: Benchmark = {
  name: 'quantize',
  description:
    'post-training quantization of digits MLPs and CNNs: size, arena, MACs and held-out accuracy per mode against float32',
  async run(log) {
    for (const c of CASES) await runCase(c, log);
    log(
      "'held-out (ours)' is '-' where the project's interpreter cannot run the model (a kernel it lacks: hybrid kernels for dynamic range, float16 DEQUANTIZE, or the integer kernels before the interpreter work lands).",
    );
  },
};
