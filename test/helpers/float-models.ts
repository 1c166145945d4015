/**
 * Float versions of the int8 reference models for the interpreter benchmark and tests:
 * there is no MLPerf-Tiny-sized float model among TensorFlow's reference
 * files, so the int8 person_detect (MobileNet v1 0.25) is turned back into
 * float32 — weights and biases dequantized (scale * (q - zero_point), per
 * channel along the quantized dimension), activations float32 — which keeps
 * the real network's shapes and op mix. Its float16 and dynamic-range
 * versions come from the project's quantizer, as a user would make them.
 */
import { readModel } from '../../src/tflite/reader';
import { writeModel } from '../../src/tflite/writer';
import type { TensorDef } from '../../src/tflite/model';

function dequantizedValues(t: TensorDef, data: Uint8Array): Float32Array {
  const q = t.quantization!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const src =
    t.type === 'int8'
      ? new Int8Array(data.buffer, data.byteOffset, n)
      : new Int32Array(data.slice().buffer, 0, n);
  const dim = q.quantizedDimension;
  const inner = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const channels = t.shape[dim] ?? 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = q.scale.length === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = q.scale[c] * (src[i] - (q.zeroPoint[c] ?? 0));
  }
  return out;
}

/** The int8 model as a float32 model with the same graph. */
export function floatFromInt8(bytes: Uint8Array): Uint8Array {
  const model = readModel(bytes);
  for (const t of model.subgraphs[0].tensors) {
    if (!t.quantization || (t.type !== 'int8' && t.type !== 'int32')) continue;
    const data = model.buffers[t.buffer]?.data;
    if (data && data.length > 0) {
      const values = dequantizedValues(t, data);
      model.buffers[t.buffer] = { data: new Uint8Array(values.buffer) };
    }
    t.type = 'float32';
    delete t.quantization;
  }
  return writeModel(model);
}
