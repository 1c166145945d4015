/**
 * The fleet nodes in a real Node-RED runtime (node-red-node-test-helper), on
 * aedes and on Mosquitto: tinyml-deploy to a group with a signing key from
 * the fleet node's credentials (result on output 1, progress on output 2),
 * tinyml-device-events reporting presence, progress and results,
 * tinyml-infer on a device, and a refused device reaching a Catch node with
 * the result still sent.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import fleetNode from '../../nodes/fleet';
import deployNode from '../../nodes/deploy';
import inferNode from '../../nodes/infer';
import eventsNode from '../../nodes/device-events';
import { generateSigningKeys } from '../../src/fleet/signing';
import type { DeployResult } from '../../src/fleet/deploy';
import { DeployState } from '../../src/fleet/deploy-state';
import { sha256Hex } from '../../src/util/sha256';
import { forEachBroker } from '../fleet/brokers';
import { TestFleet } from '../fleet/harness';
import { sineModel } from '../fleet/models';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

helper.init(require.resolve('node-red'));

type Msg = NodeMessage & Record<string, unknown>;
type Flow = Record<string, unknown>[];

function load(nodes: unknown[], flow: Flow, credentials?: object): Promise<void> {
  const placed: Flow = [{ id: 'tab', type: 'tab' }];
  for (const n of flow) placed.push(n.type === 'tinyml-fleet' ? n : { z: 'tab', x: 0, y: 0, ...n });
  return helper.load(nodes as never, placed as never, credentials as never);
}

/** Collects every message a helper node receives. */
function collect(id: string): Msg[] {
  const got: Msg[] = [];
  (helper.getNode(id) as unknown as { on: (e: string, f: (m: Msg) => void) => void }).on(
    'input',
    (m) => got.push(m),
  );
  return got;
}

async function until<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records the status texts a node shows from now on. */
function statuses(id: string): string[] {
  const texts: string[] = [];
  const node = helper.getNode(id) as unknown as { status: (s: { text?: string }) => void };
  const show = node.status.bind(node);
  node.status = (s) => {
    texts.push(String(s.text ?? ''));
    show(s);
  };
  return texts;
}

const v1 = sineModel('1');
const v2 = sineModel('2', 3000);
/** ~43 KB: about 225 chunks on an ESP32, long enough to be interrupted. */
const big = sineModel('3', 40000, 3);

forEachBroker('fleet nodes', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await helper.unload();
    await fleet?.stop();
  });

  it('deploy signs and delivers to a group; device-events and infer see the devices', async function () {
    this.timeout(30000);
    const keys = generateSigningKeys();
    fleet = await new TestFleet(broker()).start([
      {
        id: 'n-esp',
        profile: 'esp32',
        group: 'nodes',
        publicKey: keys.publicHex,
        preload: { bytes: v1, version: '1' },
      },
      {
        id: 'n-pi',
        profile: 'rpi',
        group: 'nodes',
        publicKey: keys.publicHex,
        preload: { bytes: v1, version: '1' },
      },
    ]);
    await load(
      [fleetNode, deployNode, inferNode, eventsNode],
      [
        { id: 'f', type: 'tinyml-fleet', broker: broker().url, prefix: 'tinyml/' },
        {
          id: 'd',
          type: 'tinyml-deploy',
          fleet: 'f',
          target: 'group',
          group: 'nodes',
          timeout: '30',
          wires: [['result'], ['progress']],
        },
        {
          id: 'i',
          type: 'tinyml-infer',
          target: 'device',
          fleet: 'f',
          device: 'n-esp',
          timeout: '5',
          wires: [['inferred']],
        },
        { id: 'e', type: 'tinyml-device-events', fleet: 'f', group: 'nodes', wires: [['events']] },
        { id: 'result', type: 'helper' },
        { id: 'progress', type: 'helper' },
        { id: 'inferred', type: 'helper' },
        { id: 'events', type: 'helper' },
      ],
      { f: { signingKey: keys.privatePem.replace(/\n/g, ' ') } },
    );
    const results = collect('result');
    const progress = collect('progress');
    const inferred = collect('inferred');
    const events = collect('events');
    const eventsStatus = statuses('e');
    // The events node reports the devices it finds when it starts.
    await until(() => events.filter((m) => m.topic === 'presence').length >= 2, 5000, 'presence');

    const deployStatus = statuses('d');
    helper.getNode('d').receive({ payload: Buffer.from(v2) } as Msg);
    const [r] = await until(
      () => (results.length ? results : undefined),
      20000,
      'the deploy result',
    );
    const result = r.payload as DeployResult;
    assert.equal(result.ok, true, JSON.stringify(result.outcomes));
    assert.ok(result.signed);
    assert.deepEqual(
      result.outcomes.map((o) => [o.deviceId, o.state, o.sha256]),
      [
        ['n-esp', 'active', sha256Hex(v2)],
        ['n-pi', 'active', sha256Hex(v2)],
      ],
    );
    // Progress per device while deploying, devices done, then the result (the
    // helper has no message catalogs, so these are the keys; locales.test.ts
    // checks that each key exists).
    assert.equal(deployStatus[0], 'tinyml-deploy.status.connecting');
    assert.ok(deployStatus.filter((t) => t === 'tinyml-deploy.status.progress').length >= 2);
    assert.ok(deployStatus.includes('tinyml-deploy.status.devices'));
    assert.equal(deployStatus.at(-1), 'tinyml-deploy.status.result');
    assert.ok(eventsStatus.includes('tinyml-device-events.status.counts'));
    const kinds = new Set(progress.map((m) => m.topic));
    assert.ok(
      kinds.has('wave') && kinds.has('progress') && kinds.has('outcome'),
      [...kinds].join(),
    );
    await fleet.assertServing([v2]);
    await until(
      () =>
        events.some(
          (m) => m.topic === 'progress' && (m.payload as { state: string }).state === 'active',
        ),
      5000,
      'a progress event',
    );
    await until(
      () =>
        events.some(
          (m) =>
            m.topic === 'presence' &&
            (m.payload as { model?: { version: string } }).model?.version === '2',
        ),
      5000,
      'a presence event with the new model',
    );

    helper.getNode('i').receive({ payload: [1.0] } as Msg);
    const [answer] = await until(() => (inferred.length ? inferred : undefined), 5000, 'inference');
    const out = answer.payload as {
      deviceId: string;
      requestId: string;
      outputs: { data: number[] }[];
    };
    assert.equal(out.deviceId, 'n-esp');
    assert.match(out.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(Math.abs(out.outputs[0].data[0] - 0.863) < 1e-3);
    await until(
      () => events.some((m) => m.topic === 'results' && m.device === 'n-esp'),
      5000,
      'a results event',
    );
  });

  it('sends the result and reports an error to a Catch node when a device refuses', async function () {
    this.timeout(30000);
    const keys = generateSigningKeys();
    fleet = await new TestFleet(broker()).start([
      {
        id: 'locked',
        profile: 'rpi',
        publicKey: keys.publicHex,
        preload: { bytes: v1, version: '1' },
      },
    ]);
    await load(
      [fleetNode, deployNode, catchNode],
      [
        { id: 'f', type: 'tinyml-fleet', broker: broker().url, prefix: 'tinyml/' },
        {
          id: 'd',
          type: 'tinyml-deploy',
          fleet: 'f',
          device: 'locked',
          timeout: '10',
          wires: [['result'], []],
        },
        { id: 'c', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'result', type: 'helper' },
        { id: 'caught', type: 'helper' },
      ],
    );
    const results = collect('result');
    const caught = collect('caught');
    helper.getNode('d').receive({ payload: Buffer.from(v2) } as Msg);
    const [c] = await until(() => (caught.length ? caught : undefined), 15000, 'the Catch node');
    assert.match(
      (c.error as { message: string }).message,
      /locked refused: device accepts only signed manifests/,
    );
    const result = results[0].payload as DeployResult;
    assert.equal(result.ok, false);
    assert.equal(result.outcomes[0].code, 'E_SIGNATURE');
    await fleet.assertServing([v1]);
  });

  it('a deployment interrupted by a Node-RED restart continues at the next start', async function () {
    this.timeout(60000);
    const userDir = mkdtempSync(join(tmpdir(), 'tinyml-nr-'));
    helper.settings({ userDir });
    try {
      fleet = await new TestFleet(broker()).start([
        { id: 'r-esp', profile: 'esp32', preload: { bytes: v1, version: '1' } },
      ]);
      const flow = [
        { id: 'f', type: 'tinyml-fleet', broker: broker().url, prefix: 'tinyml/' },
        {
          id: 'd',
          type: 'tinyml-deploy',
          fleet: 'f',
          device: 'r-esp',
          timeout: '40',
          wires: [['result'], []],
        },
        { id: 'result', type: 'helper' },
      ];
      await load([fleetNode, deployNode], flow);
      const device = fleet.device('r-esp');
      helper.getNode('d').receive({ payload: Buffer.from(big) } as Msg);
      const modelChunks = Math.ceil(big.length / 192);
      const half = Math.floor(modelChunks / 2);
      await until(() => device.stats.chunks >= half, 20000, 'half of the chunks');
      await helper.unload(); // Node-RED stops
      const state = new DeployState(join(userDir, 'tinyml-deploys.json'));
      const saved = await state.load();
      assert.deepEqual(
        saved.map((x) => [x.owner, x.sha256]),
        [['d', sha256Hex(big)]],
      );
      assert.equal(device.model?.sha256, sha256Hex(v1), 'the old model serves meanwhile');
      const before = device.stats.chunks;

      await load([fleetNode, deployNode], flow); // Node-RED starts again: no message needed
      const results = collect('result');
      const [r] = await until(() => (results.length ? results : undefined), 30000, 'the result');
      const result = r.payload as DeployResult;
      assert.equal(result.resumed, true);
      assert.equal(result.deployId, saved[0].deployId);
      assert.equal(result.outcomes[0].state, 'active', result.outcomes[0].error);
      const again = device.stats.chunks - before;
      assert.ok(again < modelChunks - half / 2, `${again} of ${modelChunks} chunks came again`);
      await fleet.assertServing([big]);
      assert.deepEqual(await state.load(), []);
      assert.equal(await state.readModel(saved[0].deployId), undefined);
    } finally {
      helper.settings({});
    }
  });
});
