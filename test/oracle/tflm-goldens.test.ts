/**
 * The interpreter against TensorFlow Lite Micro's reference kernels: every
 * golden case in test/fixtures/tflm-goldens (outputs computed by TFLM itself,
 * see its README) must be reproduced exactly for int8/int16 outputs and
 * within 1e-5 (relative to the output's range) for float32.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interpreter } from '../../src/runtime/interpreter';
import { maxRelDiff } from '../helpers/models';
import { ROOT } from '../helpers/paths';

const DIR = join(ROOT, 'test', 'fixtures', 'tflm-goldens');

interface Golden {
  model: string;
  runs: { inputs: number[][]; outputs: { shape: number[]; data: number[] }[] }[];
}

const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as string[];

describe("interpreter vs TFLite Micro's reference kernels (goldens)", () => {
  for (const name of index) {
    it(`${name}: outputs equal TFLM's`, () => {
      const golden = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Golden;
      const interp = new Interpreter(readFileSync(join(DIR, golden.model)));
      for (const [r, run] of golden.runs.entries()) {
        // TFLM computed every run in a fresh interpreter: variable tensors
        // (an LSTM's state) start from their reset values each time.
        interp.reset();
        run.inputs.forEach((values, i) => interp.setInput(i, values));
        interp.invoke();
        run.outputs.forEach((expected, o) => {
          const out = interp.outputs[o];
          assert.deepEqual(out.shape, expected.shape, `${name} run ${r} output ${o} shape`);
          const got = Array.from(out.data as ArrayLike<number>);
          if (out.type === 'float32') {
            assert.ok(
              maxRelDiff(got, expected.data) <= 1e-5,
              `${name} run ${r}: ${got} vs ${expected.data}`,
            );
          } else {
            const diff = got.filter((v, k) => v !== expected.data[k]).length;
            assert.equal(
              diff,
              0,
              `${name} run ${r} output ${o}: ${diff} of ${got.length} values differ from TFLM`,
            );
          }
        });
      }
    });
  }
});
