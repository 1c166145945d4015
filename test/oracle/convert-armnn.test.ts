/**
 * The converter's files read by a second, independent implementation: Arm
 * NN's TfLite parser (Debian libarmnntfliteparser22, Arm NN 20.08) running on
 * its CpuRef backend. Every test model must parse there and agree with tfjs
 * within 1e-5 of the output's range.
 */
import { strict as assert } from 'node:assert';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { ArmnnOracle } from './armnn-runtime';
import { CASES, reference, seedModel } from './convert-cases';
import { maxRelDiff } from '../helpers/models';

describe("converter: Arm NN's TfLite parser reads every test model", function () {
  this.timeout(120000);
  let armnn: ArmnnOracle;
  before(() => {
    armnn = new ArmnnOracle();
  });
  after(() => armnn.close());

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: parses in Arm NN and agrees with tfjs`, async () => {
      const model = c.build();
      seedModel(model, 1000 + i);
      const { inputs, outputs } = reference(model, 2000 + i);
      const bytes = writeModel(convertLayersModel(model));
      const got = await armnn.run(bytes, inputs);
      assert.equal(got.length, outputs.length);
      got.forEach((out, k) => {
        assert.equal(out.data.length, outputs[k].data.length, `output ${k} size`);
        const diff = maxRelDiff(out.data, outputs[k].data);
        assert.ok(diff <= 1e-5, `output ${k}: max diff ${diff} relative to range`);
      });
      model.dispose();
    });
  }
});
