/**
 * The accuracy gate's decisions, with a runner whose errors per candidate are
 * set by the test (the candidates' real accuracy is measured against the real
 * TFLite runtime in test/oracle/quantize*.test.ts): order of fallbacks, the
 * limit, the 16x8 granularity choice, keeping the float model, and refusals.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { accuracyGate } from '../../src/optimize/gate';
import type { BatchRunner } from '../../src/optimize/quantize/evaluate';
import type { Dataset } from '../../src/model/dataset';
import { seededInput, seedWeights } from '../helpers/models';

function floatModel(hidden: number): Uint8Array {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [32], units: hidden, activation: 'relu' }),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 3, 0.8);
  return writeModel(convertLayersModel(model));
}
// Big enough that every candidate's file is smaller than the float one.
const floatBytes = floatModel(64);
const calibration = Array.from({ length: 20 }, (_, i) => Array.from(seededInput([32], 40 + i, 2)));
const validation: Dataset = {
  xs: Array.from({ length: 200 }, (_, i) => Array.from(seededInput([32], 900 + i, 2))),
  ys: Array.from({ length: 200 }, (_, i) => i % 4),
};

type Kind = 'float32' | 'int8 per-tensor' | 'int8 per-channel' | 'int16x8' | 'float16';

/** Which candidate a file is, read from its tensor types. */
function kindOf(bytes: Uint8Array): Kind {
  const sg = readModel(bytes).subgraphs[0];
  const kernel = sg.tensors.find((t) => t.name.endsWith('/kernel'))!;
  if (kernel.type === 'float16') return 'float16';
  if (kernel.type === 'float32') return 'float32';
  if (sg.tensors.some((t) => t.type === 'int16')) return 'int16x8';
  return kernel.quantization!.scale.length > 1 ? 'int8 per-channel' : 'int8 per-tensor';
}

/** Predicts every label right except the first `wrong[kind]` samples. */
function scriptedRunner(wrong: Partial<Record<Kind, number>>, seen: Kind[] = []): BatchRunner {
  return async (bytes, inputs) => {
    const kind = kindOf(bytes);
    seen.push(kind);
    return inputs.map((_, i) => {
      const label = validation.ys[i] as number;
      const out = [0, 0, 0, 0];
      out[i < (wrong[kind] ?? 0) ? (label + 1) % 4 : label] = 1;
      return out;
    });
  };
}

describe('accuracy gate: decisions', function () {
  this.timeout(30000);

  it('falls back int8 → per-channel → 16x8 until the drop fits, 16x8 taking the better granularity', async () => {
    const seen: Kind[] = [];
    const gate = await accuracyGate(floatBytes, {
      validation,
      calibration,
      maxAccuracyDropPp: 0.5,
      runner: scriptedRunner({ 'int8 per-tensor': 4, 'int8 per-channel': 2, int16x8: 1 }, seen),
    });
    assert.deepEqual(seen, ['float32', 'int8 per-tensor', 'int8 per-channel', 'int16x8']);
    assert.equal(gate.chosen, 'int16x8');
    assert.deepEqual(
      gate.attempts.map((a) => [a.candidate, a.passed, a.accuracyDropPp]),
      [
        ['int8 per-tensor', false, 2],
        ['int8 per-channel', false, 1],
        ['int16x8', true, 0.5],
      ],
    );
    assert.equal(gate.attempts[2].perChannelDense, true, 'per-channel lost less at int8');
    assert.equal(
      gate.reason,
      'chose int16x8 (int8 per-tensor: accuracy drop 2 pp > 0.5 pp; int8 per-channel: accuracy drop 1 pp > 0.5 pp; int16x8: accuracy drop 0.5 pp ≤ 0.5 pp)',
    );
    assert.equal(kindOf(gate.bytes), 'int16x8');
    assert.equal(gate.report!.mode, 'int16x8');
    assert.equal(gate.report!.accuracyDropPp, 0.5);
    assert.equal(gate.baseline.evaluation!.accuracy, 1);
  });

  it('keeps per-tensor weights for 16x8 when per-channel did not help, and reaches float16', async () => {
    const gate = await accuracyGate(floatBytes, {
      validation,
      calibration,
      maxAccuracyDropPp: 0.25,
      runner: scriptedRunner({ 'int8 per-tensor': 2, 'int8 per-channel': 3, int16x8: 1 }),
    });
    assert.equal(gate.chosen, 'float16');
    assert.equal(gate.attempts[2].perChannelDense, false);
    assert.equal(kindOf(gate.bytes), 'float16');
  });

  it('keeps the float32 model, unchanged, when no candidate fits', async () => {
    const gate = await accuracyGate(floatBytes, {
      validation,
      calibration,
      maxAccuracyDropPp: 0,
      runner: scriptedRunner({
        'int8 per-tensor': 1,
        'int8 per-channel': 1,
        int16x8: 1,
        float16: 1,
      }),
    });
    assert.equal(gate.chosen, 'float32');
    assert.equal(gate.bytes, floatBytes);
    assert.equal(gate.report, undefined);
    assert.equal(gate.attempts.length, 4);
    assert.match(gate.reason, /^kept the float32 model: no candidate stayed within the limit/);
  });

  it('never chooses a candidate that is not smaller than the float model', async () => {
    // On a 32-2-4 model float16 costs more in DEQUANTIZE ops and tensors than
    // its half-size weights save.
    const tiny = floatModel(2);
    const gate = await accuracyGate(tiny, {
      validation,
      calibration,
      maxAccuracyDropPp: 0,
      startMode: 'float16',
      runner: scriptedRunner({}),
    });
    const [attempt] = gate.attempts;
    assert.equal(attempt.accuracyDropPp, 0);
    assert.ok(attempt.bytes! >= tiny.length, `${attempt.bytes} vs ${tiny.length}`);
    assert.equal(attempt.passed, false);
    assert.match(
      attempt.reason,
      /^accuracy drop 0 pp ≤ 0 pp, but \d+ bytes is not smaller than the float model's \d+$/,
    );
    assert.equal(gate.chosen, 'float32');
  });

  it('starts where asked and gives integer candidates integer I/O when asked', async () => {
    const seen: Kind[] = [];
    const gate = await accuracyGate(floatBytes, {
      validation,
      calibration,
      maxAccuracyDropPp: 1,
      startMode: 'int16x8',
      integerIo: true,
      runner: scriptedRunner({}, seen),
    });
    assert.deepEqual(seen, ['float32', 'int16x8']);
    assert.equal(gate.chosen, 'int16x8');
    assert.equal(gate.report!.io, 'int16');
    assert.deepEqual(gate.report!.after.io.inputs, ['int16']);
  });

  it('refuses a gate without the limit its task needs', async () => {
    await assert.rejects(
      accuracyGate(floatBytes, { validation, calibration, runner: scriptedRunner({}) }),
      /a classification model needs maxAccuracyDropPp/,
    );
    const regression: Dataset = {
      xs: validation.xs,
      ys: validation.ys.map((y) => Number(y) + 0.5),
    };
    await assert.rejects(
      accuracyGate(floatBytes, {
        validation: regression,
        calibration,
        maxAccuracyDropPp: 1,
        runner: scriptedRunner({}),
      }),
      /a regression model needs maxMaeIncrease/,
    );
    await assert.rejects(
      accuracyGate(floatBytes, { validation, calibration, maxAccuracyDropPp: -1 }),
      /gate.maxAccuracyDropPp must be >= 0/,
    );
    await assert.rejects(
      accuracyGate(floatBytes, {
        validation,
        calibration,
        maxAccuracyDropPp: 1,
        maxDrop: 1,
      } as unknown as Parameters<typeof accuracyGate>[1]),
      /gate has unknown field "maxDrop"/,
    );
    await assert.rejects(
      accuracyGate(floatBytes, {
        validation: { xs: [[1]], ys: [] } as Dataset,
        calibration,
        maxAccuracyDropPp: 1,
      }),
      /validation.ys must NOT have fewer than 1 items/,
    );
    await assert.rejects(
      accuracyGate(floatBytes, { validation, calibration: [], maxAccuracyDropPp: 1 }),
      /calibration must hold at least one sample/,
    );
  });
});
