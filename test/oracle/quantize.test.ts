/**
 * Quantized models in the real TensorFlow Lite runtime (@tensorflow/tfjs-tflite,
 * TFLite C++ with XNNPACK in WASM): every mode must load there and compute
 * what the float model computes, within the precision the mode promises.
 * The reference is TensorFlow.js predict on the float model.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { quantizeModel } from '../../src/optimize/quantize';
import { readModel } from '../../src/tflite/reader';
import { BuiltinOperator } from '../../src/tflite/model';
import { toFloat, toTensorValues } from '../../src/optimize/quantize/evaluate';
import { accuracyGate } from '../../src/optimize/gate';
import { trainModel } from '../../src/model/train';
import { PRESETS } from '../../src/model/presets';
import { TfliteOracle } from './tflite-runtime';
import { oracleRunner } from './quantize-oracle';
import { maxRelDiff, predict, seededInput, seedWeights } from '../helpers/models';
import { sharedModel } from '../helpers/paths';
import { mulberry32 } from '../../src/model/random';

const ACTIVATIONS = ['relu', 'relu6', 'tanh', 'sigmoid', 'softmax', 'linear'] as const;

// Error bounds relative to the output's range (maxRelDiff): int8 weights and
// 8-bit activations cost ~1-3% on these random-weight layers (measured worst
// 2.9%, tanh); float16 weights ~0.05%.
const MODES = [
  { options: { mode: 'int8' }, bound: 0.04 },
  { options: { mode: 'int8', io: 'int8' }, bound: 0.04 },
  { options: { mode: 'int8', perChannelDense: true }, bound: 0.04 },
  { options: { mode: 'int16x8' }, bound: 0.04 },
  { options: { mode: 'int16x8', io: 'int16' }, bound: 0.04 },
  { options: { mode: 'dynamic' }, bound: 0.04 },
  { options: { mode: 'float16' }, bound: 0.002 },
] as const;

describe('quantize: the real TFLite runtime', function () {
  this.timeout(120000);
  let oracle: TfliteOracle;
  before(() => {
    oracle = new TfliteOracle();
  });
  after(() => oracle.close());

  for (const [i, activation] of ACTIVATIONS.entries()) {
    it(`dense ${activation}: every mode loads and agrees with the float model`, async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [5], units: 8, activation }),
          tf.layers.dense({ units: 4, activation }),
        ],
      });
      seedWeights(model, 100 + i, 1);
      const bytes = writeModel(convertLayersModel(model));
      const calib = Array.from({ length: 64 }, (_, k) => Array.from(seededInput([5], 1000 + k, 2)));
      const xs = Array.from({ length: 12 }, (_, k) => seededInput([5], 5000 + k, 2));
      const want = xs.map((x) => predict(model, x, [5]));
      for (const { options, bound } of MODES) {
        const q = quantizeModel(bytes, calib, options);
        const sg = q.model.subgraphs[0];
        const inT = sg.tensors[sg.inputs[0]];
        const outT = sg.tensors[sg.outputs[0]];
        for (let k = 0; k < xs.length; k++) {
          const real = await oracle.run(q.bytes, [toTensorValues(xs[k], inT)]);
          // The runtime reports the types and shape the file declares (int8 and
          // int16 travel as int32 through tfjs).
          assert.deepEqual(real.outputs[0].shape, [1, 4]);
          const got = toFloat(real.outputs[0].data, outT);
          const err = maxRelDiff(got, want[k]);
          assert.ok(err <= bound, `${JSON.stringify(options)}: error ${err} > ${bound}`);
        }
      }
    });
  }

  it('integer I/O computes exactly what float I/O computes after its QUANTIZE', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 8, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 77, 1);
    const bytes = writeModel(convertLayersModel(model));
    const calib = Array.from({ length: 64 }, (_, k) => Array.from(seededInput([5], 300 + k, 2)));
    const floatIo = quantizeModel(bytes, calib, { mode: 'int8' });
    const intIo = quantizeModel(bytes, calib, { mode: 'int8', io: 'int8' });
    const sg = intIo.model.subgraphs[0];
    let differing = 0;
    for (let k = 0; k < 30; k++) {
      const x = seededInput([5], 900 + k, 2);
      const a = await oracle.run(floatIo.bytes, [x]);
      const b = await oracle.run(intIo.bytes, [toTensorValues(x, sg.tensors[sg.inputs[0]])]);
      const bf = toFloat(b.outputs[0].data, sg.tensors[sg.outputs[0]]);
      // Same int8 graph: only the input's rounding could differ (XNNPACK's
      // QUANTIZE rounds ties to even, C round() away from zero).
      if (a.outputs[0].data.some((v, j) => Math.abs(v - bf[j]) > 1e-7)) differing++;
    }
    assert.ok(differing <= 1, `${differing} of 30 samples differ`);
  });

  it("quantizes TF's float hello_world at least as well as TF's own int8 hello_world", async () => {
    // Both files come from TensorFlow's converter (TFLM's hello_world
    // example; the int8 one from its own training run, so the weights
    // differ): our int8 of the float file must approximate sin(x) on [0, 2π]
    // as well as TF's int8 file does, in the same runtime, and be smaller.
    const float = new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite')));
    const tfInt8 = new Uint8Array(readFileSync(sharedModel('hello_world_int8.tflite')));
    const rand = mulberry32(8);
    const calib = Array.from({ length: 500 }, () => [rand() * 2 * Math.PI]);
    const ours = quantizeModel(float, calib, { mode: 'int8', io: 'int8' }).bytes;
    const errors = async (bytes: Uint8Array) => {
      const sg = readModel(bytes).subgraphs[0];
      const [inT, outT] = [sg.tensors[sg.inputs[0]], sg.tensors[sg.outputs[0]]];
      let mae = 0;
      let max = 0;
      for (let i = 0; i < 100; i++) {
        const x = ((i + 0.5) / 100) * 2 * Math.PI;
        const real = await oracle.run(bytes, [toTensorValues([x], inT)]);
        const e = Math.abs(toFloat(real.outputs[0].data, outT)[0] - Math.sin(x));
        mae += e / 100;
        max = Math.max(max, e);
      }
      return { mae, max };
    };
    const [a, b] = [await errors(ours), await errors(tfInt8)];
    assert.ok(
      a.mae <= b.mae && a.max <= b.max,
      `ours ${JSON.stringify(a)}, TF ${JSON.stringify(b)}`,
    );
    assert.ok(ours.length < tfInt8.length, `${ours.length} bytes vs TF's ${tfInt8.length}`);
  });

  it('accuracy gate on the sine regression model walks the fallbacks with real errors', async () => {
    // A zero MAE budget: every candidate is measured in the real runtime and
    // each rejected one must really have lost accuracy.
    const preset = PRESETS.sine;
    const data = preset.data(3);
    const { model } = await trainModel({ ...preset.spec, epochs: 60 }, data);
    const bytes = writeModel(convertLayersModel(model));
    const val = preset.data(11);
    val.xs = val.xs.slice(0, 200);
    val.ys = val.ys.slice(0, 200);
    const gate = await accuracyGate(bytes, {
      validation: val,
      calibration: data.xs.slice(0, 300),
      maxMaeIncrease: 0,
      runner: oracleRunner(oracle),
    });
    const chain = ['int8 per-tensor', 'int8 per-channel', 'int16x8', 'float16'];
    const tried = gate.attempts.map((a) => a.candidate);
    assert.deepEqual(tried, chain.slice(0, tried.length), gate.reason);
    for (const a of gate.attempts.slice(0, -1)) {
      assert.equal(a.passed, false);
      // Rejected for a real loss, or for a file no smaller than the float one.
      const grew = a.bytes! >= gate.baseline.bytes;
      assert.ok(a.maeIncrease! > 0 || grew, `${a.candidate}: ${a.reason}`);
    }
    const [pt, pc, x16] = gate.attempts;
    assert.equal(x16.perChannelDense, pc.maeIncrease! < pt.maeIncrease!);
    if (gate.chosen === 'float32') {
      assert.equal(gate.attempts.length, 4);
      assert.equal(gate.bytes, bytes, 'the float model is kept unchanged');
    } else {
      assert.equal(gate.chosen, tried[tried.length - 1]);
      assert.ok(gate.attempts[gate.attempts.length - 1].maeIncrease! <= 0);
      assert.ok(gate.report!.after.bytes < gate.baseline.bytes);
    }
    // The int8 candidate stays close to the float model on this well-scaled task.
    assert.ok(pt.maeIncrease! < 0.01, `int8 MAE increase ${pt.maeIncrease}`);
  });

  it('a float input normalization stays float ahead of QUANTIZE, so small-range features survive', async () => {
    // Raw features of very different ranges, as tabular sensor data has them
    // (a count near 1000, a ratio near 1, a concentration near 0.01), and the
    // per-feature standardisation `tinyml train` puts in front of the model.
    const ranges = [1000, 1, 0.01];
    const model = tf.sequential({
      layers: [
        tf.layers.rescaling({
          inputShape: [3],
          scale: ranges.map((r) => 2 / r) as unknown as number,
          offset: [-1, -1, -1] as unknown as number,
        }),
        tf.layers.dense({ units: 8, activation: 'relu' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(model, 77, 1);
    // The rescaling has no weights; seedWeights left it alone.
    const bytes = writeModel(convertLayersModel(model));
    const raw = (seed: number) => {
      const u = seededInput([3], seed, 1);
      return Float32Array.from(u, (v, f) => ((v + 1) / 2) * ranges[f]);
    };
    const calib = Array.from({ length: 64 }, (_, k) => Array.from(raw(300 + k)));
    const xs = Array.from({ length: 12 }, (_, k) => raw(900 + k));
    const want = xs.map((x) => predict(model, x, [3]));

    const q = quantizeModel(bytes, calib, { mode: 'int8' });
    const sg = q.model.subgraphs[0];
    const ops = sg.operators.map((op) => q.model.operatorCodes[op.opcodeIndex].builtinCode);
    assert.deepEqual(ops.slice(0, 3), [
      BuiltinOperator.MUL,
      BuiltinOperator.ADD,
      BuiltinOperator.QUANTIZE,
    ]);
    for (const op of sg.operators.slice(0, 2)) {
      assert.ok(op.inputs.every((t) => sg.tensors[t].type === 'float32'));
    }
    const inT = sg.tensors[sg.inputs[0]];
    const outT = sg.tensors[sg.outputs[0]];
    let worst = 0;
    for (let k = 0; k < xs.length; k++) {
      const real = await oracle.run(q.bytes, [toTensorValues(xs[k], inT)]);
      worst = Math.max(worst, maxRelDiff(toFloat(real.outputs[0].data, outT), want[k]));
    }
    assert.ok(worst <= 0.04, `float head: error ${worst} > 0.04`);

    // Integer I/O has to quantize the raw input with one scale: the model
    // still loads, and the user is told what it costs.
    const qi = quantizeModel(bytes, calib, { mode: 'int8', io: 'int8' });
    assert.ok(qi.notes.some((n) => n.includes('input normalization')));
    let worstInt = 0;
    const inI = qi.model.subgraphs[0].tensors[qi.model.subgraphs[0].inputs[0]];
    const outI = qi.model.subgraphs[0].tensors[qi.model.subgraphs[0].outputs[0]];
    for (let k = 0; k < xs.length; k++) {
      const real = await oracle.run(qi.bytes, [toTensorValues(xs[k], inI)]);
      worstInt = Math.max(worstInt, maxRelDiff(toFloat(real.outputs[0].data, outI), want[k]));
    }
    assert.ok(
      worstInt > worst,
      `integer head ${worstInt} should lose more than float head ${worst}`,
    );
  });
  it('an LSTM model: float16 and dynamic range keep its state tensors and agree in the real runtime; int8 says no', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.lstm({ inputShape: [6, 2], units: 5, recurrentActivation: 'sigmoid' }),
        tf.layers.dense({ units: 3, activation: 'tanh' }),
      ],
    });
    seedWeights(model, 31, 0.8);
    const bytes = writeModel(convertLayersModel(model));
    const xs = Array.from({ length: 6 }, (_, k) => seededInput([6, 2], 700 + k, 1));
    const want = xs.map((x) => predict(model, x, [6, 2]));
    for (const { mode, bound } of [
      { mode: 'float16', bound: 0.002 },
      { mode: 'dynamic', bound: 0.04 },
    ] as const) {
      const q = quantizeModel(bytes, [], { mode });
      const sg = q.model.subgraphs[0];
      // The hidden and cell state are variable tensors in the quantized file too.
      assert.equal(sg.tensors.filter((t) => t.isVariable).length, 2, mode);
      for (let k = 0; k < xs.length; k++) {
        const real = await oracle.run(q.bytes, [xs[k]]);
        const err = maxRelDiff(real.outputs[0].data, want[k]);
        assert.ok(err <= bound, `${mode}: error ${err} > ${bound}`);
      }
    }
    const calib = xs.map((x) => Array.from(x));
    assert.throws(
      () => quantizeModel(bytes, calib, { mode: 'int8' }),
      /UNIDIRECTIONAL_SEQUENCE_LSTM .*has no int8 quantization/,
    );
  });
});
