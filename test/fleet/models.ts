/**
 * Models for fleet tests, all derived from TFLM's hello_world_float.tflite
 * (TensorFlow's converter output, 3 FULLY_CONNECTED): versions that differ
 * in their "tinyml" metadata, padded ones (an extra unreferenced buffer of
 * seeded bytes) to make a transfer take many chunks, one whose bias is NaN
 * (loads, but its self-test gives NaN), and one too big for an ESP32 slot.
 */
import { readFileSync } from 'node:fs';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import { setMetadata } from '../../src/tflite/metadata';
import { mulberry32 } from '../../src/model/random';
import { sharedModel } from '../helpers/paths';

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
