/**
 * Our interpreter against the real TFLite runtime on the quantizer's integer
 * models: the same integer inputs must give the same integer outputs. The
 * project's kernels follow TFLite Micro's reference kernels; the real
 * runtime runs XNNPACK, whose int8 kernels may round a requantization
 * differently, so at most 1 LSB of difference is allowed and every differing
 * value is counted and printed.
 *
 * A model whose ops the interpreter does not implement yet is reported as
 * pending with the reason (the int8/int16 kernels come with the interpreter
 * work); it is never counted as a pass.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { Interpreter } from '../../src/runtime/interpreter';
import { quantizeModel } from '../../src/optimize/quantize';
import { mulberry32 } from '../../src/model/random';
import { isTinymlError } from '../../src/errors';
import { TfliteOracle } from './tflite-runtime';
import { seededInput, seedWeights } from '../helpers/models';

const ACTIVATIONS = ['relu', 'relu6', 'tanh', 'sigmoid', 'softmax', 'linear'] as const;

function integerInputs(n: number, count: number, bits: 8 | 16, seed: number): number[][] {
  const rand = mulberry32(seed);
  const lo = bits === 8 ? -128 : -32768;
  const span = bits === 8 ? 256 : 65536;
  return Array.from({ length: count }, () =>
    Array.from({ length: n }, () => lo + Math.floor(rand() * span)),
  );
}

describe('quantize: our interpreter against the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const [i, activation] of ACTIVATIONS.entries()) {
    for (const mode of ['int8', 'int16x8'] as const) {
      it(`dense ${activation}, ${mode}: integer outputs equal within 1 LSB`, async function () {
        const model = tf.sequential({
          layers: [
            tf.layers.dense({ inputShape: [5], units: 8, activation }),
            tf.layers.dense({ units: 4, activation }),
          ],
        });
        seedWeights(model, 100 + i, 1);
        const calib = Array.from({ length: 64 }, (_, k) =>
          Array.from(seededInput([5], 1000 + k, 2)),
        );
        const io = mode === 'int8' ? 'int8' : 'int16';
        const q = quantizeModel(writeModel(convertLayersModel(model)), calib, { mode, io });
        let interp: Interpreter;
        try {
          interp = new Interpreter(q.bytes);
        } catch (err) {
          if (!isTinymlError(err)) throw err;
          console.log(`      pending: ${err.message.split(';')[0]}`);
          this.skip();
        }
        let differing = 0;
        let values = 0;
        for (const x of integerInputs(5, 50, mode === 'int8' ? 8 : 16, 40 + i)) {
          const real = await oracle.run(q.bytes, [x]);
          interp.setInput(0, x);
          interp.invoke();
          const ours = interp.outputs[0].data as Int8Array | Int16Array;
          real.outputs[0].data.forEach((v, j) => {
            values++;
            const d = Math.abs(v - ours[j]);
            assert.ok(d <= 1, `output ${j}: TFLite ${v}, ours ${ours[j]} for input [${x}]`);
            if (d > 0) differing++;
          });
        }
        console.log(`      ${differing} of ${values} values differ by 1 LSB`);
      });
    }
  }
});
