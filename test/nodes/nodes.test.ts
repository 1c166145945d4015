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
