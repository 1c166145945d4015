/**
 * Every layer kind the converter supports, and mixed networks, with seeded
 * weights: the .tflite must load in the real TensorFlow Lite runtime
 * (@tensorflow/tfjs-tflite) and agree with tfjs predict within 1e-5 of the
 * output's range, be written with the ops TensorFlow's converter would use
 * (BatchNormalization folded, Dropout gone, ReLU fused), and read back equal.
 */
import { strict as assert } from 'node:assert';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { operatorName } from '../../src/tflite/model';
import { TfliteOracle } from './tflite-runtime';
import { CASES, reference, seedModel } from './convert-cases';
import { maxRelDiff } from '../helpers/models';

describe('converter: every layer kind in the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: agrees with tfjs, ops ${c.ops.join(' ')}, round-trips`, async () => {
      const model = c.build();
      seedModel(model, 1000 + i);
      const { inputs, outputs } = reference(model, 2000 + i);
      const tfl = convertLayersModel(model);
      const sg = tfl.subgraphs[0];
      assert.deepEqual(
        sg.operators.map((op) => operatorName(tfl, op)),
        c.ops,
      );
      const bytes = writeModel(tfl);
      assert.deepEqual(readModel(bytes), tfl);

      const real = await oracle.run(bytes, inputs);
      assert.equal(real.outputs.length, outputs.length);
      real.outputs.forEach((out, k) => {
        assert.deepEqual(out.shape, outputs[k].shape);
        const diff = maxRelDiff(out.data, outputs[k].data);
        assert.ok(diff <= 1e-5, `output ${k}: max diff ${diff} relative to range`);
      });
      model.dispose();
    });
  }
});
