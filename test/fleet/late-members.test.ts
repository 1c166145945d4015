/**
 * Group membership races, on aedes and on Mosquitto: a device of the group
 * that comes online while a group deploy is planned or running, and one that
 * was offline at discovery and comes back, are neither skipped silently nor
 * served twice — each joins one late wave of the same deployment and ends
 * active, with exactly one outcome per device. A member still offline at the
 * end is reported offline, once.
 */
import { strict as assert } from 'node:assert';
import type { DeviceAgent } from '../../src/device/agent';
import { decodeChunk } from '../../src/fleet/chunk';
import { deploy, type DeployEvent } from '../../src/fleet/deploy';
import { forEachBroker } from './brokers';
import { TestFleet } from './harness';
import { sineModel } from './models';

const v1 = sineModel('1');
/** ~43 KB: the first wave takes long enough for members to come online meanwhile. */
const big = sineModel('3', 40000, 3);
const old = { bytes: v1, version: '1' };

forEachBroker('group deploy with members coming online', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  /** Stops a device cleanly: its retained status says offline. */
  async function takeOffline(id: string): Promise<void> {
    const d = fleet.device(id);
    await d.stop();
    fleet.devices.splice(fleet.devices.indexOf(d), 1);
    assert.ok(await fleet.registry.waitFor(id, (s) => !s.online, 5000), `${id} still online`);
  }

  it('a member coming online mid-deploy, and one coming back, join a late wave; one outcome each', async function () {
    this.timeout(60000);
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', group: 'g', preload: old },
      { id: 'esp-2', profile: 'esp32', group: 'g', preload: old },
      { id: 'esp-4', profile: 'esp32', group: 'g', preload: old },
      { id: 'esp-5', profile: 'esp32', group: 'g', preload: old },
      { id: 'other', profile: 'esp32', group: 'h', preload: old },
    ]);
    await takeOffline('esp-4'); // back during the deployment
    await takeOffline('esp-5'); // stays away
    const events: DeployEvent[] = [];
    let joining: Promise<DeviceAgent[]> | undefined;
    let joined = false;
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { group: 'g' },
      rtoMs: 300,
      // The first wave cannot end before the newcomers are online, however
      // slow the machine: its later chunks are held back until then (and
      // repaired after).
      tamper: (topic, payload) =>
        !joined && topic.endsWith('/chunk') && decodeChunk(payload).index >= 100 ? [] : [payload],
      onEvent: (e) => {
        events.push(e);
        // While the first wave is under way: a new member, and an old one back.
        if (e.kind === 'progress' && e.state === 'receiving' && !joining) {
          joining = Promise.all([
            fleet.add({ id: 'esp-3', profile: 'esp32', group: 'g', preload: old }),
            fleet.add({ id: 'esp-4', profile: 'esp32', group: 'g', preload: old }),
          ]);
          void joining.then(() => (joined = true));
        }
      },
    });
    await joining;
    const states = Object.fromEntries(result.outcomes.map((o) => [o.deviceId, o.state]));
    assert.deepEqual(states, {
      'esp-1': 'active',
      'esp-2': 'active',
      'esp-3': 'active',
      'esp-4': 'active',
      'esp-5': 'offline',
    });
    const waves = events.flatMap((e) => (e.kind === 'wave' ? [e] : []));
    assert.deepEqual(waves[0].devices, ['esp-1', 'esp-2']);
    assert.equal(waves[0].late, undefined);
    const late = waves.slice(1);
    assert.ok(late.length >= 1 && late.every((w) => w.late === true), JSON.stringify(waves));
    assert.deepEqual(late.flatMap((w) => w.devices).sort(), ['esp-3', 'esp-4']);
    // Served once: one outcome event per device, none for the other group.
    const outcomeIds = events.flatMap((e) => (e.kind === 'outcome' ? [e.outcome.deviceId] : []));
    assert.deepEqual(outcomeIds.sort(), ['esp-1', 'esp-2', 'esp-3', 'esp-4', 'esp-5']);
    assert.equal(fleet.device('other').stats.offers, 0);
    await fleet.assertServing([big], ['esp-1', 'esp-2', 'esp-3', 'esp-4']);
    await fleet.assertServing([v1], ['other']);
  });
});
