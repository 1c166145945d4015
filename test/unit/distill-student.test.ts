/**
 * The student: derived from the teacher for a device budget (the widest
 * width scaling that fits, measured on the converted .tflite), or given as a
 * spec and checked against the teacher.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import {
  footprintOf,
  scaleSpec,
  specFromModel,
  studentForBudget,
} from '../../src/optimize/distill/student';
import { distill } from '../../src/optimize/distill';
import { buildModel } from '../../src/model/spec';
import { loadBuiltinDataset } from '../../src/model/builtin-datasets';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { inspectModel } from '../../src/tflite/inspect';

function teacherModel(): tf.LayersModel {
  return buildModel({
    inputShape: [64],
    layers: [
      { type: 'dense', units: 48, activation: 'relu' },
      { type: 'dropout', rate: 0.1 },
      { type: 'dense', units: 24, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
    seed: 1,
  });
}

describe('distillation student', function () {
  this.timeout(60000);

  it('describes the teacher as a spec that rebuilds the same architecture', () => {
    const teacher = teacherModel();
    const spec = specFromModel(teacher);
    assert.deepEqual(
      spec.layers.map((l) => l.type),
      ['dense', 'dropout', 'dense', 'dense'],
    );
    const rebuilt = buildModel(spec);
    assert.equal(rebuilt.countParams(), teacher.countParams());
    assert.deepEqual(
      rebuilt.layers.map((l) => l.outputShape),
      teacher.layers.map((l) => l.outputShape),
    );
  });

  it('describes a CNN with separate activation and normalization layers too', () => {
    const cnn = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 6, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization({}),
        tf.layers.reLU({}),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
        tf.layers.elu({}),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const spec = specFromModel(cnn);
    assert.deepEqual(
      spec.layers.map((l) => l.type),
      [
        'conv2d',
        'batchNormalization',
        'reLU',
        'maxPooling2d',
        'depthwiseConv2d',
        'elu',
        'globalAveragePooling2d',
        'dense',
      ],
    );
    const rebuilt = buildModel(spec);
    assert.equal(rebuilt.countParams(), cnn.countParams());
    // Halving the hidden conv: 3 filters, and the depthwise layer follows (3·2 channels).
    const half = buildModel(scaleSpec(spec, 3, 6));
    assert.deepEqual(half.layers[4].outputShape, [null, 2, 2, 6]);
  });

  it('picks the widest scaling that fits a flash budget; one unit wider does not fit', () => {
    const teacher = teacherModel();
    const full = footprintOf(specFromModel(teacher));
    const budget = { flashBytes: Math.round(full.flashBytes * 0.4) };
    const { spec, search } = studentForBudget(teacher, budget);
    assert.ok(search.chosenWidth < 48 && search.chosenWidth >= 1);
    // The chosen student, measured here from its converted file, fits.
    const bytes = writeModel(convertLayersModel(buildModel(spec)));
    assert.ok(bytes.length <= budget.flashBytes, `${bytes.length} > ${budget.flashBytes}`);
    assert.deepEqual(
      spec.layers.map((l) => l.units ?? l.type),
      [search.chosenWidth, 'dropout', Math.round((24 * search.chosenWidth) / 48), 10],
    );
    const wider = footprintOf(scaleSpec(specFromModel(teacher), search.chosenWidth + 1, 48));
    assert.ok(wider.flashBytes > budget.flashBytes);
    // Bisection: about log2(48) candidates, not 48.
    assert.ok(search.tried.length <= 8, `${search.tried.length} candidates`);
  });

  it('honours an arena budget, checked with inspect', () => {
    const teacher = teacherModel();
    const { spec } = studentForBudget(teacher, { arenaBytes: 384 });
    const bytes = writeModel(convertLayersModel(buildModel(spec)));
    assert.ok(inspectModel(readModel(bytes), bytes.length).arenaBytes <= 384);
  });

  it('refuses a budget nothing fits, with the smallest footprint', () => {
    assert.throws(
      () => studentForBudget(teacherModel(), { flashBytes: 500 }),
      /no student fits the budget \(flash 500, arena any bytes\): the narrowest \(width 1\) needs flash \d+ and arena \d+ bytes/,
    );
    assert.throws(
      () => studentForBudget(teacherModel(), {}),
      /needs flash bytes, arena bytes or both/,
    );
  });

  it('refuses a student spec that does not fit the teacher, or a preset', async () => {
    const iris = loadBuiltinDataset('iris');
    const teacher = buildModel({
      inputShape: [4],
      layers: [{ type: 'dense', units: 3, activation: 'softmax' }],
    });
    await assert.rejects(
      distill(teacher, iris, {
        studentSpec: {
          inputShape: [4],
          layers: [{ type: 'dense', units: 2, activation: 'softmax' }],
        },
      }),
      /student has 2 outputs; the teacher has 3/,
    );
    await assert.rejects(
      distill(teacher, iris, {
        studentSpec: { inputShape: [4], layers: [{ type: 'dense', units: 3 }] },
      }),
      /the teacher is a classification model but the student spec makes a regression model/,
    );
    await assert.rejects(
      distill(teacher, iris, { studentSpec: { preset: 'sine' } }),
      /not a preset/,
    );
    await assert.rejects(distill(teacher, iris, {}), /needs a student spec or a device budget/);
  });

  it('trains the student alone and distilled from the same initial weights and batches', async () => {
    const iris = loadBuiltinDataset('iris');
    const teacher = buildModel({
      inputShape: [4],
      layers: [
        { type: 'dense', units: 8, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      seed: 2,
    });
    const studentSpec = {
      inputShape: [4],
      layers: [
        { type: 'dense', units: 4, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
    };
    // alpha = 0 makes the distilled loss the plain one: both runs must then be identical.
    const r = await distill(teacher, iris, { studentSpec, alpha: 0, epochs: 2, seed: 7 });
    const a = r.alone!.getWeights().map((w) => Array.from(w.dataSync()));
    const d = r.student.getWeights().map((w) => Array.from(w.dataSync()));
    a.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - d[i][j]) < 1e-6)));
    assert.equal(r.settings.seed, 7);
    // With the teacher's targets the two runs differ.
    const r2 = await distill(teacher, iris, { studentSpec, alpha: 0.7, epochs: 2, seed: 7 });
    const d2 = r2.student.getWeights()[0].dataSync();
    const a2 = r2.alone!.getWeights()[0].dataSync();
    assert.ok(d2.some((v, i) => Math.abs(v - a2[i]) > 1e-4));
  });
});
