/**
 * Magnitude pruning on a small iris model: masks hold after every optimizer
 * step, the final kernels have exactly the zeros asked for (in tfjs and in
 * the converted .tflite's buffers), biases are not pruned, and the input
 * model is left alone.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { pruneMagnitude } from '../../src/optimize/prune/magnitude';
import { prunedCount } from '../../src/optimize/prune/mask';
import { loadBuiltinDataset } from '../../src/model/builtin-datasets';
import { buildModel } from '../../src/model/spec';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { seedWeights } from '../helpers/models';

function irisModel(): tf.LayersModel {
  const model = buildModel({
    inputShape: [4],
    layers: [
      { type: 'dense', units: 12, activation: 'relu' },
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ],
  });
  seedWeights(model, 5, 0.6); // biases non-zero too, so "not pruned" is visible
  return model;
}

describe('magnitude pruning', function () {
  this.timeout(60000);
  const iris = loadBuiltinDataset('iris');

  it('keeps every kernel at or above the scheduled sparsity after every step', async () => {
    const model = irisModel();
    const seen: { step: number; scheduled: number; kernels: number[] }[] = [];
    const r = await pruneMagnitude(model, iris, {
      sparsity: 0.7,
      epochs: 4,
      batchSize: 16,
      learningRate: 0.05, // large steps: a weight left unmasked would move off zero at once
      onStep: (step, scheduled, kernels) => seen.push({ step, scheduled, kernels }),
    });
    const steps = 4 * Math.ceil(150 / 16);
    assert.equal(seen.length, steps);
    const sizes = [4 * 12, 12 * 8, 8 * 3];
    for (const s of seen) {
      s.kernels.forEach((zeros, k) => {
        const need = prunedCount(sizes[k], s.scheduled) / sizes[k];
        assert.ok(zeros >= need, `step ${s.step} kernel ${k}: ${zeros} < ${need}`);
      });
    }
    // The ramp reached the target before the end, and stayed there.
    assert.equal(seen[seen.length - 1].scheduled, 0.7);
    assert.equal(r.schedule.finalSparsity, 0.7);
    assert.ok(r.schedule.endStep < steps);
  });

  it('ends with exactly zero pruned weights, in tfjs and in the .tflite; biases are kept', async () => {
    const model = irisModel();
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const r = await pruneMagnitude(model, iris, { sparsity: 0.8, epochs: 3, learningRate: 0.01 });

    assert.deepEqual(
      r.kernels.map((k) => [k.size, k.zeros]),
      [
        [48, prunedCount(48, 0.8)],
        [96, prunedCount(96, 0.8)],
        [24, prunedCount(24, 0.8)],
      ],
    );
    const weights = r.model.getWeights();
    for (const [i, w] of weights.entries()) {
      const v = w.dataSync();
      const zeros = v.filter((x) => x === 0).length;
      if (i % 2 === 0) assert.ok(zeros / v.length >= 0.8, `kernel ${i}: ${zeros}/${v.length}`);
      else assert.equal(zeros, 0, `bias ${i} has zeros: biases must not be pruned`);
    }

    // The converted file carries the same zeros: FULLY_CONNECTED weights are [out, in].
    const tfl = readModel(writeModel(convertLayersModel(r.model)));
    const sg = tfl.subgraphs[0];
    const fcWeights = sg.operators.map((op) => sg.tensors[op.inputs[1]]).filter(Boolean);
    assert.equal(fcWeights.length, 3);
    fcWeights.forEach((t, k) => {
      const data = tfl.buffers[t.buffer].data;
      const f = new Float32Array(
        data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      );
      assert.equal(f.filter((x) => x === 0).length, r.kernels[k].zeros);
    });

    // The input model is unchanged.
    model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i]));
  });

  it('global scope reaches the sparsity over all kernels together', async () => {
    const r = await pruneMagnitude(irisModel(), iris, {
      sparsity: 0.8,
      epochs: 2,
      scope: 'global',
    });
    const size = r.kernels.reduce((n, k) => n + k.size, 0);
    const zeros = r.kernels.reduce((n, k) => n + k.zeros, 0);
    assert.ok(zeros >= prunedCount(size, 0.8), `${zeros}/${size}`);
    // One threshold: the layers end at different sparsities.
    const s = r.kernels.map((k) => k.sparsity);
    assert.ok(Math.max(...s) - Math.min(...s) > 0.05, s.join(', '));
  });

  it('refuses a sparsity outside (0, 1) and a model without kernels', async () => {
    await assert.rejects(
      pruneMagnitude(irisModel(), iris, { sparsity: 1 }),
      /sparsity must be a number in \(0, 1\), got 1/,
    );
    const noKernels = tf.sequential({
      layers: [tf.layers.activation({ inputShape: [4], activation: 'softmax' })],
    });
    await assert.rejects(
      pruneMagnitude(noKernels, iris, { sparsity: 0.5, epochs: 1 }),
      /has no Dense or convolution kernels to prune/,
    );
  });
});
