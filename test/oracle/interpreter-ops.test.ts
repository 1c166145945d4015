/**
 * Every kernel against the real TFLite runtime, on single-op models written
 * with the project's own GraphBuilder/writer and filled with seeded data
 * (op-cases.ts): float32 within 1e-5 (relative), int8 within one
 * quantization step (XNNPACK and TFLite's optimized kernels may round
 * differently from TFLM's reference kernels, which the interpreter follows;
 * interpreter-tflm.test.ts checks those exactly), with the number of
 * differing values reported per case.
 */
import { strict as assert } from 'node:assert';
import { Interpreter } from '../../src/runtime/interpreter';
import { buildCase, commonCases, seededCaseInputs } from './op-cases';
import { TfliteOracle } from './tflite-runtime';

describe('kernels against the real TFLite runtime (single-op models)', function () {
  this.timeout(120000);
  const cases = commonCases();
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const c of cases) {
    it(c.name, async () => {
      const bytes = buildCase(c);
      const interp = new Interpreter(bytes);
      const inputs = seededCaseInputs(c);
      inputs.forEach((v, i) => interp.setInput(i, v));
      interp.invoke();
      const result = await oracle.run(bytes, inputs);
      const ours = Array.from(interp.outputs[0].data as ArrayLike<number>);
      const theirs = result.outputs[0].data;
      assert.equal(ours.length, theirs.length);
      const isFloat = c.output.type === 'float32';
      let differ = 0;
      for (let k = 0; k < ours.length; k++) {
        const d = Math.abs(ours[k] - theirs[k]);
        const tol = isFloat ? 1e-5 * Math.max(1, Math.abs(theirs[k])) : 1;
        assert.ok(d <= tol, `${c.name} [${k}]: ${ours[k]} vs ${theirs[k]}`);
        if (d > 0) differ++;
      }
      if (!isFloat && differ > 0)
        console.log(`      ${differ} of ${ours.length} values one step off`);
    });
  }
});
