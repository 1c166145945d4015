/**
 * Quantizing convolutional graphs, checked in the real TFLite runtime. The
 * float graph is built by hand with TFLite's layouts (the converter's
 * Conv2D support lands separately) and its reference activations come from
 * TensorFlow.js ops on the same weights: they give both the calibrated
 * ranges (as a calibration run would record them) and the outputs the
 * quantized models must approach. The float graph itself is first checked
 * against TensorFlow.js in the real runtime, so the reference is the graph.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type TfliteModel } from '../../src/tflite/model';
import { writeModel } from '../../src/tflite/writer';
import { quantizeInteger } from '../../src/optimize/quantize/integer';
import { quantizeModel } from '../../src/optimize/quantize';
import type { TensorRange } from '../../src/optimize/quantize/calibrate';
import { toFloat, toTensorValues } from '../../src/optimize/quantize/evaluate';
import { mulberry32 } from '../../src/model/random';
import { TfliteOracle } from './tflite-runtime';
import { maxRelDiff } from '../helpers/models';

const B = BuiltinOperator;

function seeded(n: number, seed: number, scale: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

// Weights in TFLite layouts.
const CONV_W = seeded(4 * 3 * 3 * 1, 1, 0.6); // [out 4, kh 3, kw 3, in 1]
const CONV_B = seeded(4, 2, 0.1);
const DW_W = seeded(1 * 3 * 3 * 4, 3, 0.5); // [1, kh 3, kw 3, out 4]
const DW_B = seeded(4, 4, 0.1);
const MUL_C = Float32Array.from(seeded(8, 5, 1), (v) => v + 1.5); // per-channel scale
const ADD_C = seeded(8, 6, 0.5);
const FC_W = seeded(5 * 200, 7, 0.3); // [out 5, in 200]
const FC_B = seeded(5, 8, 0.1);

/**
 * input [1,8,8,1] → CONV_2D 3×3 SAME +ReLU → DEPTHWISE 3×3 VALID →
 * (MAX_POOL 2×2 ‖ AVERAGE_POOL 2×2 → LEAKY_RELU) → CONCATENATION →
 * MUL const → ADD const → MAXIMUM 0 → PAD 1 → RESHAPE [1,200] →
 * FULLY_CONNECTED → SOFTMAX
 */
function buildFloatGraph(): { model: TfliteModel; names: string[] } {
  const g = new GraphBuilder();
  const x = g.addTensor('image', [1, 8, 8, 1]);
  const act = (name: string, shape: number[]) => g.addTensor(name, shape);
  const c = act('conv', [1, 8, 8, 4]);
  g.addOperator(
    B.CONV_2D,
    [
      x,
      g.addTensor('conv/w', [4, 3, 3, 1], 'float32', CONV_W),
      g.addTensor('conv/b', [4], 'float32', CONV_B),
    ],
    [c],
    {
      type: 'Conv2DOptions',
      padding: 'SAME',
      strideW: 1,
      strideH: 1,
      fusedActivationFunction: 'RELU',
    },
  );
  const d = act('dw', [1, 6, 6, 4]);
  g.addOperator(
    B.DEPTHWISE_CONV_2D,
    [
      c,
      g.addTensor('dw/w', [1, 3, 3, 4], 'float32', DW_W),
      g.addTensor('dw/b', [4], 'float32', DW_B),
    ],
    [d],
    {
      type: 'DepthwiseConv2DOptions',
      padding: 'VALID',
      strideW: 1,
      strideH: 1,
      depthMultiplier: 1,
    },
  );
  const pool = {
    type: 'Pool2DOptions',
    padding: 'VALID',
    strideW: 2,
    strideH: 2,
    filterWidth: 2,
    filterHeight: 2,
  };
  const mp = act('maxpool', [1, 3, 3, 4]);
  g.addOperator(B.MAX_POOL_2D, [d], [mp], pool);
  const ap = act('avgpool', [1, 3, 3, 4]);
  g.addOperator(B.AVERAGE_POOL_2D, [d], [ap], pool);
  const lr = act('leaky', [1, 3, 3, 4]);
  g.addOperator(B.LEAKY_RELU, [ap], [lr], { type: 'LeakyReluOptions', alpha: 0.2 });
  const cat = act('concat', [1, 3, 3, 8]);
  g.addOperator(B.CONCATENATION, [mp, lr], [cat], { type: 'ConcatenationOptions', axis: 3 });
  const mul = act('mul', [1, 3, 3, 8]);
  g.addOperator(B.MUL, [cat, g.addTensor('mul/c', [8], 'float32', MUL_C)], [mul], {
    type: 'MulOptions',
  });
  const add = act('add', [1, 3, 3, 8]);
  g.addOperator(B.ADD, [mul, g.addTensor('add/c', [8], 'float32', ADD_C)], [add], {
    type: 'AddOptions',
  });
  const mx = act('max', [1, 3, 3, 8]);
  g.addOperator(
    B.MAXIMUM,
    [add, g.addTensor('max/c', [1], 'float32', new Float32Array([0]))],
    [mx],
  );
  const pad = act('pad', [1, 5, 5, 8]);
  const paddings = g.addTensor('pad/p', [4, 2], 'int32', Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]));
  g.addOperator(B.PAD, [mx, paddings], [pad]);
  const flat = act('flat', [1, 200]);
  g.addOperator(
    B.RESHAPE,
    [pad, g.addTensor('flat/shape', [2], 'int32', Int32Array.from([1, 200]))],
    [flat],
    {
      type: 'ReshapeOptions',
      newShape: [1, 200],
    },
  );
  const logits = act('logits', [1, 5]);
  g.addOperator(
    B.FULLY_CONNECTED,
    [
      flat,
      g.addTensor('fc/w', [5, 200], 'float32', FC_W),
      g.addTensor('fc/b', [5], 'float32', FC_B),
    ],
    [logits],
    { type: 'FullyConnectedOptions' },
  );
  const probs = act('probs', [1, 5]);
  g.addOperator(B.SOFTMAX, [logits], [probs], { type: 'SoftmaxOptions', beta: 1 });
  const names = [
    'image',
    'conv',
    'dw',
    'maxpool',
    'avgpool',
    'leaky',
    'concat',
    'mul',
    'add',
    'max',
    'pad',
    'flat',
    'logits',
    'probs',
  ];
  return { model: g.finish([x], [probs], 'hand-built conv graph'), names };
}

/** The same graph's activations in TensorFlow.js, by tensor name. */
function reference(image: Float32Array): Map<string, Float32Array> {
  const values = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, 8, 8, 1]);
    const convW = tf.transpose(tf.tensor4d(CONV_W, [4, 3, 3, 1]), [1, 2, 3, 0]);
    const conv = tf.relu(
      tf.add(tf.conv2d(x, convW as tf.Tensor4D, 1, 'same'), tf.tensor1d(CONV_B)),
    );
    const dwW = tf.tensor4d(DW_W, [3, 3, 4, 1]);
    const dw = tf.add(tf.depthwiseConv2d(conv as tf.Tensor4D, dwW, 1, 'valid'), tf.tensor1d(DW_B));
    const mp = tf.maxPool(dw as tf.Tensor4D, 2, 2, 'valid');
    const ap = tf.avgPool(dw as tf.Tensor4D, 2, 2, 'valid');
    const leaky = tf.leakyRelu(ap, 0.2);
    const concat = tf.concat([mp, leaky], 3);
    const mul = tf.mul(concat, tf.tensor1d(MUL_C));
    const add = tf.add(mul, tf.tensor1d(ADD_C));
    const max = tf.maximum(add, 0);
    const pad = tf.pad(max, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const flat = tf.reshape(pad, [1, 200]);
    const logits = tf.add(
      tf.matMul(flat, tf.tensor2d(FC_W, [5, 200]), false, true),
      tf.tensor1d(FC_B),
    );
    const probs = tf.softmax(logits);
    const all: Record<string, tf.Tensor> = { image: x, conv, dw, maxpool: mp, avgpool: ap };
    Object.assign(all, { leaky, concat, mul, add, max, pad, flat, logits, probs });
    return Object.fromEntries(
      Object.entries(all).map(([k, v]) => [k, v.dataSync() as Float32Array]),
    );
  });
  return new Map(Object.entries(values));
}

describe('quantize: convolutional graphs in the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  const { model, names } = buildFloatGraph();
  const floatBytes = writeModel(model);
  const images = Array.from({ length: 48 }, (_, i) =>
    Float32Array.from(seeded(64, 100 + i, 1), Math.abs),
  );
  const refs = images.map(reference);
  const tests = Array.from({ length: 10 }, (_, i) =>
    Float32Array.from(seeded(64, 900 + i, 1), Math.abs),
  );
  const want = tests.map((t) => reference(t).get('probs')!);

  // What a calibration run records: every activation's min and max.
  const ranges = new Map<number, TensorRange>();
  const sg = model.subgraphs[0];
  for (const name of names) {
    const idx = sg.tensors.findIndex((t) => t.name === name);
    const all = refs.flatMap((r) => Array.from(r.get(name)!));
    ranges.set(idx, { min: Math.min(...all), max: Math.max(...all) });
  }

  it('the hand-built float graph computes what TensorFlow.js computes', async () => {
    for (let i = 0; i < tests.length; i++) {
      const real = await oracle.run(floatBytes, [tests[i]]);
      assert.ok(maxRelDiff(real.outputs[0].data, want[i]) <= 1e-5);
    }
  });

  for (const [act, io] of [
    ['int8', 'float32'],
    ['int8', 'integer'],
    ['int16', 'float32'],
  ] as const) {
    it(`${act} activations (io ${io}): per-channel convolutions, requantized concatenation`, async () => {
      const q = quantizeInteger(model, ranges, { activations: act, io, perChannelDense: false });
      const qsg = q.model.subgraphs[0];
      const byName = (n: string) => qsg.tensors.find((t) => t.name === n)!;
      assert.equal(
        byName('conv/w').quantization!.scale.length,
        4,
        'conv weights per output channel',
      );
      assert.equal(byName('conv/w').quantization!.quantizedDimension, 0);
      assert.equal(byName('dw/w').quantization!.scale.length, 4, 'depthwise per channel');
      assert.equal(byName('dw/w').quantization!.quantizedDimension, 3);
      assert.equal(byName('dw/b').quantization!.scale.length, 4);
      // Pools, PAD and RESHAPE keep their input's parameters.
      for (const [a, b] of [
        ['dw', 'maxpool'],
        ['dw', 'avgpool'],
        ['max', 'pad'],
        ['pad', 'flat'],
      ]) {
        assert.deepEqual(byName(b).quantization, byName(a).quantization, `${a} → ${b}`);
      }
      // CONCATENATION's inputs are requantized to its output's parameters.
      const concatOp = qsg.operators.find(
        (op) => q.model.operatorCodes[op.opcodeIndex].builtinCode === B.CONCATENATION,
      )!;
      for (const t of concatOp.inputs) {
        assert.deepEqual(qsg.tensors[t].quantization, byName('concat').quantization);
      }
      assert.ok(qsg.tensors.some((t) => t.name.endsWith('_requantized')));

      const bytes = writeModel(q.model);
      const inT = qsg.tensors[qsg.inputs[0]];
      const outT = qsg.tensors[qsg.outputs[0]];
      for (let i = 0; i < tests.length; i++) {
        const real = await oracle.run(bytes, [toTensorValues(tests[i], inT)]);
        const err = maxRelDiff(toFloat(real.outputs[0].data, outT), want[i]);
        assert.ok(err <= 0.03, `sample ${i}: error ${err}`);
      }
    });
  }

  for (const mode of ['float16', 'dynamic'] as const) {
    it(`${mode}: loads and agrees`, async () => {
      const q = quantizeModel(floatBytes, undefined, { mode });
      for (let i = 0; i < tests.length; i++) {
        const real = await oracle.run(q.bytes, [tests[i]]);
        const err = maxRelDiff(real.outputs[0].data, want[i]);
        assert.ok(err <= (mode === 'float16' ? 1e-3 : 0.03), `sample ${i}: error ${err}`);
      }
    });
  }
});
