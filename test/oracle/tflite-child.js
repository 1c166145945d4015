// The real TensorFlow Lite runtime (@tensorflow/tfjs-tflite: TFLite C++ with
// XNNPACK compiled to WASM) run in its own process, so the globals it needs
// (a fake web-worker environment, see shared ORACLES.md) stay out of the test
// process. Protocol: one JSON request per stdin line, one JSON reply per line.
//   {"id", "model": base64, "inputs": [{"data": [...], "dtype"}]}
//   -> {"id", "outputs": [{"name", "shape", "dtype", "data": [...]}]} | {"id", "error"}
// Optional fields:
//   "sequence": [[{"data"}...], ...]  more input sets invoked in order on the same
//     loaded model (stateful models); -> "steps": [[outputs of each], ...]
//   "timeMs": N  after the first invoke, re-run the runtime's own infer() on the
//     same inputs for about N ms; -> "timing": {"invokes", "ms"} (benchmarks)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const readline = require('node:readline');

const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json'));
const wasmDir = path.join(pkgDir, 'wasm');

delete globalThis.SharedArrayBuffer; // pick the single-threaded SIMD build
globalThis.self = globalThis;
globalThis.location = { origin: 'file://', href: `file://${wasmDir}/index.html` };
globalThis.importScripts = (url) => {
  const file = String(url).replace(/^file:\/\//, '');
  vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
};
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  const u = String(url);
  if (u.startsWith('file://')) {
    const body = fs.readFileSync(u.replace(/^file:\/\//, ''));
    return new Response(body, { headers: { 'content-type': 'application/wasm' } });
  }
  return realFetch(url, init);
};

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tflite = require('@tensorflow/tfjs-tflite/dist/tf-tflite.node.js');

tflite.setWasmPath(''); // resolved against self.location.href

const log = console.log;
console.log = (...args) => process.stderr.write(args.join(' ') + '\n'); // keep stdout for replies

function run(model, given) {
  const inputs = model.inputs.map((spec, i) => {
    if (!given[i]) throw new Error(`no value for input ${i}`);
    // int8/uint8/int16 tensors are int32 on the tfjs side.
    const dtype = spec.dtype === 'float32' ? 'float32' : 'int32';
    return tf.tensor(given[i].data, spec.shape, dtype);
  });
  let out = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  inputs.forEach((t) => t.dispose());
  if (out instanceof tf.Tensor) out = [out];
  else if (!Array.isArray(out)) out = Object.values(out);
  out.forEach((t) => t.dispose());
  // predict() keys several outputs by tensor name, and names may repeat or
  // be empty: read the runner's output tensors in the model's order instead.
  return model.modelRunner.getOutputs().map((info, i) => ({
    name: info.name,
    shape: info.shape
      .split(',')
      .filter((d) => d !== '')
      .map(Number),
    dtype: model.outputs[i].dtype,
    data: Array.from(info.data()),
  }));
}

// Times the runtime itself: the inputs are already in place from run(), and
// the model runner's infer() is the TFLite interpreter's Invoke() (XNNPACK).
function time(model, budgetMs) {
  const runner = model.modelRunner;
  let invokes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 4; i++) if (!runner.infer()) throw new Error('inference failed');
    invokes += 4;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < budgetMs);
  return { invokes, ms: elapsed };
}

async function handle(req) {
  const bytes = Buffer.from(req.model, 'base64');
  const model = await tflite.loadTFLiteModel(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    { numThreads: 1 },
  );
  try {
    const outputs = run(model, req.inputs);
    const reply = {
      inputs: model.inputs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype })),
      outputs,
    };
    if (Array.isArray(req.sequence)) reply.steps = req.sequence.map((set) => run(model, set));
    if (typeof req.timeMs === 'number') reply.timing = time(model, req.timeMs);
    return reply;
  } finally {
    if (typeof model.dispose === 'function') model.dispose();
  }
}

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
      const result = await handle(req);
      process.stdout.write(JSON.stringify({ id: req.id, ...result }) + '\n');
    } catch (err) {
      process.stdout.write(
        JSON.stringify({
          id: req ? req.id : null,
          error: String(err && err.message ? err.message : err),
        }) + '\n',
      );
    }
  });
});
rl.on('close', () => queue.then(() => process.exit(0)));
void log;
