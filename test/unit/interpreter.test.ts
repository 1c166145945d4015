import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { BuiltinOperator } from '../../src/tflite/model';
import { writeModel } from '../../src/tflite/writer';
import { Interpreter } from '../../src/runtime/interpreter';
import { runJson } from '../../src/runtime/io';
import { planArena } from '../../src/runtime/memory';
import { anyBuffersOverlap } from '../../src/runtime/planner';
import { OpResolver } from '../../src/runtime/resolver';
import { fullyConnected } from '../../src/runtime/kernels/fully-connected';
import { ValidationError, UnsupportedError, TinymlError } from '../../src/errors';
import { sharedModel } from '../helpers/paths';
import { readGreyBmp } from '../helpers/bmp';

function floorModModel(): Uint8Array {
  const g = new GraphBuilder();
  const a = g.addTensor('a', [1, 4]);
  const b = g.addTensor('b', [1, 4]);
  const y = g.addTensor('y', [1, 4]);
  g.addOperator(BuiltinOperator.FLOOR_MOD, [a, b], [y]);
  const z = g.addTensor('z', [1, 4]);
  g.addOperator(BuiltinOperator.ADD, [y, b], [z]);
  return writeModel(g.finish([a, b], [z], 'floor_mod then add'));
}

describe('interpreter', () => {
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

  it('gives the int8 value the real TFLite runtime gives for hello_world_int8 at -63 (125, ORACLES.md)', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_int8.tflite')));
    interp.setInput(0, [-63]);
    interp.invoke();
    assert.equal(interp.outputs[0].data[0], 125);
  });

  it('lays tensors out in one arena without overlapping live buffers', () => {
    for (const name of [
      'hello_world_float.tflite',
      'person_detect.tflite',
      'micro_speech_quantized.tflite',
    ]) {
      const interp = new Interpreter(readFileSync(sharedModel(name)));
      assert.ok(interp.layout.arenaBytes > 0);
      const { requests, offsets, arenaBytes } = interp.layout;
      assert.equal(anyBuffersOverlap(requests, { offsets, arenaBytes }), false, name);
      for (let i = 0; i < requests.length; i++) {
        assert.ok(offsets[i] % 16 === 0 && offsets[i] + requests[i].size <= arenaBytes, name);
      }
    }
  });

  it('gives the same value for every op on the SIMD and the portable kernels (person_detect)', () => {
    // The portable kernels are the ones checked against TFLM's goldens op by op.
    const bytes = readFileSync(sharedModel('person_detect.tflite'));
    const simd = new Interpreter(bytes);
    const plain = new Interpreter(bytes, { simd: false });
    assert.ok(simd.simd && !plain.simd);
    const { pixels } = readGreyBmp(readFileSync(sharedModel('testdata/person.bmp')));
    const image = Array.from(new Int8Array(pixels.buffer, pixels.byteOffset, pixels.length));
    simd.setInput(0, image);
    plain.setInput(0, image);
    const ops = simd.model.subgraphs[0].operators;
    for (let i = 0; i < ops.length; i++) {
      simd.invokeOperator(i);
      plain.invokeOperator(i);
      const t = ops[i].outputs[0];
      assert.deepEqual(
        Array.from(simd.tensors[t].data as Int8Array),
        Array.from(plain.tensors[t].data as Int8Array),
        `operator ${i}`,
      );
    }
  });

  it('allocates the arena that planArena (and so inspect) reports', () => {
    const bytes = readFileSync(sharedModel('keyword_scrambled_8bit.tflite'));
    const interp = new Interpreter(bytes);
    const planned = planArena(interp.model);
    assert.equal(interp.arena.length, planned.arenaBytes);
    assert.deepEqual(interp.layout.offsets, planned.offsets);
    // TFLM's SVDF asks for two int32 scratch buffers per operator
    // (svdf_common.cc); what only the SIMD path needs (its int8 feature
    // activations) lives outside the arena, so the arena is TFLM's: 672 bytes.
    assert.equal(planned.scratchOffsets.length, 14);
    assert.equal(planned.arenaBytes, 672);
    const plain = new Interpreter(bytes, { simd: false });
    assert.deepEqual(plain.layout.offsets, planned.offsets);
    assert.ok(interp.simd && !plain.simd);
  });

  it("keeps the SIMD kernels' im2col rows out of the arena (a 3x3 int8 convolution)", () => {
    const g = new GraphBuilder();
    const q = (scale: number, zeroPoint: number) => ({
      scale: [scale],
      zeroPoint: [zeroPoint],
      quantizedDimension: 0,
    });
    const x = g.addTensor('x', [1, 8, 8, 4], 'int8', undefined, q(0.05, -3));
    const w = g.addTensor(
      'w',
      [6, 3, 3, 4],
      'int8',
      Int8Array.from({ length: 216 }, (_, i) => ((i * 37) % 255) - 127),
      q(0.01, 0),
    );
    const b = g.addTensor(
      'b',
      [6],
      'int32',
      Int32Array.from([5, -9, 100, 0, -40, 7]),
      q(0.0005, 0),
    );
    const y = g.addTensor('y', [1, 8, 8, 6], 'int8', undefined, q(0.1, 2));
    g.addOperator(BuiltinOperator.CONV_2D, [x, w, b], [y], {
      type: 'Conv2DOptions',
      padding: 'SAME',
      strideW: 1,
      strideH: 1,
      fusedActivationFunction: 'NONE',
    });
    const bytes = writeModel(g.finish([x], [y], 'conv'));
    const simd = new Interpreter(bytes);
    const plain = new Interpreter(bytes, { simd: false });
    assert.equal(simd.layout.arenaBytes, plain.layout.arenaBytes);
    assert.equal(simd.layout.arenaBytes, 256 + 384);
    const input = Array.from({ length: 256 }, (_, i) => ((i * 53) % 256) - 128);
    simd.setInput(0, input);
    plain.setInput(0, input);
    simd.invoke();
    plain.invoke();
    assert.deepEqual(
      Array.from(simd.outputs[0].data as Int8Array),
      Array.from(plain.outputs[0].data as Int8Array),
    );
  });

  it('fails at load time naming an unsupported op and the model op list', () => {
    assert.throws(
      () => new Interpreter(floorModModel()),
      (err: Error) =>
        err instanceof UnsupportedError &&
        /op FLOOR_MOD is not supported.*the model uses FLOOR_MOD, ADD; supported: .*FULLY_CONNECTED/.test(
          err.message,
        ),
    );
  });

  it('runs only the ops an explicit resolver registers, and refuses duplicates', () => {
    const resolver = new OpResolver().add(BuiltinOperator.FULLY_CONNECTED, fullyConnected);
    const bytes = readFileSync(sharedModel('micro_speech_quantized.tflite'));
    assert.throws(
      () => new Interpreter(bytes, { resolver }),
      /op RESHAPE is not supported.*supported: FULLY_CONNECTED$/,
    );
    assert.throws(
      () => resolver.add(BuiltinOperator.FULLY_CONNECTED, fullyConnected),
      (e: Error) =>
        e instanceof TinymlError && /FULLY_CONNECTED is already registered/.test(e.message),
    );
  });

  it('refuses a model whose arena exceeds the limit', () => {
    assert.throws(
      () =>
        new Interpreter(readFileSync(sharedModel('person_detect.tflite')), { maxArenaBytes: 1000 }),
      /needs a 55296-byte arena; the limit is 1000/,
    );
  });

  it('quantizes real inputs and dequantizes outputs of an int8 model', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_int8.tflite')));
    const q = interp.inputs[0].quantization!;
    interp.setInputFloat(0, [1.57]);
    // round(1.57 / scale) + zero point, the same integer a QUANTIZE op gives.
    assert.equal(
      interp.inputs[0].data[0],
      Math.round(1.57 / Math.fround(q.scale[0])) + q.zeroPoint[0],
    );
    interp.invoke();
    const y = interp.outputFloat(0)[0];
    assert.ok(Math.abs(y - Math.sin(1.57)) < 0.05, `${y}`);
  });

  it('validates input counts and ranges with one clear error', () => {
    const interp = new Interpreter(readFileSync(sharedModel('hello_world_float.tflite')));
    assert.throws(
      () => runJson(interp, [1, 2]),
      (e: Error) => e instanceof ValidationError && /takes 1 values/.test(e.message),
    );
    assert.throws(() => runJson(interp, ['a']), ValidationError);
    assert.throws(() => runJson(interp, {}), ValidationError);
    const int8 = new Interpreter(readFileSync(sharedModel('hello_world_int8.tflite')));
    assert.throws(() => runJson(int8, [200]), /int8 input .* takes integers in \[-128, 127\]/);
  });

  it('keeps variable state across invokes and resets it (SVDF)', () => {
    const interp = new Interpreter(readFileSync(sharedModel('keyword_scrambled_8bit.tflite')));
    const state = interp.tensors.find((t) => t.isVariable)!;
    const zp = state.quantization!.zeroPoint[0];
    assert.ok((state.data as Int8Array).every((v) => v === zp));
    interp.setInput(0, new Array(96).fill(1000));
    interp.invoke();
    assert.ok((state.data as Int8Array).some((v) => v !== zp));
    interp.reset();
    assert.ok((state.data as Int8Array).every((v) => v === zp));
  });
});
