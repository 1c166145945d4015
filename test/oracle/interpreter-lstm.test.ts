/**
 * The float32 UNIDIRECTIONAL_SEQUENCE_LSTM golden models in a third runtime,
 * the real TensorFlow Lite (@tensorflow/tfjs-tflite): it reproduces TFLite
 * Micro's goldens within 1e-5 of the output's range, and over several
 * invokes without a reset (the hidden and cell state carried in variable
 * tensors) our interpreter gives TFLite's outputs at every step.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Interpreter } from '../../src/runtime/interpreter';
import { TfliteOracle } from './tflite-runtime';
import { maxRelDiff } from '../helpers/models';
import { ROOT } from '../helpers/paths';

const DIR = join(ROOT, 'test', 'fixtures', 'tflm-goldens');

interface Golden {
  model: string;
  runs: { inputs: number[][]; outputs: { shape: number[]; data: number[] }[] }[];
}

const names = (JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as string[]).filter((n) =>
  n.startsWith('unidirectional_sequence_lstm_float32_'),
);

describe('UNIDIRECTIONAL_SEQUENCE_LSTM float32 in the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  it('has the float32 goldens to check', () => {
    assert.ok(names.length >= 6, `only ${names.length} float32 LSTM goldens`);
  });

  for (const name of names) {
    it(`${name}: TFLite equals TFLM's golden; ours equals TFLite over invokes that keep the state`, async () => {
      const golden = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Golden;
      const bytes = new Uint8Array(readFileSync(join(DIR, golden.model)));
      const sets = golden.runs.map((r) => r.inputs);
      const real = await oracle.run(bytes, sets[0], { sequence: sets.slice(1) });
      const diff = maxRelDiff(real.outputs[0].data, golden.runs[0].outputs[0].data);
      assert.ok(diff <= 1e-5, `TFLite vs TFLM: max diff ${diff} relative to range`);

      const interp = new Interpreter(bytes);
      const steps = [real.outputs, ...(real.steps ?? [])];
      assert.equal(steps.length, sets.length);
      sets.forEach((inputs, k) => {
        inputs.forEach((values, i) => interp.setInput(i, values));
        interp.invoke();
        const ours = interp.outputs[0].data as Float32Array;
        const d = maxRelDiff(ours, steps[k][0].data);
        assert.ok(d <= 1e-5, `invoke ${k}: ours vs TFLite max diff ${d}`);
      });
      // The later invokes started from carried state: they differ from TFLM's fresh runs.
      assert.ok(maxRelDiff(steps[1][0].data, golden.runs[1].outputs[0].data) > 1e-5);
    });
  }
});
