import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Interpreter } from '../../src/runtime/interpreter';
import { runJson } from '../../src/runtime/io';
import { anyBuffersOverlap } from '../../src/runtime/planner';
import { ValidationError, UnsupportedError } from '../../src/errors';
import { sharedModel } from '../helpers/paths';

describe('interpreter (float32)', () => {
  it("runs TFLM's hello_world_float.tflite within 0.05 of sin(x) (hello_world_test.cc)", () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_float.tflite')));
    for (const x of [0, 1, 3, 5]) {
      interp.setInput(0, [x]);
      interp.invoke();
      const y = interp.outputs[0].data[0] as number;
      assert.ok(Math.abs(y - Math.sin(x)) <= 0.05, `x=${x}: ${y}`);
    }
  });

  it('matches the real TFLite runtime on hello_world_float at x = 1 (0.8630, ORACLES.md)', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_float.tflite')));
    interp.setInput(0, [1]);
    interp.invoke();
    assert.ok(Math.abs((interp.outputs[0].data[0] as number) - 0.8630436) < 1e-5);
  });

  it('lays tensors out in one arena without overlapping live buffers', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_float.tflite')));
    assert.ok(interp.layout.arenaBytes > 0);
    const { requests, offsets, arenaBytes } = interp.layout;
    assert.equal(anyBuffersOverlap(requests, { offsets, arenaBytes }), false);
  });

  it('fails at load time naming an unsupported op and the model op list', () => {
    assert.throws(
      () => new Interpreter(readFileSync(sharedModel('simple_add_model.tflite'))),
      (err: Error) =>
        err instanceof UnsupportedError &&
        /op ADD is not supported.*the model uses ADD/.test(err.message),
    );
  });

  it('validates input counts and ranges with one clear error', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_float.tflite')));
    assert.throws(
      () => runJson(interp, [1, 2]),
      (e: Error) => e instanceof ValidationError && /takes 1 values/.test(e.message),
    );
    assert.throws(() => runJson(interp, ['a']), ValidationError);
    assert.throws(() => runJson(interp, {}), ValidationError);
  });
});
