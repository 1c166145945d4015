/**
 * A device remembers the outcome of its last transfers across a restart, on
 * aedes and on Mosquitto, for both stores (the Raspberry Pi agent's files and
 * the ESP32 simulator's flash): a deployer stopped while the device was
 * activating (it never heard the final report), then restarted with its
 * state file after the device rebooted, hears `active` from the device's
 * saved final report — no chunk is sent again and the device does not start
 * the transfer over (docs/protocol.md §7.2 rule 2).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore, MemoryStore, type SlotStore } from '../../src/device/store';
import { deploy } from '../../src/fleet/deploy';
import { DeployState } from '../../src/fleet/deploy-state';
import { sha256Hex } from '../../src/util/sha256';
import { forEachBroker } from './brokers';
import { preload, TestFleet } from './harness';
import { sineModel } from './models';

const v1 = sineModel('1');
const v2 = sineModel('2', 2000);

forEachBroker('finished transfers across a device restart', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  const stores: [string, 'rpi' | 'esp32', () => SlotStore][] = [
    ['files (rpi)', 'rpi', () => new FileStore(mkdtempSync(join(tmpdir(), 'tinyml-dev-')))],
    ['flash (esp32 simulator)', 'esp32', () => new MemoryStore()],
  ];
  for (const [name, profile, makeStore] of stores) {
    it(`a rebooted device answers the deployer's poll with the outcome it saved: ${name}`, async function () {
      this.timeout(30000);
      const store = makeStore();
      await preload(store, v1, '1');
      fleet = await new TestFleet(broker()).start([{ id: 'dev-1', profile, store }]);
      // The device's switch to the new model waits until the deployer has
      // stopped: the deployer never hears the final report.
      let release!: () => void;
      const stopped = new Promise<void>((resolve) => (release = resolve));
      const writeTable = store.writeTable.bind(store);
      store.writeTable = async (table) => {
        if (table.active && table.slots[table.active]?.sha256 === sha256Hex(v2)) await stopped;
        return writeTable(table);
      };
      const state = new DeployState(join(mkdtempSync(join(tmpdir(), 'tinyml-dep-')), 's.json'));
      const stop = new AbortController();
      const first = deploy({
        client: fleet.client,
        registry: fleet.registry,
        model: v2,
        target: { device: 'dev-1' },
        state,
        signal: stop.signal,
        onEvent: (e) => {
          if (e.kind === 'progress' && e.state === 'verifying') stop.abort();
        },
      });
      await assert.rejects(first, /stopped before it ended/);
      release();
      const [saved] = await state.load();
      assert.ok(saved, 'the interrupted deployment was not saved');
      // The device went on and activated the model, then rebooted.
      const ready = await fleet.registry.waitFor(
        'dev-1',
        (s) => s.model?.sha256 === sha256Hex(v2),
        10000,
      );
      assert.ok(ready, 'the device did not activate the model');
      await fleet.device('dev-1').stop();
      fleet.devices.length = 0;
      const rebooted = await fleet.add({ id: 'dev-1', profile, store });
      assert.equal(rebooted.model?.sha256, sha256Hex(v2));

      const second = await deploy({
        client: fleet.client,
        registry: fleet.registry,
        model: v2,
        target: { device: 'dev-1' },
        state,
      });
      assert.equal(second.resumed, true);
      assert.equal(second.deployId, saved.deployId);
      const [o] = second.outcomes;
      assert.equal(o.state, 'active', `${o.state} ${o.code}: ${o.error}`);
      assert.equal(o.sha256, sha256Hex(v2));
      assert.equal(o.chunksSent, 0, 'chunks were sent again');
      assert.ok(rebooted.stats.offers >= 1, 'the device was not polled');
      assert.equal(rebooted.stats.chunks, 0, 'the device received the model again');
      await fleet.assertServing([v2]);
    });
  }
});

describe('the record of finished transfers on disk', () => {
  it('a damaged record of finished transfers reads as none, not as an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-dev-'));
    writeFileSync(join(dir, 'finished.json'), '[{"deployId":"nothex"}]');
    assert.deepEqual(await new FileStore(dir).loadFinished(), []);
  });
});
