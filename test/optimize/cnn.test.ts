/**
 * Pruning a convolutional model end to end: the pruned and the rebuilt
 * models convert to .tflite, load in the real TFLite runtime and agree with
 * our interpreter and with TensorFlow.js. Fine-tuning is one epoch on part of
 * digits: training a CNN on the pure-JavaScript backend takes minutes, so the
 * CNN's accuracy figures are measured in bench/prune.bench.ts, not here.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { pruneModel } from '../../src/optimize/prune';
import { buildModel } from '../../src/model/spec';
import { loadBuiltinDataset, splitDataset } from '../../src/model/builtin-datasets';
import type { Dataset } from '../../src/model/dataset';
import { flatten } from '../../src/util/arrays';
import { Interpreter } from '../../src/runtime/interpreter';
import { readModel } from '../../src/tflite/reader';
import { countZeros, weightTensors } from '../../src/optimize/report';
import { operatorName } from '../../src/tflite/model';
import { TfliteOracle } from '../oracle/tflite-runtime';
import { maxRelDiff } from '../helpers/models';

function cnn(): tf.LayersModel {
  return buildModel({
    inputShape: [8, 8, 1],
    layers: [
      { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 6, kernelSize: 3, activation: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
    seed: 4,
  });
}

async function agreeEverywhere(
  oracle: TfliteOracle,
  model: tf.LayersModel,
  bytes: Uint8Array,
  data: Dataset,
): Promise<void> {
  const interp = new Interpreter(bytes);
  for (let s = 0; s < 4; s++) {
    const x = Float32Array.from(flatten(data.xs[s]));
    const expected = tf.tidy(
      () => (model.predict(tf.tensor(x, [1, 8, 8, 1])) as tf.Tensor).dataSync() as Float32Array,
    );
    const real = await oracle.run(bytes, [x]);
    interp.setInput(0, x);
    interp.invoke();
    assert.ok(maxRelDiff(real.outputs[0].data, expected) < 1e-5, 'TFLite runtime vs tfjs');
    assert.ok(maxRelDiff(interp.outputs[0].data as Float32Array, expected) < 1e-5, 'ours vs tfjs');
  }
}

describe('pruning a CNN: .tflite in the real TFLite runtime', function () {
  this.timeout(300000);
  const { train, test } = splitDataset(loadBuiltinDataset('digits'), 0.25, 2);
  const small = { xs: train.xs.slice(0, 256), ys: train.ys.slice(0, 256) };
  const heldOut = { xs: test.xs.slice(0, 100), ys: test.ys.slice(0, 100) };
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  it('magnitude: CONV_2D and FULLY_CONNECTED weights carry the zeros', async () => {
    const r = await pruneModel(cnn(), small, { sparsity: 0.8, epochs: 1, heldOut });
    const tfl = readModel(r.tflite!);
    const sg = tfl.subgraphs[0];
    const ops = sg.operators.map((op) => operatorName(tfl, op));
    assert.ok(ops.includes('CONV_2D'), ops.join(','));
    const weights = [...weightTensors(tfl)];
    assert.equal(weights.length, 3);
    for (const i of weights) {
      const t = sg.tensors[i];
      const n = t.shape.reduce((a, b) => a * b, 1);
      assert.ok(countZeros(t, tfl.buffers[t.buffer].data) >= Math.ceil(0.8 * n - 1e-9), t.name);
    }
    assert.ok(r.report.models[1].tfliteEvaluation, 'the interpreter ran the pruned CNN');
    await agreeEverywhere(oracle, r.model, r.tflite!, heldOut);
  });

  it('structured: half the filters go, through Flatten; the smaller file runs everywhere', async () => {
    const r = await pruneModel(cnn(), small, {
      sparsity: 0.5,
      structured: true,
      epochs: 1,
      heldOut,
    });
    const [before, after] = r.report.models;
    assert.deepEqual(
      (r.report.settings.layers as { units: number; kept: number }[]).map((l) => [l.units, l.kept]),
      [
        [8, 4],
        [6, 3],
      ],
    );
    // conv1 3·3·1·4+4, conv2 3·3·4·3+3, dense (2·2·3)·10+10
    assert.equal(after.params, 40 + 111 + 130);
    assert.ok(after.tflite!.macs < 0.5 * before.tflite!.macs);
    assert.ok(after.tflite!.arenaBytes < before.tflite!.arenaBytes);
    assert.ok(after.tflite!.bytes < before.tflite!.bytes);
    await agreeEverywhere(oracle, r.model, r.tflite!, heldOut);
  });
});
