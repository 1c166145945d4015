/**
 * The targets on real data (UCI digits, held-out quarter, fixed
 * seeds, the library's default settings):
 * - magnitude pruning to 80% sparsity loses ≤ 1 pp and the .tflite's gzip is
 *   ≤ 0.35× the dense float .tflite's gzip;
 * - structured pruning of half the hidden units loses ≤ 1.5 pp, with real
 *   drops in flash, arena and MACs;
 * - a distilled student is at least as accurate as the same student alone.
 * The pruned .tflite also loads in the real TFLite runtime and agrees with
 * our interpreter. bench/prune.bench.ts prints the same figures as tables.
 */
import { strict as assert } from 'node:assert';
import { pruneModel } from '../../src/optimize/prune';
import { distillModel } from '../../src/optimize/distill';
import { primaryEvaluation } from '../../src/optimize/report';
import { Interpreter } from '../../src/runtime/interpreter';
import { flatten } from '../../src/util/arrays';
import { readModel } from '../../src/tflite/reader';
import { weightTensors, countZeros } from '../../src/optimize/report';
import { TfliteOracle } from '../oracle/tflite-runtime';
import { maxRelDiff } from '../helpers/models';
import { DIGITS_MLP, DIGITS_STUDENT, trainOn, type Trained } from './models';

describe('optimize on UCI digits (held-out accuracy, fixed seeds)', function () {
  this.timeout(300000);
  let digits: Trained;

  before(async () => {
    digits = await trainOn('digits', DIGITS_MLP);
  });

  it('magnitude pruning to 80%: ≤ 1 pp drop, gzip ≤ 0.35× dense, weights exactly zero', async () => {
    const r = await pruneModel(digits.model, digits.train, {
      sparsity: 0.8,
      heldOut: digits.test,
    });
    const [before, after] = r.report.models;
    const c = r.report.comparisons[0];
    const summary = `accuracy ${primaryEvaluation(before)!.accuracy} → ${primaryEvaluation(after)!.accuracy}, gzip ×${c.gzipRatio}`;
    assert.ok(primaryEvaluation(before)!.accuracy! > 0.95, summary);
    assert.ok(c.accuracyDropPp! <= 1, summary);
    assert.ok(c.gzipRatio! <= 0.35, summary);
    assert.ok(after.weightSparsity >= 0.8 && after.tflite!.weightSparsity >= 0.8, summary);

    // Count the zeros in the file itself.
    const tfl = readModel(r.tflite!);
    const sg = tfl.subgraphs[0];
    for (const i of weightTensors(tfl)) {
      const t = sg.tensors[i];
      const n = t.shape.reduce((a, b) => a * b, 1);
      assert.ok(countZeros(t, tfl.buffers[t.buffer].data) >= Math.ceil(0.8 * n - 1e-9), t.name);
    }

    // The pruned file runs in the real TFLite runtime and agrees with ours.
    const oracle = new TfliteOracle();
    try {
      const interp = new Interpreter(r.tflite!);
      for (let s = 0; s < 5; s++) {
        const x = flatten(digits.test.xs[s]);
        const real = await oracle.run(r.tflite!, [x]);
        interp.setInput(0, x);
        interp.invoke();
        assert.ok(maxRelDiff(interp.outputs[0].data as Float32Array, real.outputs[0].data) < 1e-5);
      }
    } finally {
      await oracle.close();
    }
  });

  it('structured pruning of half the hidden units: ≤ 1.5 pp drop, smaller flash, arena and MACs', async () => {
    const r = await pruneModel(digits.model, digits.train, {
      sparsity: 0.5,
      structured: true,
      heldOut: digits.test,
    });
    const [before, after] = r.report.models;
    const c = r.report.comparisons[0];
    const summary = JSON.stringify(c);
    assert.ok(c.accuracyDropPp! <= 1.5, summary);
    assert.deepEqual(
      (r.report.settings.layers as { units: number; kept: number }[]).map((l) => [l.units, l.kept]),
      [
        [64, 32],
        [32, 16],
      ],
    );
    // 64·32+32 + 32·16+16 + 16·10+10 = 2778 of 64·64+64 + 64·32+32 + 32·10+10 = 6570
    assert.equal(after.params, 2778);
    assert.equal(before.params, 6570);
    assert.ok(after.tflite!.bytes < 0.5 * before.tflite!.bytes, summary);
    assert.ok(after.tflite!.macs < 0.45 * before.tflite!.macs, summary);
    assert.ok(after.tflite!.arenaBytes < before.tflite!.arenaBytes, summary);
  });

  it('a distilled 64-8-10 student is at least as accurate as the same student alone', async () => {
    const r = await distillModel(digits.model, digits.train, {
      studentSpec: DIGITS_STUDENT,
      heldOut: digits.test,
    });
    const [teacher, alone, distilled] = r.report.models;
    const acc = (m: typeof teacher) => primaryEvaluation(m)!.accuracy!;
    const summary = `teacher ${acc(teacher)}, alone ${acc(alone)}, distilled ${acc(distilled)}`;
    assert.equal(alone.name, 'student alone');
    assert.ok(acc(distilled) >= acc(alone), summary);
    assert.ok(distilled.params < teacher.params / 5, summary);
    assert.deepEqual([r.report.settings.temperature, r.report.settings.alpha], [4, 0.7]);
  });
});
