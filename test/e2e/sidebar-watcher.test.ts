/**
 * The sidebar's fleet watcher against a real broker (aedes) and a real
 * device agent: it waits for a broker that starts after it, then shows the
 * device that announces itself.
 */
import { strict as assert } from 'node:assert';
import { FleetWatcher } from '../../nodes/lib/fleet-watcher';
import type { FleetSnapshot } from '../../nodes/lib/fleet-view';
import { startBroker, type EmbeddedBroker } from '../../src/fleet/broker';
import { DeviceAgent } from '../../src/device/agent';
import { freePort, waitFor } from './browser';

describe('sidebar fleet watcher', function () {
  this.timeout(30000);
  let broker: EmbeddedBroker | undefined;
  let device: DeviceAgent | undefined;
  let watcher: FleetWatcher | undefined;
  after(async () => {
    await watcher?.close();
    await device?.stop();
    await broker?.close();
  });

  it('retries a broker that is not up yet, then lists the device that comes online', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let last: FleetSnapshot | undefined;
    watcher = new FleetWatcher(
      'f1',
      'test fleet',
      { broker: url, prefix: 'tinyml/' },
      (s) => (last = s),
      () => undefined,
    );
    await assert.rejects(watcher.start(), /cannot connect to broker/);
    assert.equal(last?.connected, false);
    broker = await startBroker(port);
    device = new DeviceAgent({ broker: url, id: 'pi-7', profile: 'rpi', group: 'g1' });
    await device.start();
    const seen = await waitFor(
      async () => {
        const d = last?.devices.find((x) => x.id === 'pi-7');
        return last?.connected && d?.online ? d : undefined;
      },
      20000,
      'the watcher to reconnect and see pi-7',
    );
    assert.equal(seen.profile, 'rpi');
    assert.equal(seen.group, 'g1');
  });
});
