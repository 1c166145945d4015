/**
 * Quantized models as files: calibration against TensorFlow.js's own
 * intermediate activations, and the structure every mode must have by the
 * TFLite quantization specification and TF's op versioning.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { opName, type TensorDef, type TfliteModel } from '../../src/tflite/model';
import { calibrate, quantizeModel } from '../../src/optimize/quantize';
import { float16Bits } from '../../src/optimize/quantize/arithmetic';
import { seededInput, seedWeights } from '../helpers/models';

/** input[6] → dense(8, relu) → dense(4) → softmax, with seeded weights. */
function smallModel(): { bytes: Uint8Array; tfModel: tf.LayersModel } {
  const input = tf.input({ shape: [6] });
  const h = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }).apply(input);
  const logits = tf.layers.dense({ units: 4, name: 'logits' }).apply(h);
  const probs = tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(logits);
  const tfModel = tf.model({ inputs: input, outputs: probs as tf.SymbolicTensor });
  seedWeights(tfModel, 41, 0.8);
  return { bytes: writeModel(convertLayersModel(tfModel)), tfModel };
}

const samples = Array.from({ length: 40 }, (_, i) => Array.from(seededInput([6], 500 + i, 3)));

function tensorNamed(m: TfliteModel, name: string): TensorDef {
  const t = m.subgraphs[0].tensors.find((x) => x.name === name);
  assert.ok(t, `tensor ${name}`);
  return t;
}

function versions(m: TfliteModel): Record<string, number> {
  return Object.fromEntries(m.operatorCodes.map((c) => [opName(c.builtinCode), c.version]));
}

function opSequence(m: TfliteModel): string[] {
  return m.subgraphs[0].operators.map((op) => opName(m.operatorCodes[op.opcodeIndex].builtinCode));
}

describe('quantize: models', function () {
  this.timeout(30000);
  const { bytes, tfModel } = smallModel();
  const float = readModel(bytes);

  it('calibrates every activation to the range TensorFlow.js computes', () => {
    const cal = calibrate(float, samples);
    const names = ['hidden', 'logits', 'probs'];
    const probe = tf.model({
      inputs: tfModel.inputs,
      outputs: names.map((n) => tfModel.getLayer(n).output as tf.SymbolicTensor),
    });
    const outs = probe.predict(tf.tensor2d(samples)) as tf.Tensor[];
    const sg = float.subgraphs[0];
    names.forEach((n, i) => {
      const values = outs[i].dataSync();
      const want = { min: Math.min(...values), max: Math.max(...values) };
      const idx = sg.tensors.findIndex((t) => t.name === n);
      const got = cal.ranges.get(idx)!;
      assert.ok(Math.abs(got.min - want.min) <= 1e-5, `${n} min ${got.min} vs ${want.min}`);
      assert.ok(Math.abs(got.max - want.max) <= 1e-5, `${n} max ${got.max} vs ${want.max}`);
    });
    const inputRange = cal.ranges.get(sg.inputs[0])!;
    const flat = samples.flat();
    assert.equal(inputRange.min, Math.fround(Math.min(...flat)));
    assert.equal(cal.samples, 40);
  });

  it('int8: weights, biases and activations follow the quantization spec', () => {
    const q = quantizeModel(bytes, samples, { mode: 'int8' }).model;
    const sg = q.subgraphs[0];
    assert.deepEqual(opSequence(q), [
      'QUANTIZE',
      'FULLY_CONNECTED',
      'FULLY_CONNECTED',
      'SOFTMAX',
      'DEQUANTIZE',
    ]);
    // Versions as TF's op_version.cc sets them for int8.
    assert.deepEqual(versions(q), { QUANTIZE: 1, FULLY_CONNECTED: 4, SOFTMAX: 2, DEQUANTIZE: 2 });
    for (const op of sg.operators.filter((o) => q.operatorCodes[o.opcodeIndex].version === 4)) {
      const [x, w, b] = op.inputs.map((i) => sg.tensors[i]);
      const y = sg.tensors[op.outputs[0]];
      assert.equal(x.type, 'int8');
      assert.equal(y.type, 'int8');
      assert.equal(w.type, 'int8');
      assert.deepEqual(w.quantization!.zeroPoint, [0], 'weights are symmetric');
      const wq = new Int8Array(
        q.buffers[w.buffer].data.buffer,
        q.buffers[w.buffer].data.byteOffset,
      );
      assert.ok(
        wq.every((v) => v >= -127),
        'weights never use -128',
      );
      assert.equal(Math.max(...Array.from(wq, Math.abs)), 127, 'per-tensor scale uses the range');
      assert.equal(b.type, 'int32');
      assert.deepEqual(b.quantization!.scale, [
        Math.fround(x.quantization!.scale[0] * w.quantization!.scale[0]),
      ]);
      assert.deepEqual(b.quantization!.zeroPoint, [0]);
    }
    // Fused ReLU: the hidden layer's range starts at 0, so zero is -128.
    assert.equal(tensorNamed(q, 'hidden').quantization!.zeroPoint[0], -128);
    // SOFTMAX output fixed by the spec: scale 1/256, zero point -128.
    assert.deepEqual(tensorNamed(q, 'probs_int8').quantization!.scale, [1 / 256]);
    assert.deepEqual(tensorNamed(q, 'probs_int8').quantization!.zeroPoint, [-128]);
    // Float interface unchanged; no float weights left in the file.
    assert.equal(tensorNamed(q, 'probs').type, 'float32');
    assert.equal(sg.tensors[sg.inputs[0]].type, 'float32');
    assert.ok(
      sg.tensors.every((t) => t.type !== 'float32' || q.buffers[t.buffer].data.length === 0),
    );
    assert.deepEqual(
      q.metadata.map((m) => m.name),
      ['tinyml'],
      'metadata carried over',
    );
  });

  it('int8 with int8 I/O has no QUANTIZE/DEQUANTIZE and integer model I/O', () => {
    const q = quantizeModel(bytes, samples, { mode: 'int8', io: 'int8' }).model;
    const sg = q.subgraphs[0];
    assert.deepEqual(opSequence(q), ['FULLY_CONNECTED', 'FULLY_CONNECTED', 'SOFTMAX']);
    assert.equal(sg.tensors[sg.inputs[0]].type, 'int8');
    assert.equal(sg.tensors[sg.outputs[0]].type, 'int8');
    assert.equal(sg.tensors[sg.outputs[0]].name, 'probs', 'output keeps its name');
  });

  it('int8 per-channel dense: one scale per output unit, biases per channel', () => {
    const q = quantizeModel(bytes, samples, { mode: 'int8', perChannelDense: true }).model;
    const w = tensorNamed(q, 'hidden/kernel');
    const b = tensorNamed(q, 'hidden/bias');
    assert.equal(w.quantization!.scale.length, 8);
    assert.equal(w.quantization!.quantizedDimension, 0);
    assert.equal(b.quantization!.scale.length, 8);
    const inScale = tensorNamed(q, 'input1_int8').quantization!.scale[0];
    b.quantization!.scale.forEach((s, c) =>
      assert.equal(s, Math.fround(inScale * w.quantization!.scale[c])),
    );
  });

  it('int16x8: symmetric int16 activations, int8 weights, int64 biases', () => {
    const q = quantizeModel(bytes, samples, { mode: 'int16x8', io: 'int16' }).model;
    const sg = q.subgraphs[0];
    // op_version.cc as written: SOFTMAX 3 for int16; its FULLY_CONNECTED int16
    // clause tests int16 weights, so 16x8 (int8 weights) stays at version 1.
    assert.deepEqual(versions(q), { FULLY_CONNECTED: 1, SOFTMAX: 3 });
    for (const t of sg.tensors) {
      const constant = q.buffers[t.buffer].data.length > 0;
      if (!constant) {
        assert.equal(t.type, 'int16', t.name);
        assert.deepEqual(t.quantization!.zeroPoint, [0], `${t.name} is symmetric`);
      }
    }
    assert.equal(tensorNamed(q, 'hidden/bias').type, 'int64');
    assert.equal(tensorNamed(q, 'hidden/kernel').type, 'int8');
    assert.deepEqual(tensorNamed(q, 'probs').quantization!.scale, [1 / 32768]);
  });

  it('float16: every float constant stored as binary16 behind a DEQUANTIZE', () => {
    const q = quantizeModel(bytes, undefined, { mode: 'float16' }).model;
    const sg = q.subgraphs[0];
    assert.deepEqual(opSequence(q).slice(0, 4), Array(4).fill('DEQUANTIZE'));
    assert.equal(versions(q).DEQUANTIZE, 3);
    const kernel = tensorNamed(q, 'hidden/kernel');
    assert.equal(kernel.type, 'float16');
    const original = tensorNamed(float, 'hidden/kernel');
    const f32 = new Float32Array(float.buffers[original.buffer].data.slice().buffer);
    const f16 = new Uint16Array(q.buffers[kernel.buffer].data.slice().buffer);
    f32.forEach((v, i) => assert.equal(f16[i], float16Bits(v)));
    assert.ok(
      sg.tensors.every((t) => t.type !== 'float32' || q.buffers[t.buffer].data.length === 0),
    );
  });

  it('dynamic range: int8 weights, float biases and activations, hybrid versions', () => {
    const q = quantizeModel(bytes, undefined, { mode: 'dynamic' }).model;
    assert.equal(versions(q).FULLY_CONNECTED, 9);
    assert.equal(tensorNamed(q, 'hidden/kernel').type, 'int8');
    assert.equal(tensorNamed(q, 'hidden/bias').type, 'float32');
    assert.equal(tensorNamed(q, 'hidden').type, 'float32');
    const fc = q.subgraphs[0].operators[0];
    assert.equal(fc.options?.asymmetricQuantizeInputs, true);
  });

  it('refuses bad requests with one clear error', () => {
    assert.throws(
      () => quantizeModel(bytes, undefined, { mode: 'int8' }),
      /mode int8 needs calibration data/,
    );
    assert.throws(
      () => quantizeModel(bytes, samples, { mode: 'int8', io: 'int16' }),
      /io int16 does not fit mode int8; expected float32 or int8/,
    );
    assert.throws(
      () => quantizeModel(bytes, samples, { mode: 'int4' }),
      /options.mode must be one of/,
    );
    assert.throws(() => quantizeModel(bytes, samples, { bogus: 1 }), /unknown field "bogus"/);
    assert.throws(
      () => quantizeModel(bytes, [[1, 2, 3]], { mode: 'int8' }),
      /calibration sample 0 has 3 values; input "input1" \(shape \[1,6\]\) takes 6/,
    );
    const q = quantizeModel(bytes, samples, { mode: 'int8', io: 'int8' }).bytes;
    assert.throws(
      () => quantizeModel(q, samples, { mode: 'int8' }),
      /expected a float32 model, but tensor "input1" is int8 \(is the model already quantized\?\)/,
    );
  });
});
