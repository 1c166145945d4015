/**
 * Models for fleet tests, all derived from TFLM's hello_world_float.tflite
 * (TensorFlow's converter output, 3 FULLY_CONNECTED): versions that differ
 * in their "tinyml" metadata, padded ones (an extra unreferenced buffer of
 * seeded bytes) to make a transfer take many chunks, one whose bias is NaN
 * (loads, but its self-test gives NaN), and one too big for an ESP32 slot;
 * and a small labelled classifier made by the project's converter.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { BuiltinOperator } from '../../src/tflite/model';
import { setMetadata } from '../../src/tflite/metadata';
import { mulberry32 } from '../../src/model/random';
import { sharedModel } from '../helpers/paths';
import { predict, seedWeights } from '../helpers/models';

export function sineModel(version: string, padBytes = 0, seed = 1): Uint8Array {
  const model = readModel(new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite'))));
  setMetadata(model, { name: 'sine', version });
  if (padBytes > 0) {
    const rand = mulberry32(seed);
    const pad = new Uint8Array(padBytes);
    for (let i = 0; i < padBytes; i++) pad[i] = Math.floor(rand() * 256);
    model.buffers.push({ data: pad });
  }
  return writeModel(model);
}

/**
 * A valid one-op model (LOG) that the project's interpreter, and so every
 * simulated device, does not register.
 */
export function unsupportedOpModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.addTensor('x', [1, 4]);
  const y = g.addTensor('y', [1, 4]);
  g.addOperator(BuiltinOperator.LOG, [x], [y]);
  return writeModel(g.finish([x], [y], 'log'));
}

/** Loads and validates, but every output of its self-test is NaN. */
export function nanModel(version: string): Uint8Array {
  const model = readModel(new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite'))));
  setMetadata(model, { name: 'sine', version });
  const sg = model.subgraphs[0];
  const last = sg.operators[sg.operators.length - 1];
  const bias = sg.tensors[last.inputs[2]];
  const nan = new Float32Array(model.buffers[bias.buffer].data.length / 4).fill(NaN);
  model.buffers[bias.buffer] = { data: new Uint8Array(nan.buffer) };
  return writeModel(model);
}

/**
 * A 3-class classifier (Dense 4 → 8 relu → 3 softmax, seeded weights)
 * converted by the project's converter, with labels in its metadata, and
 * TensorFlow.js's own prediction for `input` as the reference.
 */
export function classifier(input: number[]): { bytes: Uint8Array; reference: number[] } {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 42, 1);
  const bytes = writeModel(
    convertLayersModel(model, {
      metadata: {
        name: 'cls',
        version: '1',
        labels: ['cat', 'dog', 'bird'],
        task: 'classification',
      },
    }),
  );
  const reference = Array.from(predict(model, new Float32Array(input), [4]));
  model.dispose();
  return { bytes, reference };
}
