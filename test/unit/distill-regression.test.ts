/**
 * Regression models (no softmax output) go through the same engines: pruning
 * fine-tunes with mean squared error and reports the change of MAE;
 * distillation regresses the student on the teacher's outputs and the labels.
 * The model is the sine preset (TFLite Micro's hello_world network).
 */
import { strict as assert } from 'node:assert';
import { trainModel } from '../../src/model/train';
import { resolvePreset } from '../../src/model/presets';
import { splitDataset } from '../../src/model/builtin-datasets';
import { pruneModel } from '../../src/optimize/prune';
import { distillModel } from '../../src/optimize/distill';
import { formatReport } from '../../src/optimize/report';

describe('pruning and distillation of a regression model (sine)', function () {
  this.timeout(120000);
  const { spec, data } = resolvePreset({ preset: 'sine', epochs: 40 });
  const { train, test } = splitDataset(data, 0.2, 3);
  let teacher: Awaited<ReturnType<typeof trainModel>>['model'];

  before(async () => {
    teacher = (await trainModel(spec, train)).model;
  });

  it('prunes with MSE and reports MAE and MSE before and after', async () => {
    const r = await pruneModel(teacher, train, { sparsity: 0.5, epochs: 3, heldOut: test });
    assert.equal(r.report.task, 'regression');
    const [before, after] = r.report.models;
    assert.ok(before.tfliteEvaluation!.mae! < 0.2, `MAE ${before.tfliteEvaluation!.mae}`);
    assert.equal(typeof after.tfliteEvaluation!.mse, 'number');
    assert.ok(after.weightSparsity >= 0.5);
    const c = r.report.comparisons[0];
    assert.equal(c.accuracyDropPp, undefined);
    assert.ok(
      Math.abs(c.maeChange! - (after.tfliteEvaluation!.mae! - before.tfliteEvaluation!.mae!)) <
        1e-12,
    );
    assert.match(formatReport(r.report), /mae \(\.tflite\)/);
  });

  it('distils into a smaller student with the MSE mix, temperature noted as unused', async () => {
    const r = await distillModel(teacher, train, {
      studentSpec: {
        inputShape: [1],
        layers: [
          { type: 'dense', units: 8, activation: 'relu' },
          { type: 'dense', units: 1 },
        ],
        learningRate: 0.01,
      },
      epochs: 5,
      heldOut: test,
    });
    assert.equal(r.report.task, 'regression');
    assert.deepEqual(
      r.report.models.map((m) => m.name),
      ['teacher', 'student alone', 'distilled'],
    );
    assert.ok(r.report.models.every((m) => Number.isFinite(m.tfliteEvaluation!.mae)));
    assert.match(r.report.notes.join('\n'), /temperature does not apply/);
  });

  it('refuses a held-out set whose samples do not fit the model', async () => {
    await assert.rejects(
      pruneModel(teacher, train, { sparsity: 0.5, epochs: 1, heldOut: { xs: [[1, 2]], ys: [0] } }),
      /heldOut\.xs samples have shape \[2\] \(2 values\); the model's input shape \[1\] takes 1/,
    );
  });
});
