/**
 * Structured pruning's rebuild, checked against TensorFlow.js: removing units
 * must compute exactly what the original model computes when the removed
 * units' outgoing connections (the consumer's input rows) are zeroed. That
 * holds whatever lies between producer and consumer (pooling, batch
 * normalization, depthwise convolution, Flatten), so it tests the index
 * bookkeeping of every path.
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { applyPlan, planStructured } from '../../src/optimize/prune';
import { pruneStructured } from '../../src/optimize/prune/structured';
import { loadBuiltinDataset } from '../../src/model/builtin-datasets';
import { buildModel } from '../../src/model/spec';
import { maxRelDiff, seededInput, seedWeights } from '../helpers/models';

/** Zeroes rows `rows` (along `axis`) of the kernel of `layer`. */
function zeroInputs(model: tf.LayersModel, layer: string, axis: number, rows: number[]): void {
  const l = model.getLayer(layer);
  const [kernel, ...rest] = l.getWeights();
  const shape = kernel.shape;
  const values = kernel.dataSync().slice();
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const drop = new Set(rows);
  for (let i = 0; i < values.length; i++) {
    if (drop.has(Math.floor(i / inner) % shape[axis])) values[i] = 0;
  }
  l.setWeights([tf.tensor(values, shape), ...rest]);
}

function removed(units: number, keep: number[]): number[] {
  return Array.from({ length: units }, (_, i) => i).filter((i) => !keep.includes(i));
}

function outputsOn(model: tf.LayersModel, batch: number, seed: number): Float32Array {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const x = seededInput([batch, ...shape], seed, 2);
  return tf.tidy(
    () => (model.predict(tf.tensor(x, [batch, ...shape])) as tf.Tensor).dataSync() as Float32Array,
  );
}

async function clone(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON(
    model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] & {},
  );
  copy.setWeights(model.getWeights());
  return copy;
}

describe('structured pruning: rebuild of smaller layers', () => {
  it('Dense chain: keeps the units with the largest L1 norms and matches the zeroed original', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 6, activation: 'tanh' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 11);
    const plan = planStructured(model, 0.5);
    assert.deepEqual(
      plan.units.map((u) => [u.layer, u.units, u.keep.length]),
      [
        [model.layers[0].name, 8, 4],
        [model.layers[2].name, 6, 3],
      ],
    );
    // The output layer is left whole, with the reason.
    assert.deepEqual(plan.skipped, [
      { layer: model.layers[3].name, reason: "its units are the model's outputs" },
    ]);
    // L1 norms of the first kernel's columns, computed here.
    const k = model.layers[0].getWeights()[0];
    const kv = k.arraySync() as number[][];
    const norms = Array.from({ length: 8 }, (_, u) =>
      kv.reduce((s, row) => s + Math.abs(row[u]), 0),
    );
    const top = norms
      .map((n, i) => [n, i])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 4)
      .map((p) => p[1])
      .sort((a, b) => a - b);
    assert.deepEqual(plan.units[0].keep, top);

    const smaller = await applyPlan(model, plan);
    assert.equal(smaller.countParams(), 6 * 4 + 4 + 4 * 3 + 3 + 3 * 3 + 3);
    const reference = await clone(model);
    zeroInputs(reference, model.layers[2].name, 0, removed(8, plan.units[0].keep));
    zeroInputs(reference, model.layers[3].name, 0, removed(6, plan.units[1].keep));
    const got = outputsOn(smaller, 5, 3);
    const want = outputsOn(reference, 5, 3);
    assert.ok(maxRelDiff(got, want) < 1e-6, `${got} vs ${want}`);
    // The original is untouched.
    assert.equal(model.countParams(), 6 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
  });

  it('Conv2D → BatchNorm → MaxPool → Flatten → Dense: filters and the flattened rows go together', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 6, kernelSize: 3, activation: 'relu' }),
        tf.layers.batchNormalization({}),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'relu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    seedWeights(model, 21);
    // BatchNorm variance must stay positive: reseed it in [0.5, 1.5].
    const bn = model.layers[1];
    const [g, b, m] = bn.getWeights();
    bn.setWeights([g, b, m, tf.add(tf.abs(m), 0.5)]);
    const plan = planStructured(model, 0.5);
    const conv = plan.units.find((u) => u.layer === model.layers[0].name)!;
    const hidden = plan.units.find((u) => u.layer === model.layers[4].name)!;
    assert.equal(conv.keep.length, 3);
    assert.equal(hidden.keep.length, 2); // 5 − round(2.5) = 2 (round half up)
    const smaller = await applyPlan(model, plan);
    assert.deepEqual(smaller.layers[3].outputShape, [null, 2 * 2 * 3]);

    const reference = await clone(model);
    // Flatten of [2, 2, 6] puts channel c of position p at p·6 + c.
    const rows = [0, 1, 2, 3].flatMap((p) => removed(6, conv.keep).map((c) => p * 6 + c));
    zeroInputs(reference, model.layers[4].name, 0, rows);
    zeroInputs(reference, model.layers[5].name, 0, removed(5, hidden.keep));
    assert.ok(maxRelDiff(outputsOn(smaller, 4, 5), outputsOn(reference, 4, 5)) < 1e-5);
  });

  it('Conv2D → DepthwiseConv2D (multiplier 2) → Conv2D: depthwise channels follow their inputs', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 4, kernelSize: 2 }),
        tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2 }),
        tf.layers.conv2d({ filters: 3, kernelSize: 1 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(model, 31);
    const plan = planStructured(model, 0.5);
    const first = plan.units.find((u) => u.layer === model.layers[0].name)!;
    const smaller = await applyPlan(model, plan);
    const reference = await clone(model);
    // Depthwise output channel c·2 + j comes from input channel c.
    const rows = removed(4, first.keep).flatMap((c) => [c * 2, c * 2 + 1]);
    zeroInputs(reference, model.layers[2].name, 2, rows);
    const third = plan.units.find((u) => u.layer === model.layers[2].name)!;
    zeroInputs(reference, model.layers[4].name, 0, removed(3, third.keep));
    assert.ok(maxRelDiff(outputsOn(smaller, 3, 7), outputsOn(reference, 3, 7)) < 1e-5);
  });

  it('leaves a layer whole when its channels cannot be followed, and says why', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 6 }),
        tf.layers.reshape({ targetShape: [3, 2] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const plan = planStructured(model, 0.5);
    assert.equal(plan.units.length, 0);
    assert.match(plan.skipped[0].reason, /cannot follow channels through layer ".*" \(Reshape\)/);
  });

  it('refuses a model with branches, naming the layer', () => {
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 3, name: 'b' }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: sum });
    assert.throws(() => planStructured(model, 0.5), /needs a chain of layers .* layer "b"/);
  });

  it('fine-tunes the smaller model: fewer parameters, and it still classifies iris', async function () {
    this.timeout(60000);
    const spec = {
      inputShape: [4],
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ],
      seed: 3,
    };
    const model = buildModel(spec);
    const iris = loadBuiltinDataset('iris');
    const r = await pruneStructured(model, iris, { fraction: 0.75, epochs: 2, learningRate: 0.01 });
    assert.equal(r.model.layers[0].getWeights()[0].shape[1], 4);
    assert.equal(r.model.countParams(), 4 * 4 + 4 + 4 * 3 + 3);
    assert.equal(r.losses.length, 2);
    assert.ok(r.losses.every(Number.isFinite));
  });
});
