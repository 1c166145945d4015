import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { BuiltinOperator, operatorName } from '../../src/tflite/model';
import { TfliteFormatError } from '../../src/errors';
import { sharedModel } from '../helpers/paths';

describe('tflite reader', () => {
  it('reads TFLM hello_world_float.tflite (TensorFlow converter output): 3 FULLY_CONNECTED', () => {
    const model = readModel(readFileSync(sharedModel('hello_world_float.tflite')));
    const sg = model.subgraphs[0];
    assert.deepEqual(
      sg.operators.map((op) => operatorName(model, op)),
      ['FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED'],
    );
    assert.deepEqual(sg.tensors[sg.inputs[0]].shape, [1, 1]);
    assert.equal(sg.tensors[sg.inputs[0]].type, 'float32');
  });

  it('reads the int8 hello_world with its quantization parameters', () => {
    const model = readModel(readFileSync(sharedModel('hello_world_int8.tflite')));
    const sg = model.subgraphs[0];
    const input = sg.tensors[sg.inputs[0]];
    assert.equal(input.type, 'int8');
    assert.equal(input.quantization?.scale.length, 1);
    assert.ok(input.quantization!.scale[0] > 0);
  });

  it('round-trips TensorFlow-made models: read(write(read(f))) equals read(f)', () => {
    for (const name of [
      'hello_world_float.tflite',
      'hello_world_int8.tflite',
      'micro_speech_quantized.tflite',
      'person_detect.tflite',
      'keyword_scrambled_8bit.tflite',
      'simple_add_model.tflite',
      ...['conv', 'add', 'pad'].flatMap((k) => [0, 1, 2, 3].map((i) => `seanet/${k}${i}.tflite`)),
    ]) {
      const model = readModel(readFileSync(sharedModel(name)));
      assert.deepEqual(readModel(writeModel(model)), model, name);
    }
  });

  it('keeps SPLIT_V num_splits, SHAPE out_type and L2_NORMALIZATION activation through a rewrite', () => {
    // TFLite's SPLIT_V checks num_splits against its outputs: a float16 or
    // dynamic-range rewrite of a TF model must not drop it.
    const g = new GraphBuilder();
    const x = g.addTensor('x', [1, 6]);
    const sizes = g.int32('sizes', [2, 4]);
    const axis = g.int32('axis', [1], []);
    const [a, b] = [g.addTensor('a', [1, 2]), g.addTensor('b', [1, 4])];
    g.addOperator(BuiltinOperator.SPLIT_V, [x, sizes, axis], [a, b], {
      type: 'SplitVOptions',
      numSplits: 2,
    });
    const shape = g.addTensor('shape', [2], 'int32');
    g.addOperator(BuiltinOperator.SHAPE, [x], [shape], { type: 'ShapeOptions', outType: 'int32' });
    const n = g.addTensor('n', [1, 4]);
    g.addOperator(BuiltinOperator.L2_NORMALIZATION, [b], [n], {
      type: 'L2NormOptions',
      fusedActivationFunction: 'RELU',
    });
    const back = readModel(writeModel(g.finish([x], [a, shape, n], 'options')));
    const options = back.subgraphs[0].operators.map((op) => op.options);
    assert.deepEqual(options, [
      { type: 'SplitVOptions', numSplits: 2 },
      { type: 'ShapeOptions', outType: 'int32' },
      { type: 'L2NormOptions', fusedActivationFunction: 'RELU' },
    ]);
  });

  it('rejects a file without the TFL3 identifier', () => {
    const bytes = new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite')));
    bytes[4] = 0x58;
    assert.throws(
      () => readModel(bytes),
      (err: Error) => err instanceof TfliteFormatError && /identifier/.test(err.message),
    );
  });

  it('rejects a truncated file with an error that says where', () => {
    const bytes = readFileSync(sharedModel('hello_world_float.tflite'));
    assert.throws(
      () => readModel(bytes.subarray(0, bytes.length / 2)),
      (err: Error) => err instanceof TfliteFormatError && /byte \d+/.test(err.message),
    );
  });

  it('rejects non-model input types and tiny files', () => {
    assert.throws(() => readModel(new Uint8Array(3)), TfliteFormatError);
    assert.throws(() => readModel('x' as unknown as Uint8Array), TfliteFormatError);
  });
});
