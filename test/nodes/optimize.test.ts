/**
 * The optimize node in a real Node-RED runtime, in the pipeline a flow wires:
 * train (sine preset) → convert → optimize (quantize / prune / distill) →
 * infer locally. Each mode must give a model that still predicts sin(x) and a
 * report that says what was done; bad input must reach a Catch node.
 */
import { strict as assert } from 'node:assert';
import helper from 'node-red-node-test-helper';
import trainNode from '../../nodes/train';
import convertNode from '../../nodes/convert';
import optimizeNode from '../../nodes/optimize';
import inferNode from '../../nodes/infer';
import { readModel } from '../../src/tflite/reader';
import { readMetadata } from '../../src/tflite/metadata';
import { load, nextMessage, type Msg } from '../helpers/node-red';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

helper.init(require.resolve('node-red'));

/** Trains the sine preset once and converts it: the float model and its message. */
async function converted(): Promise<Msg> {
  await load(
    [trainNode, convertNode],
    [
      { id: 't', type: 'tinyml-train', spec: '{"preset":"sine","epochs":60}', wires: [['c']] },
      { id: 'c', type: 'tinyml-convert', modelName: 'sine', modelVersion: '7', wires: [['h']] },
      { id: 'h', type: 'helper' },
    ],
  );
  const out = nextMessage(helper.getNode('h'));
  helper.getNode('t').receive({ payload: 'go' });
  const m = await out;
  await helper.unload();
  return m;
}

async function optimizeAndInfer(
  input: Msg,
  config: Record<string, unknown>,
  xs: number[],
): Promise<{ optimized: Msg; ys: number[] }> {
  await load(
    [optimizeNode, inferNode],
    [
      { id: 'o', type: 'tinyml-optimize', ...config, wires: [['h']] },
      { id: 'i', type: 'tinyml-infer', target: 'local', wires: [['r']] },
      { id: 'h', type: 'helper' },
      { id: 'r', type: 'helper' },
    ],
  );
  const optimizedP = nextMessage(helper.getNode('h'));
  helper.getNode('o').receive({ ...input, _msgid: undefined } as unknown as Msg);
  const optimized = await optimizedP;
  const ys: number[] = [];
  for (const [k, x] of xs.entries()) {
    const r = nextMessage(helper.getNode('r'));
    helper
      .getNode('i')
      .receive({ payload: [x], ...(k === 0 ? { model: optimized.payload } : {}) } as Msg);
    ys.push(((await r).payload as { outputs: { data: number[] }[] }).outputs[0].data[0]);
  }
  await helper.unload();
  return { optimized, ys };
}

describe('optimize node', function () {
  this.timeout(240000);
  let base: Msg;
  const xs = [0.5, 1.5, 2.5, 4, 5.5];
  before(async () => {
    base = await converted();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('quantize int8: a smaller int8 model that still predicts sin(x), metadata kept', async () => {
    const { optimized, ys } = await optimizeAndInfer(
      base,
      { mode: 'quantize', quantMode: 'int8', io: 'float32' },
      xs,
    );
    const bytes = optimized.payload as Buffer;
    assert.ok(bytes.length < (base.payload as Buffer).length, `${bytes.length} bytes`);
    const model = readModel(bytes);
    assert.ok(model.subgraphs[0].tensors.some((t) => t.type === 'int8'));
    assert.equal(readMetadata(model)?.version, '7');
    const report = optimized.optimize as { mode: string; applied: boolean; summary: string };
    assert.equal(report.mode, 'quantize');
    assert.equal(report.applied, true);
    ys.forEach((y, i) => assert.ok(Math.abs(y - Math.sin(xs[i])) < 0.15, `x=${xs[i]}: ${y}`));
  });

  it('prune: 50% of the weights are zero and the model still predicts sin(x)', async () => {
    const { optimized, ys } = await optimizeAndInfer(
      base,
      { mode: 'prune', sparsity: '0.5', epochs: '20' },
      xs,
    );
    const report = optimized.optimize as {
      applied: boolean;
      after?: { sparsity?: number };
    } & Record<string, unknown>;
    assert.equal(report.applied, true);
    const text = JSON.stringify(report);
    assert.match(text, /sparsity/);
    assert.ok(optimized.tfjs, 'the pruned tfjs model travels on');
    ys.forEach((y, i) => assert.ok(Math.abs(y - Math.sin(xs[i])) < 0.2, `x=${xs[i]}: ${y}`));
  });

  it('distill into an 8-unit student given as a spec', async () => {
    const student = JSON.stringify({
      inputShape: [1],
      layers: [
        { type: 'dense', units: 8, activation: 'relu' },
        { type: 'dense', units: 1 },
      ],
    });
    const { optimized } = await optimizeAndInfer(
      base,
      { mode: 'distill', studentSpec: student, epochs: '20' },
      xs,
    );
    const model = readModel(optimized.payload as Buffer);
    const fc = model.subgraphs[0].tensors.filter((t) => t.shape.length === 2 && t.shape[0] === 8);
    assert.ok(fc.length > 0, 'the student has an 8-unit layer');
    assert.equal((optimized.optimize as { applied: boolean }).applied, true);
  });

  it('prune without msg.tfjs reaches a Catch node with one clear error', async () => {
    await load(
      [optimizeNode, catchNode],
      [
        { id: 'o', type: 'tinyml-optimize', mode: 'prune', sparsity: '0.5', wires: [[]] },
        { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
        { id: 'h', type: 'helper' },
      ],
    );
    const caught = nextMessage(helper.getNode('h'));
    helper.getNode('o').receive({ payload: base.payload } as Msg);
    const error = (await caught).error as { message: string };
    assert.match(error.message, /TensorFlow\.js model \(msg\.tfjs\) is required/);
  });
});
