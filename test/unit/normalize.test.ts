import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { trainModel } from '../../src/model/train';
import { loadBuiltinDataset } from '../../src/model/builtin-datasets';
import { fitNormalization } from '../../src/model/normalize';
import { parseSpec } from '../../src/model/spec';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { Interpreter } from '../../src/runtime/interpreter';
import { ValidationError } from '../../src/errors';

describe('input normalization learnt by tinyml train', () => {
  it('standardize and minmax statistics per feature; a constant feature is only shifted', () => {
    const data = {
      xs: [
        [1, 10, 5],
        [3, 30, 5],
        [5, 20, 5],
      ],
      ys: [0, 1, 0],
    };
    const z = fitNormalization('standardize', data, [3]);
    // feature 0: mean 3, population std sqrt(8/3); feature 2: constant 5.
    assert.ok(Math.abs(z.scale[0] - 1 / Math.sqrt(8 / 3)) < 1e-12);
    assert.ok(Math.abs(z.offset[0] + 3 / Math.sqrt(8 / 3)) < 1e-12);
    assert.deepEqual([z.scale[2], z.offset[2]], [1, -5]);
    const m = fitNormalization('minmax', data, [3], [0, 1]);
    // Only samples 0 and 1: feature 1 spans 10..30.
    assert.deepEqual([m.scale[1], m.offset[1]], [1 / 20, -10 / 20]);
  });

  it('rejects an unknown method with the allowed ones', () => {
    assert.throws(
      () => parseSpec({ inputShape: [2], layers: [{ type: 'dense', units: 1 }], normalize: 'z' }),
      (err: Error) =>
        err instanceof ValidationError && /normalize must be one of/.test(err.message),
    );
  });

  it('iris: a softmax model without a loss trains as a classifier on raw features, and the .tflite takes raw features', async function () {
    this.timeout(120000);
    const iris = loadBuiltinDataset('iris');
    const spec = {
      inputShape: [4],
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      normalize: 'standardize',
      validationSplit: 0.2,
      epochs: 60,
      learningRate: 0.02,
      seed: 5,
    };
    const result = await trainModel(spec, iris);
    try {
      const r = result.report;
      assert.equal(r.task, 'classification');
      assert.ok(r.normalization, 'the report carries the statistics');
      assert.equal(result.model.layers[0].getClassName(), 'Rescaling');
      // Statistics come from the training part only, not the validation split.
      const whole = fitNormalization('standardize', iris, [4]);
      assert.notDeepEqual(r.normalization.scale, whole.scale);
      assert.ok(r.valAccuracy !== undefined && r.valAccuracy >= 0.9, `val acc ${r.valAccuracy}`);

      // The converted model normalises inside: raw features in, same answer as tfjs.
      const bytes = writeModel(convertLayersModel(result.model));
      const interp = new Interpreter(bytes);
      for (const x of iris.xs.slice(0, 20) as number[][]) {
        interp.setInputFloat(0, Float32Array.from(x));
        interp.invoke();
        const got = interp.outputFloat(0);
        const want = (result.model.predict(tf.tensor2d([x])) as tf.Tensor).dataSync();
        for (let k = 0; k < 3; k++) assert.ok(Math.abs(got[k] - want[k]) < 1e-5);
      }
    } finally {
      result.model.dispose();
    }
  });
});
