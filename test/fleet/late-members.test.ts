/**
 * Group membership races, on aedes and on Mosquitto: a device of the group
 * that comes online while a group deploy is planned or running, and one that
 * was offline at discovery and comes back, are neither skipped silently nor
 * served twice — each joins one late wave of the same deployment and ends
 * active, with exactly one outcome per device. A member still offline at the
 * end is reported offline, once. When a staged rollout stops, members that
 * came online meanwhile are not served, and are reported skipped (E_STOPPED).
 */
import { strict as assert } from 'node:assert';
import type { DeviceAgent } from '../../src/device/agent';
import { decodeChunk } from '../../src/fleet/chunk';
import { deploy, type DeployEvent } from '../../src/fleet/deploy';
import { generateSigningKeys, loadPrivateKey } from '../../src/fleet/signing';
import { forEachBroker } from './brokers';
import { TestFleet, type DeviceSpec } from './harness';
import { sineModel } from './models';

const v1 = sineModel('1');
/** ~43 KB: the first wave takes long enough for members to come online meanwhile. */
const big = sineModel('3', 40000, 3);
const v2 = sineModel('2', 2000);
const old = { bytes: v1, version: '1' };

forEachBroker('group deploy with members coming online', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  /**
   * Adds `specs` to the fleet as soon as the first device reports receiving:
   * members that come online while the first wave runs. `holdBack(index)`
   * says which chunks the deployer may not send before they are online.
   */
  function joinDuringFirstWave(specs: DeviceSpec[], holdBack: (index: number) => boolean) {
    const events: DeployEvent[] = [];
    let joining: Promise<DeviceAgent[]> | undefined;
    let joined = false;
    return {
      events,
      joined: () => joining,
      tamper: (topic: string, payload: Buffer) =>
        !joined && topic.endsWith('/chunk') && holdBack(decodeChunk(payload).index)
          ? []
          : [payload],
      onEvent: (e: DeployEvent) => {
        events.push(e);
        if (e.kind === 'progress' && e.state === 'receiving' && !joining) {
          joining = Promise.all(specs.map((spec) => fleet.add(spec)));
          void joining.then(() => (joined = true));
        }
      },
    };
  }

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
    // While the first wave is under way: a new member, and an old one back.
    // The first wave cannot end before they are online, however slow the
    // machine: its later chunks are held back until then (and repaired after).
    const join = joinDuringFirstWave(
      [
        { id: 'esp-3', profile: 'esp32', group: 'g', preload: old },
        { id: 'esp-4', profile: 'esp32', group: 'g', preload: old },
      ],
      (index) => index >= 100,
    );
    const { events } = join;
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { group: 'g' },
      rtoMs: 300,
      tamper: join.tamper,
      onEvent: join.onEvent,
    });
    await join.joined();
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

  it('a staged rollout that stops reports the members that came online meanwhile as skipped', async function () {
    this.timeout(60000);
    const good = generateSigningKeys();
    const other = generateSigningKeys();
    // s0 and s1 (the first wave) trust another key: both refuse the manifest.
    const member = (id: string, key: string) => ({
      id,
      profile: 'esp32',
      group: 'staged',
      publicKey: key,
      preload: old,
    });
    fleet = await new TestFleet(broker()).start([
      member('s0', other.publicHex),
      member('s1', other.publicHex),
      member('s2', good.publicHex),
      member('s3', good.publicHex),
      member('s4', good.publicHex),
    ]);
    await takeOffline('s4'); // back during the first wave
    // The first wave cannot end (its devices cannot refuse the manifest)
    // before the newcomers are online: no chunk goes out until then.
    const join = joinDuringFirstWave(
      [member('s4', good.publicHex), member('s5', good.publicHex)],
      () => true,
    );
    const { events } = join;
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { group: 'staged' },
      key: loadPrivateKey(good.privatePem),
      waves: [0.5, 1],
      rtoMs: 300,
      tamper: join.tamper,
      onEvent: join.onEvent,
    });
    await join.joined();
    assert.match(result.stopped ?? '', /wave 1: 2 of 2 devices failed/);
    const byId = Object.fromEntries(result.outcomes.map((o) => [o.deviceId, o]));
    assert.deepEqual(
      Object.fromEntries(result.outcomes.map((o) => [o.deviceId, `${o.state} ${o.code}`])),
      {
        s0: 'refused E_SIGNATURE',
        s1: 'refused E_SIGNATURE',
        s2: 'skipped E_STOPPED',
        s3: 'skipped E_STOPPED',
        s4: 'skipped E_STOPPED',
        s5: 'skipped E_STOPPED',
      },
    );
    assert.match(
      byId.s5.error!,
      /came online late; wave 1: .*the rollout stopped; nothing was sent/,
    );
    const waves = events.flatMap((e) => (e.kind === 'wave' ? [e.devices] : []));
    assert.deepEqual(waves, [['s0', 's1']], 'a wave after the rollout stopped');
    const outcomeIds = events.flatMap((e) => (e.kind === 'outcome' ? [e.outcome.deviceId] : []));
    assert.deepEqual(outcomeIds.sort(), ['s0', 's1', 's2', 's3', 's4', 's5']);
    for (const id of ['s2', 's3', 's4', 's5']) {
      assert.equal(fleet.device(id).stats.offers, 0, `${id} was offered the model`);
    }
    await fleet.assertServing([v1]);
  });
});
