/**
 * Model metadata in the file (docs/formats.md): written by the converter,
 * read back by the reader, validated both ways.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import {
  encodeMetadata,
  METADATA_NAME,
  readMetadata,
  setMetadata,
  type ModelMetadata,
} from '../../src/tflite/metadata';
import { TfliteFormatError, ValidationError } from '../../src/errors';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/version';

function tinyModel(): tf.LayersModel {
  return tf.sequential({
    name: 'wake',
    layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })],
  });
}

describe('model metadata in the .tflite file', () => {
  it('carries name, description, version, labels, task, input scaling and producer', () => {
    const meta: ModelMetadata = {
      name: 'wake-word',
      description: 'two keywords',
      version: '1.2.0',
      labels: ['yes', 'no'],
      task: 'classification',
      inputScaling: { mean: [0.5, 1, 2], std: [0.25, 1, 4] },
    };
    const model = tinyModel();
    const bytes = writeModel(convertLayersModel(model, { metadata: meta }));
    const read = readMetadata(readModel(bytes));
    assert.deepEqual(read, { ...meta, producer: { name: PACKAGE_NAME, version: PACKAGE_VERSION } });
    // The entry is a plain Model.metadata buffer any TFLite runtime ignores.
    const tfl = readModel(bytes);
    assert.deepEqual(
      tfl.metadata.map((m) => m.name),
      [METADATA_NAME],
    );
    model.dispose();
  });

  it('names the model after the tfjs model when no name is given, min/max scaling', () => {
    const model = tinyModel();
    const tfl = convertLayersModel(model, { metadata: { inputScaling: { min: 0, max: 255 } } });
    const read = readMetadata(readModel(writeModel(tfl)))!;
    assert.equal(read.name, 'wake');
    assert.deepEqual(read.inputScaling, { min: 0, max: 255 });
    model.dispose();
  });

  it('refuses bad metadata when writing, with a ValidationError naming the field', () => {
    const bad: [ModelMetadata, RegExp][] = [
      [{ inputScaling: { mean: 1 } }, /metadata\.inputScaling .*std/],
      [{ inputScaling: { min: 1, max: 1 } }, /max \(1\) must be greater than min \(1\)/],
      [{ inputScaling: { mean: 0, std: 0 } }, /std must not be 0/],
      [{ inputScaling: { mean: [1, 2], std: [1, 2, 3] } }, /lists of different lengths/],
      [{ labels: 'a,b' as unknown as string[] }, /metadata\.labels must be an array/],
      [{ task: 'clustering' as ModelMetadata['task'] }, /metadata\.task must be one of/],
      [{ colour: 'red' } as unknown as ModelMetadata, /metadata has unknown field "colour"/],
    ];
    for (const [meta, pattern] of bad) {
      assert.throws(
        () => encodeMetadata(meta),
        (err: Error) => err instanceof ValidationError && pattern.test(err.message),
        JSON.stringify(meta),
      );
    }
  });

  it('refuses per-feature scaling that does not match the input features', () => {
    const model = tinyModel();
    assert.throws(
      () =>
        convertLayersModel(model, { metadata: { inputScaling: { mean: [1, 2], std: [1, 1] } } }),
      (err: Error) =>
        err instanceof ValidationError &&
        /inputScaling\.mean has 2 values; the model input \[1,3\] has 3 features/.test(err.message),
    );
    model.dispose();
  });

  it('refuses a file whose metadata is not valid JSON or not a valid document', () => {
    const model = tinyModel();
    const tfl = convertLayersModel(model);
    const entry = tfl.metadata.find((m) => m.name === METADATA_NAME)!;
    tfl.buffers[entry.buffer] = { data: new TextEncoder().encode('{"name": ') };
    assert.throws(
      () => readMetadata(readModel(writeModel(tfl))),
      (err: Error) => err instanceof TfliteFormatError && /not valid JSON/.test(err.message),
    );
    tfl.buffers[entry.buffer] = { data: new TextEncoder().encode('{"labels": [1, 2]}') };
    assert.throws(
      () => readMetadata(readModel(writeModel(tfl))),
      (err: Error) =>
        err instanceof TfliteFormatError && /labels\[0\] must be a string/.test(err.message),
    );
    model.dispose();
  });

  it('setMetadata replaces the entry in place', () => {
    const model = tinyModel();
    const tfl = convertLayersModel(model, { metadata: { version: '1' } });
    const buffers = tfl.buffers.length;
    setMetadata(tfl, { version: '2', labels: ['x', 'y'] });
    assert.equal(tfl.buffers.length, buffers);
    assert.deepEqual(readMetadata(readModel(writeModel(tfl))), {
      version: '2',
      labels: ['x', 'y'],
    });
    model.dispose();
  });
});
