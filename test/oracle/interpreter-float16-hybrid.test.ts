/**
 * Our interpreter on the quantizer's float16 and dynamic-range (hybrid)
 * models against the real TFLite runtime (tfjs-tflite) on the same files
 * and inputs.
 *
 * float16: the DEQUANTIZE ops of the float16 weights are computed once at
 * load (graph.ts) and the float kernels run; the outputs must agree within
 * 1e-5 of the output's range (our float kernels accumulate in double,
 * TFLite/XNNPACK in float32 in another order).
 *
 * dynamic: the hybrid kernels (kernels/hybrid.ts) quantize each input batch
 * to int8 as TFLite does, accumulate in int32 and scale in float32 in the
 * order of TFLite's optimized kernels, so the outputs agree to float
 * rounding (hello_world: bit for bit) while both runtimes quantize every
 * activation to the same int8 value: the same 1e-5 bound. A value within
 * float rounding of a .5 step could be quantized one step apart by the two
 * (about 1e-3 of the range here); the bound would catch it, and none
 * occurs on these inputs.
 *
 * Per-channel FULLY_CONNECTED weights (--per-channel-dense, op version 12)
 * are not tested here: this TFLite build (tfjs-tflite 0.0.1-alpha.10) refuses
 * to load such models ("Can't initialize model").
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type BuiltinOptions } from '../../src/tflite/model';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { quantizeModel, type QuantizeOptions } from '../../src/optimize/quantize';
import { Interpreter } from '../../src/runtime/interpreter';
import { mulberry32 } from '../../src/model/random';
import { TfliteOracle } from './tflite-runtime';
import { sharedModel } from '../helpers/paths';
import { floatFromInt8 } from '../helpers/float-models';

const B = BuiltinOperator;

function seeded(n: number, seed: number, scale: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/**
 * input [2,8,8,3] → CONV_2D 3×3 SAME +ReLU (6) → DEPTHWISE 3×3 SAME stride 2,
 * multiplier 2 +ReLU6 (12) → CONV_2D 1×1 (8) → RESHAPE [2,128] →
 * FULLY_CONNECTED (8) +ReLU → FULLY_CONNECTED (5) → SOFTMAX. Two batches, so every hybrid kernel
 * quantizes two input slices with their own scales.
 */
function convGraph(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.addTensor('image', [2, 8, 8, 3]);
  // A convolution layer: filter and bias seeded from `seed`.
  const layer = (
    op: number,
    input: number,
    name: string,
    out: number[],
    filter: number[],
    options: BuiltinOptions,
    seed: number,
  ) => {
    const y = g.addTensor(name, out);
    const n = filter.reduce((a, b) => a * b, 1);
    const c = out[3];
    const w = g.addTensor(`${name}/w`, filter, 'float32', seeded(n, seed, 0.5));
    const bias = g.addTensor(`${name}/b`, [c], 'float32', seeded(c, seed + 1, 0.2));
    g.addOperator(op, [input, w, bias], [y], { strideW: 1, strideH: 1, ...options });
    return y;
  };
  const conv = layer(
    B.CONV_2D,
    x,
    'conv',
    [2, 8, 8, 6],
    [6, 3, 3, 3],
    {
      type: 'Conv2DOptions',
      padding: 'SAME',
      fusedActivationFunction: 'RELU',
    },
    1,
  );
  const dw = layer(
    B.DEPTHWISE_CONV_2D,
    conv,
    'dw',
    [2, 4, 4, 12],
    [1, 3, 3, 12],
    {
      type: 'DepthwiseConv2DOptions',
      padding: 'SAME',
      strideW: 2,
      strideH: 2,
      depthMultiplier: 2,
      fusedActivationFunction: 'RELU6',
    },
    3,
  );
  const pw = layer(
    B.CONV_2D,
    dw,
    'pw',
    [2, 4, 4, 8],
    [8, 1, 1, 12],
    {
      type: 'Conv2DOptions',
      padding: 'VALID',
    },
    5,
  );
  const flat = g.addTensor('flat', [2, 128]);
  g.addOperator(
    B.RESHAPE,
    [pw, g.addTensor('flat/shape', [2], 'int32', Int32Array.from([2, 128]))],
    [flat],
    { type: 'ReshapeOptions', newShape: [2, 128] },
  );
  const hidden = g.addTensor('hidden', [2, 8]);
  g.addOperator(
    B.FULLY_CONNECTED,
    [
      flat,
      g.addTensor('fc1/w', [8, 128], 'float32', seeded(8 * 128, 7, 0.2)),
      g.addTensor('fc1/b', [8], 'float32', seeded(8, 8, 0.1)),
    ],
    [hidden],
    { type: 'FullyConnectedOptions', fusedActivationFunction: 'RELU' },
  );
  const logits = g.addTensor('logits', [2, 5]);
  g.addOperator(
    B.FULLY_CONNECTED,
    [
      hidden,
      g.addTensor('fc2/w', [5, 8], 'float32', seeded(5 * 8, 9, 0.5)),
      g.addTensor('fc2/b', [5], 'float32', seeded(5, 10, 0.1)),
    ],
    [logits],
    { type: 'FullyConnectedOptions' },
  );
  const probs = g.addTensor('probs', [2, 5]);
  g.addOperator(B.SOFTMAX, [logits], [probs], { type: 'SoftmaxOptions', beta: 1 });
  return writeModel(g.finish([x], [probs], 'float16/hybrid test graph'));
}

/** max |ours - real| over the range of the real outputs (their largest magnitude when all equal). */
function rangeRelativeError(ours: ArrayLike<number>, real: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  let diff = 0;
  for (let i = 0; i < real.length; i++) {
    lo = Math.min(lo, real[i]);
    hi = Math.max(hi, real[i]);
    diff = Math.max(diff, Math.abs(ours[i] - real[i]));
  }
  const range = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1e-30);
  return diff / range;
}

const MODELS: { name: string; bytes: () => Uint8Array; inputScale: number }[] = [
  {
    name: 'hand-built CNN (conv, depthwise, 1x1 conv, 2 FC; batch 2)',
    bytes: convGraph,
    inputScale: 1,
  },
  {
    name: "TF's hello_world_float",
    bytes: () => new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite'))),
    inputScale: 3,
  },
  {
    name: 'person_detect made float (MobileNet v1 0.25, test/helpers/float-models.ts)',
    bytes: () => floatFromInt8(new Uint8Array(readFileSync(sharedModel('person_detect.tflite')))),
    inputScale: 1,
  },
];

const MODES: { label: string; options: QuantizeOptions | null; bound: number }[] = [
  // the float model itself: the float kernels (SIMD where they apply)
  { label: 'float32', options: null, bound: 1e-5 },
  { label: 'float16', options: { mode: 'float16' }, bound: 1e-5 },
  { label: 'dynamic', options: { mode: 'dynamic' }, bound: 1e-5 },
];

describe('interpreter: float16 and dynamic-range models against the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const m of MODELS) {
    for (const mode of MODES) {
      it(`${mode.label}: ${m.name} agrees within ${mode.bound} of the output range`, async () => {
        const floatBytes = m.bytes();
        const bytes = mode.options
          ? quantizeModel(floatBytes, undefined, mode.options).bytes
          : floatBytes;
        const types = readModel(bytes).subgraphs[0].tensors.map((t) => t.type);
        const m16 = mode.options?.mode === 'float16';
        const weightType = mode.options?.mode === 'dynamic' ? 'int8' : m16 ? 'float16' : 'float32';
        assert.ok(types.includes(weightType));
        const interp = new Interpreter(bytes);
        const floatInterp = new Interpreter(floatBytes);
        // the hybrid kernels give the same bits in JavaScript and on SIMD
        const js =
          mode.options?.mode === 'dynamic' ? new Interpreter(bytes, { simd: false }) : null;
        const n = interp.inputs[0].data.length;
        const inputs: Float32Array[] = [new Float32Array(n)]; // all zero: the zero-range quantization path
        for (let s = 0; s < 8; s++) inputs.push(seeded(n, 100 + s, m.inputScale));
        // every sample's outputs, so that the range is the model's output range over the inputs
        const real: number[] = [];
        const ours: number[] = [];
        const float: number[] = [];
        for (const x of inputs) {
          real.push(...(await oracle.run(bytes, [x])).outputs[0].data);
          interp.setInput(0, x);
          interp.invoke();
          ours.push(...(interp.outputs[0].data as Float32Array));
          if (js) {
            js.setInput(0, x);
            js.invoke();
            assert.deepEqual(js.outputs[0].data, interp.outputs[0].data);
          }
          floatInterp.setInput(0, x);
          floatInterp.invoke();
          float.push(...(floatInterp.outputs[0].data as Float32Array));
        }
        const err = rangeRelativeError(ours, real);
        const fromFloat = rangeRelativeError(float, real);
        console.log(
          `      error ${err.toExponential(2)} of the output range (the float model: ${fromFloat.toExponential(2)})`,
        );
        assert.ok(err <= mode.bound, `error ${err} of the output range`);
        if (mode.options) {
          // The quantized weights change the outputs by far more than the bound,
          // so the comparison tells the quantized kernels from the float ones.
          assert.ok(fromFloat > 10 * mode.bound, `the float model is within ${fromFloat}`);
        }
      });
    }
  }

  it('float16: the dequantized weights live outside the arena, which equals the float model', () => {
    const floatBytes = convGraph();
    const q = quantizeModel(floatBytes, undefined, { mode: 'float16' });
    const f16 = new Interpreter(q.bytes);
    const f32 = new Interpreter(floatBytes);
    assert.equal(f16.layout.arenaBytes, f32.layout.arenaBytes);
    const weights = readModel(floatBytes)
      .subgraphs[0].tensors.filter((t) => t.buffer > 0 && t.type === 'float32')
      .reduce((sum, t) => sum + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(f16.foldedBytes, weights);
  });
});
