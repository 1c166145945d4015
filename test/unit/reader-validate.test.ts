/**
 * Hostile and inconsistent files, each built on purpose: the reader must
 * refuse every one with a TfliteFormatError that says what is wrong and where.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as flatbuffers from 'flatbuffers';
import * as fb from '../../src/tflite/generated/tflite_generated';
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import type { TfliteModel } from '../../src/tflite/model';
import { TfliteFormatError } from '../../src/errors';
import { sharedModel } from '../helpers/paths';

function helloWorld(): TfliteModel {
  return readModel(readFileSync(sharedModel('hello_world_float.tflite')));
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readModel(bytes),
    (err: Error) => {
      assert.ok(err instanceof TfliteFormatError, `${err.name}: ${err.message}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

/** Writes `model` after `edit`, without the writer's help in keeping it valid. */
function edited(edit: (m: TfliteModel) => void): Uint8Array {
  const m = helloWorld();
  edit(m);
  return writeModel(m);
}

describe('tflite reader: consistency checks', () => {
  it('refuses a schema version other than 3', () => {
    rejects(
      edited((m) => (m.version = 2)),
      /schema version 2 is not supported \(this reader reads version 3\)/,
    );
  });

  it('refuses an operator whose opcode index is out of range', () => {
    rejects(
      edited((m) => (m.subgraphs[0].operators[1].opcodeIndex = 5)),
      /subgraph 0 operator 1 uses opcode index 5; the model has 1 operator codes/,
    );
  });

  it('refuses tensor indices out of range in operators and subgraph outputs', () => {
    rejects(
      edited((m) => (m.subgraphs[0].operators[2].inputs[1] = 99)),
      /subgraph 0 operator 2 \(FULLY_CONNECTED\) input 1 refers to tensor 99; the subgraph has 10 tensors/,
    );
    rejects(
      edited((m) => (m.subgraphs[0].outputs[0] = -3)),
      /subgraph 0 output 0 refers to tensor -3/,
    );
  });

  it('refuses constant data that does not match its tensor shape', () => {
    rejects(
      edited((m) => (m.subgraphs[0].tensors[1].shape = [16, 2])),
      /tensor 1 .*buffer \d+ holds 64 bytes, but shape \[16,2\] of float32 needs 128/,
    );
  });

  it('refuses a tensor too large for any runtime', () => {
    rejects(
      edited((m) => (m.subgraphs[0].tensors[0].shape = [65536, 65536])),
      /tensor 0 .* has shape \[65536,65536\]: 4294967296 elements, more than 2147483647/,
    );
  });

  it('refuses zero points outside their integer type', () => {
    const m = readModel(readFileSync(sharedModel('hello_world_int8.tflite')));
    m.subgraphs[0].tensors[0].quantization!.zeroPoint = [200];
    rejects(writeModel(m), /zero point 200 is outside the int8 range \[-128, 127\]/);
  });

  it('refuses a dataflow that cannot run in the listed order', () => {
    rejects(
      edited((m) => m.subgraphs[0].operators.reverse()),
      /operator 0 \(FULLY_CONNECTED\) input 0 reads tensor \d+ ".*" before any operator writes it/,
    );
    rejects(
      edited(
        (m) => (m.subgraphs[0].operators[1].outputs = [...m.subgraphs[0].operators[0].outputs]),
      ),
      /operator 1 \(FULLY_CONNECTED\) writes tensor \d+ ".*", already written by operator 0/,
    );
    rejects(
      edited((m) => (m.subgraphs[0].operators[0].outputs = [1])),
      /operator 0 \(FULLY_CONNECTED\) writes tensor 1 ".*", which is a constant/,
    );
  });

  it('refuses buffers stored outside the flatbuffer and a non-empty buffer 0', () => {
    rejects(
      edited((m) => (m.buffers[0] = { data: new Uint8Array([1, 2, 3, 4]) })),
      /buffers\[0\] must be the empty sentinel buffer/,
    );
    const builder = new flatbuffers.Builder(256);
    fb.Buffer.startBuffer(builder);
    fb.Buffer.addOffset(builder, 4096n);
    fb.Buffer.addSize(builder, 64n);
    const buffer = fb.Buffer.endBuffer(builder);
    const buffers = fb.Model.createBuffersVector(builder, [buffer]);
    const subgraphs = fb.Model.createSubgraphsVector(builder, []);
    fb.Model.startModel(builder);
    fb.Model.addVersion(builder, 3);
    fb.Model.addBuffers(builder, buffers);
    fb.Model.addSubgraphs(builder, subgraphs);
    fb.Model.finishModelBuffer(builder, fb.Model.endModel(builder));
    rejects(builder.asUint8Array(), /buffers\[0\] stores its data outside the flatbuffer/);
  });

  it('refuses tables shared many times over (decoding work bounded by the file size)', () => {
    // One tensor with a 4 KB name, referenced 20,000 times: an 84 KB file that
    // would decode to 80 MB of names.
    const builder = new flatbuffers.Builder(1 << 17);
    const name = builder.createString('x'.repeat(4096));
    const shape = fb.Tensor.createShapeVector(builder, [1]);
    fb.Tensor.startTensor(builder);
    fb.Tensor.addShape(builder, shape);
    fb.Tensor.addName(builder, name);
    const tensor = fb.Tensor.endTensor(builder);
    const tensors = fb.SubGraph.createTensorsVector(builder, new Array(20000).fill(tensor));
    fb.SubGraph.startSubGraph(builder);
    fb.SubGraph.addTensors(builder, tensors);
    const sg = fb.SubGraph.endSubGraph(builder);
    const subgraphs = fb.Model.createSubgraphsVector(builder, [sg]);
    fb.Model.startModel(builder);
    fb.Model.addVersion(builder, 3);
    fb.Model.addSubgraphs(builder, subgraphs);
    fb.Model.finishModelBuffer(builder, fb.Model.endModel(builder));
    const bytes = builder.asUint8Array();
    assert.ok(bytes.length < 100_000);
    rejects(bytes, /references far more data than the file holds/);
  });

  it('refuses a vector that claims more elements than the file holds, naming the byte', () => {
    const bytes = new Uint8Array(writeModel(helloWorld()));
    const view = new DataView(bytes.buffer);
    // The root table's first field that is a vector: patch its length.
    const root = view.getUint32(0, true);
    const vtable = root - view.getInt32(root, true);
    const subgraphsField = view.getUint16(vtable + 4 + 2 * 2, true); // field 2: subgraphs
    const vectorAt = root + subgraphsField + view.getUint32(root + subgraphsField, true);
    view.setUint32(vectorAt, 0x40000000, true);
    rejects(bytes, new RegExp(`vector at byte ${vectorAt} claims 1073741824 elements`));
  });

  it('accepts the stale per-channel axis TensorFlow wrote on person_detect biases', () => {
    const m = readModel(readFileSync(sharedModel('person_detect.tflite')));
    const bias = m.subgraphs[0].tensors.find((t) => t.name.endsWith('Conv2d_0/Conv2D_bias'))!;
    assert.equal(bias.shape.length, 1);
    assert.equal(bias.quantization!.quantizedDimension, 3);
    // ... but not on a tensor of higher rank.
    const weights = m.subgraphs[0].tensors.find(
      (t) => t.shape.length === 4 && (t.quantization?.scale.length ?? 0) > 1,
    )!;
    weights.quantization!.quantizedDimension = 1;
    rejects(writeModel(m), /per-channel scales along dimension 1 of shape/);
  });
});
