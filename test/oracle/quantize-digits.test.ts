/**
 * Quantization on real data: MLPs trained on the UCI digits (8×8 images,
 * seeded 80/20 split), every quantized model run in the real TFLite runtime
 * on the held-out 20%. Targets (issue 5): int8 ≤ 0.27× the float .tflite
 * with ≤ 0.5 percentage points accuracy drop.
 */
import { strict as assert } from 'node:assert';
import { loadBuiltinDataset, splitDataset } from '../../src/model/builtin-datasets';
import type { Dataset } from '../../src/model/dataset';
import { trainModel } from '../../src/model/train';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { evaluateModel } from '../../src/optimize/quantize/evaluate';
import { quantizeAndReport } from '../../src/optimize/quantize/pipeline';
import { accuracyGate } from '../../src/optimize/gate';
import { TfliteOracle } from './tflite-runtime';
import { oracleRunner } from './quantize-oracle';

const DENSE = (units: number) => ({ type: 'dense', units, activation: 'relu' });
const SOFTMAX = { type: 'dense', units: 10, activation: 'softmax' };

async function trainDigits(
  train: Dataset,
  hidden: number[],
  fit: { epochs: number; batchSize: number; learningRate: number },
): Promise<Uint8Array> {
  const spec = {
    inputShape: [64],
    layers: [...hidden.map(DENSE), SOFTMAX],
    loss: 'sparseCategoricalCrossentropy',
    optimizer: 'adam',
    seed: 1,
    ...fit,
  };
  const { model } = await trainModel(spec, train);
  return writeModel(convertLayersModel(model));
}

describe('quantize: digits MLPs in the real TFLite runtime', function () {
  this.timeout(300000);
  let oracle: TfliteOracle;
  const { train, test } = splitDataset(loadBuiltinDataset('digits'), 0.2, 1);
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  it('64-32-10 (the microcontroller-sized MLP): every mode within 0.5 pp on held-out data', async () => {
    const bytes = await trainDigits(train, [32], { epochs: 30, batchSize: 32, learningRate: 0.01 });
    const runner = oracleRunner(oracle);
    const base = await evaluateModel(bytes, test, 'classification', runner);
    assert.ok(base.accuracy! > 0.93, `float accuracy ${base.accuracy}`);
    const rows: string[] = [];
    for (const options of [
      { mode: 'int8' },
      { mode: 'int8', io: 'int8' },
      { mode: 'int16x8' },
      { mode: 'dynamic' },
      { mode: 'float16' },
    ]) {
      const { report } = await quantizeAndReport(
        bytes,
        train.xs,
        options,
        { data: test, on: 'validation', task: 'classification', runner },
        base,
      );
      rows.push(
        `${JSON.stringify(options)} ratio ${report.ratio.bytes} drop ${report.accuracyDropPp} pp`,
      );
      assert.ok(report.accuracyDropPp! <= 0.5, rows[rows.length - 1]);
      if (options.mode === 'int8') {
        // Fixed flatbuffer overhead (names, quantization tables, the QUANTIZE
        // and DEQUANTIZE ops) dominates a 2.4k-parameter model: about 0.4×,
        // not the 0.27× a weight-dominated model reaches (next test).
        assert.ok(report.ratio.bytes < 0.42, rows[rows.length - 1]);
      }
    }
    // The gate keeps the first candidate: int8 with per-tensor dense weights.
    const gate = await accuracyGate(bytes, {
      validation: test,
      calibration: train.xs,
      maxAccuracyDropPp: 0.5,
      runner,
    });
    assert.equal(gate.chosen, 'int8 per-tensor', gate.reason);
  });

  it('64-256-128-10: int8 is ≤ 0.27× the float file with ≤ 0.5 pp drop', async () => {
    // Pixels scaled to [0, 1] (x / 16) so 8 epochs train it to ~98%.
    const scale = (d: Dataset): Dataset => ({
      xs: d.xs.map((x) => (x as number[]).map((v) => v / 16)),
      ys: d.ys,
    });
    const [tr, te] = [scale(train), scale(test)];
    const bytes = await trainDigits(tr, [256, 128], {
      epochs: 8,
      batchSize: 64,
      learningRate: 0.003,
    });
    const runner = oracleRunner(oracle);
    for (const io of ['float32', 'int8']) {
      const { report } = await quantizeAndReport(
        bytes,
        tr.xs,
        { mode: 'int8', io },
        {
          data: te,
          on: 'validation',
          task: 'classification',
          runner,
        },
      );
      const what = `io ${io}: ${report.after.bytes} / ${report.before.bytes} bytes, drop ${report.accuracyDropPp} pp`;
      assert.ok(report.before.evaluation!.accuracy! > 0.95, what);
      assert.ok(report.ratio.bytes <= 0.27, what);
      assert.ok(report.accuracyDropPp! <= 0.5, what);
    }
  });
});
