/**
 * The writer keeps a model's meaning, not only its fields: TensorFlow-made
 * models read and written again give exactly the same outputs as the
 * originals in the real TensorFlow Lite runtime.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { mulberry32 } from '../../src/model/random';
import { TfliteOracle } from './tflite-runtime';
import { sharedModel } from '../helpers/paths';

/** Seeded integer or float inputs in the range of each input's type. */
function inputsFor(model: ReturnType<typeof readModel>, seed: number): number[][] {
  const rand = mulberry32(seed);
  const sg = model.subgraphs[0];
  return sg.inputs.map((t) => {
    const tensor = sg.tensors[t];
    const n = tensor.shape.reduce((a, b) => a * b, 1);
    const range: Record<string, [number, number]> = { int8: [-128, 127], int16: [-32768, 32767] };
    const [lo, hi] = range[tensor.type] ?? [-1, 1];
    return Array.from({ length: n }, () =>
      tensor.type === 'float32' ? lo + rand() * (hi - lo) : Math.floor(lo + rand() * (hi - lo + 1)),
    );
  });
}

describe('writer: TensorFlow-made models rewritten run the same in TFLite', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const name of [
    'hello_world_float.tflite',
    'hello_world_int8.tflite',
    'micro_speech_quantized.tflite',
    'simple_add_model.tflite',
    'seanet/conv0.tflite',
    'seanet/add1.tflite',
    'seanet/pad2.tflite',
  ]) {
    it(`${name}: identical outputs before and after read + write`, async () => {
      const original = new Uint8Array(readFileSync(sharedModel(name)));
      const model = readModel(original);
      const inputs = inputsFor(model, 42);
      const before = await oracle.run(original, inputs);
      const after = await oracle.run(writeModel(model), inputs);
      assert.deepEqual(after.outputs, before.outputs);
      assert.ok(before.outputs[0].data.length > 0);
    });
  }

  it('keyword_scrambled_8bit.tflite (SVDF): identical outputs, one runtime instance each', async () => {
    // The WASM runtime fails ("memory access out of bounds") when a second
    // SVDF model is loaded into an instance that ran one, so each file gets
    // its own process.
    const original = new Uint8Array(readFileSync(sharedModel('keyword_scrambled_8bit.tflite')));
    const model = readModel(original);
    const inputs = inputsFor(model, 7);
    const run = async (bytes: Uint8Array) => {
      const own = new TfliteOracle();
      try {
        return await own.run(bytes, inputs);
      } finally {
        await own.close();
      }
    };
    const before = await run(original);
    assert.deepEqual((await run(writeModel(model))).outputs, before.outputs);
  });
});
