/**
 * The nodes in a real Node-RED runtime (node-red-node-test-helper): the
 * pipeline train → convert → optimize → infer (local), and bad input reaching
 * a Catch node through done(err).
 */
import { strict as assert } from 'node:assert';
import helper from 'node-red-node-test-helper';
import trainNode from '../../nodes/train';
import convertNode from '../../nodes/convert';
import optimizeNode from '../../nodes/optimize';
import inferNode from '../../nodes/infer';
import fleetNode from '../../nodes/fleet';
import deployNode from '../../nodes/deploy';
import { load, nextMessage, type Msg } from '../helpers/node-red';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

helper.init(require.resolve('node-red'));

describe('TinyML nodes', function () {
  this.timeout(120000);
  afterEach(async () => {
    await helper.unload();
  });

  it('train → convert → optimize → infer(local) predicts sin(x)', async () => {
    await load(
      [trainNode, convertNode, optimizeNode, inferNode],
      [
        { id: 't', type: 'tinyml-train', spec: '{"preset":"sine"}', wires: [['c']] },
        {
          id: 'c',
          type: 'tinyml-convert',
          modelName: 'sine',
          modelVersion: '3',
          wires: [['o', 'h1']],
        },
        { id: 'o', type: 'tinyml-optimize', mode: 'none', wires: [['h2']] },
        { id: 'i', type: 'tinyml-infer', target: 'local', wires: [['h3']] },
        { id: 'h1', type: 'helper' },
        { id: 'h2', type: 'helper' },
        { id: 'h3', type: 'helper' },
      ],
    );
    const converted = nextMessage(helper.getNode('h1'));
    const optimized = nextMessage(helper.getNode('h2'));
    helper.getNode('t').receive({ payload: 'go' });
    const c = await converted;
    assert.ok(Buffer.isBuffer(c.payload));
    const inspect = c.inspect as {
      requiredOps: string[];
      metadata: { name: string; version: string };
    };
    assert.deepEqual(inspect.requiredOps, ['FULLY_CONNECTED']);
    assert.equal(inspect.metadata.version, '3');
    const o = await optimized;
    const report = o.optimize as { applied: boolean; message: string };
    assert.equal(report.applied, false);
    const inferred = nextMessage(helper.getNode('h3'));
    helper.getNode('i').receive({ payload: [1.2], model: o.payload } as Msg);
    const r = await inferred;
    const y = (r.payload as { outputs: { data: number[] }[] }).outputs[0].data[0];
    assert.ok(Math.abs(y - Math.sin(1.2)) < 0.1, `y=${y}`);
  });

  it('bad input reaches a Catch node through done(err)', async () => {
    await load(
      [convertNode, inferNode, catchNode],
      [
        { id: 'c', type: 'tinyml-convert', wires: [[]] },
        { id: 'i', type: 'tinyml-infer', target: 'local', wires: [[]] },
        { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
        { id: 'h', type: 'helper' },
      ],
    );
    const caught = nextMessage(helper.getNode('h'));
    helper.getNode('c').receive({ payload: 'not a model' });
    const m = await caught;
    const error = m.error as { message: string; source: { id: string } };
    assert.match(error.message, /msg\.payload/);
    assert.equal(error.source.id, 'c');
  });

  it('a built-in data set trains on a seeded 80% and sends the held-out 20% on', async () => {
    const spec = {
      inputShape: [4],
      layers: [{ type: 'dense', units: 3, activation: 'softmax' }],
      loss: 'sparseCategoricalCrossentropy',
      epochs: 2,
      seed: 1,
    };
    await load(
      [trainNode],
      [
        {
          id: 't',
          type: 'tinyml-train',
          spec: JSON.stringify(spec),
          data: 'iris',
          dataType: 'builtin',
          wires: [['h']],
        },
        { id: 'h', type: 'helper' },
      ],
    );
    const out = nextMessage(helper.getNode('h'));
    helper.getNode('t').receive({ payload: Date.now() });
    const m = await out;
    const data = m.data as { xs: number[][] };
    const validation = m.validation as { xs: number[][]; ys: number[] };
    assert.equal(data.xs.length, 120);
    assert.equal(validation.xs.length, 30);
    assert.deepEqual(m.labels, ['setosa', 'versicolor', 'virginica']);
    // Held out means not trained on; iris has a few duplicate rows, so a
    // held-out sample may equal a trained one, but nearly all must be new.
    const trained = new Set(data.xs.map((x) => x.join()));
    const unseen = validation.xs.filter((x) => !trained.has(x.join())).length;
    assert.ok(unseen >= 29, `${30 - unseen} held-out samples also in the training part`);
  });

  it('a device id from an environment variable is used and checked at run time', async () => {
    process.env.TINYML_TEST_DEVICE = 'not a valid id';
    try {
      await load(
        [fleetNode, inferNode, catchNode],
        [
          { id: 'f', type: 'tinyml-fleet', broker: 'mqtt://127.0.0.1:1', prefix: 'tinyml/' },
          {
            id: 'i',
            type: 'tinyml-infer',
            target: 'device',
            fleet: 'f',
            device: 'TINYML_TEST_DEVICE',
            deviceType: 'env',
            wires: [[]],
          },
          { id: 'catch', type: 'catch', scope: null, uncaught: false, wires: [['h']] },
          { id: 'h', type: 'helper' },
        ],
      );
      const caught = nextMessage(helper.getNode('h'));
      helper.getNode('i').receive({ payload: [1] });
      const error = (await caught).error as { message: string };
      assert.match(error.message, /device id "not a valid id" is not valid/);
    } finally {
      delete process.env.TINYML_TEST_DEVICE;
    }
  });

  it('the fleet config node keeps username and password as credentials', async () => {
    await load(
      [fleetNode, deployNode],
      [
        { id: 'f', type: 'tinyml-fleet', broker: 'mqtt://127.0.0.1:1', prefix: 'tinyml/' },
        { id: 'd', type: 'tinyml-deploy', fleet: 'f', device: 'dev-1', wires: [[]] },
      ],
      { f: { username: 'alice', password: 'secret' } },
    );
    const f = helper.getNode('f') as unknown as {
      credentials: { username: string; password: string };
    };
    assert.equal(f.credentials.username, 'alice');
    assert.equal(f.credentials.password, 'secret');
  });
});
