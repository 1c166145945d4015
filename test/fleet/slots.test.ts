/**
 * A/B slots over a real broker (aedes and Mosquitto): rollback on command and
 * back, a device restart keeping its active model from disk, and automatic
 * rollback at boot when the active slot is damaged.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../src/device/store';
import { sendCommand } from '../../src/fleet/commands';
import { deploy } from '../../src/fleet/deploy';
import { forEachBroker } from './brokers';
import { preload, TestFleet } from './harness';
import { sineModel } from './models';

const v1 = sineModel('1');
const v2 = sineModel('2', 2000);

forEachBroker('fleet slots', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  it('rolls back on command to the previous model, and forward again', async () => {
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', preload: { bytes: v1, version: '1' } },
    ]);
    const r = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { device: 'esp-1' },
    });
    assert.equal(r.outcomes[0].state, 'active');
    const back = await sendCommand(fleet.client, fleet.topics, 'esp-1', 'rollback');
    assert.equal(back.ok, true, back.error);
    assert.equal(back.model?.version, '1');
    assert.equal(back.previous?.version, '2');
    await fleet.assertServing([v1]);
    const forth = await sendCommand(fleet.client, fleet.topics, 'esp-1', 'rollback');
    assert.equal(forth.model?.version, '2');
    await fleet.assertServing([v2]);
  });

  it('refuses a rollback when the other slot holds nothing', async () => {
    fleet = await new TestFleet(broker()).start([
      { id: 'pi-1', profile: 'rpi', preload: { bytes: v1, version: '1' } },
    ]);
    const reply = await sendCommand(fleet.client, fleet.topics, 'pi-1', 'rollback');
    assert.equal(reply.ok, false);
    assert.match(reply.error!, /holds no model/);
    await fleet.assertServing([v1]);
  });

  it('keeps its active model across a restart, and falls back to the other slot when that one is damaged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-dev-'));
    const store = new FileStore(dir);
    await preload(store, v1, '1');
    fleet = await new TestFleet(broker()).start([{ id: 'pi-1', profile: 'rpi', store }]);
    const r = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { device: 'pi-1' },
    });
    assert.equal(r.outcomes[0].state, 'active');
    await fleet.devices[0].stop();
    fleet.devices.length = 0;

    const again = await fleet.add({ id: 'pi-1', profile: 'rpi', store: new FileStore(dir) });
    assert.equal(again.model?.version, '2', 'a restart lost the active model');
    await again.stop();
    fleet.devices.length = 0;

    // Slot B (v2) is damaged on disk: the device boots from slot A (v1).
    await new FileStore(dir).corrupt('b', 100);
    const fallback = await fleet.add({ id: 'pi-1', profile: 'rpi', store: new FileStore(dir) });
    assert.equal(fallback.model?.version, '1');
    await fleet.assertServing([v1]);
  });
});
