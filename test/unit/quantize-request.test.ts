/**
 * The request entry point the optimize node calls with values from a
 * message: validation of every field, and which path (one quantization or
 * the gate) a request takes.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { runQuantizeRequest } from '../../src/optimize/quantize/request';
import { seededInput, seedWeights } from '../helpers/models';

describe('quantize requests', function () {
  this.timeout(30000);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [16], units: 32, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 21, 0.5);
  const bytes = writeModel(convertLayersModel(model));
  const xs = Array.from({ length: 24 }, (_, i) => Array.from(seededInput([16], 300 + i, 1)));
  const ys = xs.map((_, i) => i % 3);

  it('takes a bare array of samples and returns the quantized model with its report', async () => {
    const out = await runQuantizeRequest(bytes, { calibration: xs, mode: 'int8', io: 'int8' });
    assert.equal(out.gate, undefined);
    assert.equal(out.report!.mode, 'int8');
    assert.equal(out.report!.calibrationSamples, 24);
    assert.equal(out.report!.evaluatedOn, undefined, 'no labels, no evaluation');
    const sg = readModel(out.bytes).subgraphs[0];
    assert.equal(sg.tensors[sg.inputs[0]].type, 'int8');
  });

  it('evaluates on labelled calibration data only when no validation set is given', async () => {
    const calib = await runQuantizeRequest(bytes, { calibration: { xs, ys } });
    assert.equal(calib.report!.evaluatedOn, 'calibration');
    const held = await runQuantizeRequest(bytes, {
      calibration: { xs, ys },
      validation: { xs: xs.slice(0, 6), ys: ys.slice(0, 6) },
    });
    assert.equal(held.report!.evaluatedOn, 'validation');
    assert.equal(held.report!.before.evaluation!.samples, 6);
  });

  it('runs the accuracy gate when a limit is given', async () => {
    const out = await runQuantizeRequest(bytes, {
      calibration: xs,
      validation: { xs, ys },
      maxAccuracyDropPp: 100,
      io: 'int8',
    });
    // Evaluated in the project's interpreter (the default runner).
    assert.equal(out.gate!.chosen, 'int8 per-tensor', out.gate!.reason);
    assert.equal(out.gate!.attempts.length, 1);
    assert.equal(out.report!.io, 'int8');
  });

  it('refuses malformed requests with the field and what was expected', async () => {
    const cases: [unknown, RegExp][] = [
      [{ calibration: xs, mode: 'int4' }, /quantize\.mode must be one of "int8", "int16x8"/],
      [{ calibration: xs, extra: 1 }, /quantize has unknown field "extra"/],
      [{ calibration: 'x' }, /quantize\.calibration must be an array or an object/],
      [{ calibration: { ys } }, /quantize\.calibration\.xs is required/],
      [{ calibration: xs, maxAccuracyDropPp: -1 }, /quantize\.maxAccuracyDropPp must be >= 0/],
      [{ calibration: xs, maxAccuracyDropPp: 1 }, /the accuracy gate needs validation data/],
      [{ calibration: xs, validation: { xs } }, /validation\.ys is required/],
      [{ mode: 'int8' }, /mode int8 needs calibration data/],
      [{ calibration: [[1, 'a']] }, /calibration sample 0 must hold only numbers/],
      ['int8', /quantize must be an object/],
    ];
    for (const [req, message] of cases) {
      await assert.rejects(runQuantizeRequest(bytes, req), message, JSON.stringify(req));
    }
  });
});
