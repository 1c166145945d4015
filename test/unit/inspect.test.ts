/**
 * inspect on the real models TensorFlow's converter made (TFLM's examples):
 * op lists, the op resolver TFLM's own examples register, MACs worked out by
 * hand from the published architectures, and planned arenas no larger than
 * the arenas TFLM's examples give the interpreter.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { formatInspect, inspectModel, type InspectReport } from '../../src/tflite/inspect';
import { convertLayersModel } from '../../src/tflite/convert';
import { seedWeights } from '../helpers/models';
import { sharedModel } from '../helpers/paths';

function inspectFile(name: string): InspectReport {
  const bytes = readFileSync(sharedModel(name));
  return inspectModel(readModel(bytes), bytes.length);
}

function opList(r: InspectReport): string[] {
  return r.ops.map((o) => o.op);
}

describe('inspect: real TFLM models', () => {
  it('micro_speech: ops, the resolver of micro_speech_test.cc, MACs, arena within 28,584 bytes', () => {
    const r = inspectFile('micro_speech_quantized.tflite');
    assert.deepEqual(opList(r), ['RESHAPE', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
    // micro_speech_test.cc registers AddReshape, AddFullyConnected,
    // AddDepthwiseConv2D, AddSoftmax in a MicroMutableOpResolver<4>.
    assert.deepEqual([...r.tflm.resolver].sort(), [
      'AddDepthwiseConv2D',
      'AddFullyConnected',
      'AddReshape',
      'AddSoftmax',
    ]);
    assert.match(r.tflm.code, /^tflite::MicroMutableOpResolver<4> op_resolver;/);
    assert.deepEqual(r.tflm.unsupported, []);
    // tiny_conv: 8 filters of 10x8, stride 2, over 49x40 -> 25x20x8 outputs,
    // then 4000 -> 4 fully connected, softmax over 4.
    assert.deepEqual(
      r.ops.map((o) => o.macs),
      [0, 25 * 20 * 8 * 10 * 8, 4 * 4000, 4],
    );
    assert.equal(r.macs, 336004);
    assert.equal(r.flashBytes, 18800);
    assert.ok(r.arenaBytes > 0 && r.arenaBytes <= 28584, `arena ${r.arenaBytes}`);
    // The largest activation, [1, 25, 20, 8] int8, must fit in the arena.
    assert.ok(r.arenaBytes >= 25 * 20 * 8);
  });

  it('person_detect: MobileNet v1 0.25 op counts, the resolver of person_detection, arena within 136 KB', () => {
    const r = inspectFile('person_detect.tflite');
    assert.deepEqual(r.opCounts, {
      DEPTHWISE_CONV_2D: 14,
      CONV_2D: 14,
      AVERAGE_POOL_2D: 1,
      RESHAPE: 1,
      SOFTMAX: 1,
    });
    // person_detection/main_functions.cc: MicroMutableOpResolver<5> with
    // AddAveragePool2D, AddConv2D, AddDepthwiseConv2D, AddReshape, AddSoftmax.
    assert.deepEqual(r.tflm.resolver, [
      'AddAveragePool2D',
      'AddConv2D',
      'AddDepthwiseConv2D',
      'AddReshape',
      'AddSoftmax',
    ]);
    assert.ok(r.arenaBytes <= 136 * 1024, `arena ${r.arenaBytes}`);
    // Two live 48x48x16 int8 activations are the peak of a MobileNet at 96x96.
    assert.ok(r.arenaBytes >= 48 * 48 * 8 + 48 * 48 * 16);
    const conv = r.ops[2]; // 1x1 pointwise, 8 -> 16 channels at 48x48
    assert.equal(conv.op, 'CONV_2D');
    assert.equal(conv.macs, 48 * 48 * 16 * 8);
    assert.equal(r.inputs[0].dtype, 'int8');
    assert.deepEqual(r.inputs[0].shape, [1, 96, 96, 1]);
  });

  it('hello_world: 321 parameters as in the Keras model, arena within the example 3,000 bytes', () => {
    for (const name of ['hello_world_float.tflite', 'hello_world_int8.tflite']) {
      const r = inspectFile(name);
      assert.deepEqual(opList(r), ['FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED']);
      assert.equal(r.params, 1 * 16 + 16 + 16 * 16 + 16 + 16 * 1 + 1);
      assert.equal(r.macs, 16 + 256 + 16);
      assert.ok(r.arenaBytes <= 3000, `${name}: arena ${r.arenaBytes}`); // hello_world_test.cc
    }
  });

  it('keyword benchmark and the single-op models: op counts and TFLM kernels', () => {
    const kws = inspectFile('keyword_scrambled_8bit.tflite');
    assert.deepEqual(kws.opCounts, { QUANTIZE: 2, SVDF: 7, FULLY_CONNECTED: 5, SOFTMAX: 1 });
    assert.deepEqual(kws.tflm.unsupported, []);
    const add = inspectFile('simple_add_model.tflite');
    assert.deepEqual(opList(add), ['ADD']);
    // Both [1,128,128,1] int8 inputs and the output are alive at the one step.
    assert.equal(add.arenaBytes, 3 * 128 * 128);
    assert.equal(add.macs, 128 * 128);
    for (const name of ['seanet/conv0.tflite', 'seanet/add0.tflite', 'seanet/pad0.tflite']) {
      const r = inspectFile(name);
      assert.equal(r.ops.length, 1, name);
      assert.equal(r.inputs[0].dtype, 'int16', name);
    }
  });

  it('reports tensors with quantization, and arena offsets only for arena tensors, inside the arena', () => {
    const r = inspectFile('micro_speech_quantized.tflite');
    const input = r.inputs[0];
    assert.equal(input.dtype, 'int8');
    assert.equal(input.quantization?.scale.length, 1);
    const weights = r.tensors.find((t) => t.constant && t.shape.length === 4)!;
    assert.equal(weights.arenaOffset, undefined);
    const inArena = r.tensors.filter((t) => t.arenaOffset !== undefined);
    assert.ok(inArena.length >= 4);
    for (const t of inArena) assert.ok(t.arenaOffset! + t.bytes <= r.arenaBytes);
  });
});

/**
 * TFLM's own figure for each model: the non-persistent (planned) bytes of the
 * arena after AllocateTensors, measured with tflite-micro's
 * RecordingMicroInterpreter and reference kernels, built for the host outside
 * this project (see test/fixtures/tflm-goldens/README.md). The planned section
 * does not depend on the pointer size, so x86-64 gives what a 32-bit MCU gets.
 */
const TFLM_PLANNED_BYTES: Record<string, number> = {
  'hello_world_float.tflite': 128,
  'hello_world_int8.tflite': 32,
  'micro_speech_quantized.tflite': 5968,
  'person_detect.tflite': 55296,
  'keyword_scrambled_8bit.tflite': 672,
  'simple_add_model.tflite': 49152,
  'seanet/conv0.tflite': 10432,
  'seanet/conv1.tflite': 15488,
  'seanet/add0.tflite': 1920,
  'seanet/add1.tflite': 13824,
  'seanet/pad0.tflite': 2608,
  'seanet/pad3.tflite': 10368,
};

describe('inspect: planned arena against TFLM', () => {
  it("equals TFLM's planned bytes, scratch buffers included", () => {
    for (const [name, tflm] of Object.entries(TFLM_PLANNED_BYTES)) {
      assert.equal(inspectFile(name).arenaBytes, tflm, name);
    }
  });
});

describe('inspect: converted models', () => {
  it('counts MACs of conv, depthwise, pool and dense from the layer shapes', () => {
    const L = tf.layers;
    const model = tf.sequential({
      layers: [
        L.conv2d({ inputShape: [10, 10, 3], filters: 8, kernelSize: 3, activation: 'relu' }),
        L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dense({ units: 5, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 5);
    const bytes = writeModel(
      convertLayersModel(model, { metadata: { name: 'kws', version: '3', labels: ['a', 'b'] } }),
    );
    const r = inspectModel(readModel(bytes), bytes.length);
    assert.deepEqual(opList(r), [
      'CONV_2D',
      'DEPTHWISE_CONV_2D',
      'MAX_POOL_2D',
      'RESHAPE',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ]);
    assert.deepEqual(
      r.ops.map((o) => o.macs),
      [8 * 8 * 8 * 3 * 3 * 3, 8 * 8 * 8 * 3 * 3, 4 * 4 * 8 * 2 * 2, 0, 5 * 128, 5],
    );
    // Keras counts (3*3*3+1)*8 + (3*3+1)*8 + (128+1)*5 trainable parameters.
    assert.equal(r.params, 224 + 80 + 645);
    assert.equal(r.paramBytes, 4 * r.params);
    assert.equal(r.metadata?.name, 'kws');
    const text = formatInspect(r);
    assert.match(text, /model {8}kws 3/);
    assert.match(text, /labels {7}a, b/);
    assert.match(text, /MACs {9}\d/);
    assert.match(text, /op_resolver\.AddConv2D\(\);/);
    model.dispose();
  });
});
