/**
 * Faults, on aedes and on Mosquitto. Each test asserts that no device ends
 * without a working model (the old one or the new one), that its retained
 * status says which, and that the deployment reports every device's final
 * state: a device losing its connection or its power at a random chunk, a
 * broker restart mid-deploy, duplicated / reordered / damaged chunks, a
 * model damaged so that only the sha256 can tell, a tampered or wrongly
 * signed manifest, a model that fails its self-test, a new deploy
 * replacing one in flight, and a rollback command racing a transfer.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceAgent } from '../../src/device/agent';
import { FileStore, MemoryStore } from '../../src/device/store';
import { CHUNK_HEADER_BYTES, decodeChunk, encodeChunk } from '../../src/fleet/chunk';
import { sendCommand } from '../../src/fleet/commands';
import { deploy, type DeployResult } from '../../src/fleet/deploy';
import { generateSigningKeys, loadPrivateKey } from '../../src/fleet/signing';
import { mulberry32 } from '../../src/model/random';
import { forEachBroker } from './brokers';
import { preload, refOf, TestFleet } from './harness';
import { nanModel, sineModel } from './models';

const v1 = sineModel('1');
const v2 = sineModel('2', 6000);
/** ~43 KB: 230 chunks of 192 bytes on an ESP32, long enough to be interrupted. */
const big = sineModel('3', 40000, 3);

/** Resolves once `agent` has received at least `n` chunk messages. */
async function atChunk(agent: () => DeviceAgent, n: number): Promise<void> {
  while (agent().stats.chunks < n) await new Promise((r) => setTimeout(r, 1));
}

/** A device that was deployed to twice: `serving` active in slot a, `previous` in slot b. */
async function twoSlots(serving: Uint8Array, previous: Uint8Array): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.erase('b', previous.length);
  await store.write('b', 0, previous);
  await preload(store, serving, '1');
  const table = await store.readTable();
  await store.writeTable({ ...table, slots: { ...table.slots, b: refOf(previous, '0') } });
  return store;
}

function states(r: DeployResult): Record<string, string> {
  return Object.fromEntries(r.outcomes.map((o) => [o.deviceId, o.state]));
}

forEachBroker('fleet faults', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  it('a device that loses its connection at a random chunk resumes from what it has', async () => {
    const rand = mulberry32(11);
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', preload: { bytes: v1, version: '1' } },
      { id: 'pi-1', profile: 'rpi', preload: { bytes: v1, version: '1' } },
    ]);
    const running = deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { devices: ['esp-1', 'pi-1'] },
      maxChunk: 512,
      rtoMs: 300,
    });
    const total = 230;
    const cut = 20 + Math.floor(rand() * (total - 60));
    await atChunk(() => fleet.device('esp-1'), cut);
    fleet.device('esp-1').dropConnection();
    fleet.device('pi-1').dropConnection();
    const result = await running;
    assert.deepEqual(states(result), { 'esp-1': 'active', 'pi-1': 'active' });
    const esp = result.outcomes.find((o) => o.deviceId === 'esp-1')!;
    // Resumed, not restarted: far fewer resends than a second full transfer.
    assert.ok(
      esp.chunksResent < result.chunks / 2,
      `${esp.chunksResent} of ${result.chunks} resent`,
    );
    await fleet.assertServing([big]);
  });

  it('a device that loses power mid-transfer resumes from its saved state after the restart', async () => {
    const rand = mulberry32(12);
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-dev-'));
    const store = new FileStore(dir);
    await preload(store, v1, '1');
    fleet = await new TestFleet(broker()).start([{ id: 'pi-1', profile: 'rpi', store }]);
    const running = deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { device: 'pi-1' },
      maxChunk: 256,
      window: 4,
      rtoMs: 300,
    });
    const before = fleet.device('pi-1');
    await atChunk(() => before, 30 + Math.floor(rand() * 100));
    await before.kill();
    const heldAtKill = before.stats.chunks;
    fleet.devices.splice(fleet.devices.indexOf(before), 1);
    // The same disk, a new process.
    const after = await fleet.add({ id: 'pi-1', profile: 'rpi', store: new FileStore(dir) });
    const result = await running;
    assert.equal(result.outcomes[0].state, 'active', result.outcomes[0].error);
    assert.ok(
      after.stats.chunks < result.chunks - heldAtKill / 2,
      `after the restart ${after.stats.chunks} of ${result.chunks} chunks came again`,
    );
    await fleet.assertServing([big]);
  });

  it('a broker restart mid-deploy ends with every device on the new model', async function () {
    this.timeout(30000);
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', group: 'g', preload: { bytes: v1, version: '1' } },
      { id: 'esp-2', profile: 'esp32', group: 'g', preload: { bytes: v1, version: '1' } },
      { id: 'pi-1', profile: 'rpi', group: 'g', preload: { bytes: v1, version: '1' } },
    ]);
    const running = deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { group: 'g' },
      rtoMs: 300,
    });
    await atChunk(() => fleet.device('esp-1'), 60);
    await broker().restart(300);
    const result = await running;
    assert.deepEqual(states(result), { 'esp-1': 'active', 'esp-2': 'active', 'pi-1': 'active' });
    await fleet.assertServing([big]);
  });

  it('duplicated, reordered and damaged chunks are dropped or reordered and repaired', async () => {
    const rand = mulberry32(5);
    let held: Buffer | undefined;
    let damaged = 0;
    const tamper = (topic: string, payload: Buffer): Buffer[] => {
      if (!topic.endsWith('/chunk')) return [payload];
      const r = rand();
      if (r < 0.1) return [payload, payload];
      if (r < 0.2) {
        const bad = Buffer.from(payload);
        bad[CHUNK_HEADER_BYTES + Math.floor(rand() * (bad.length - CHUNK_HEADER_BYTES))] ^= 0x5a;
        damaged++;
        return [bad];
      }
      if (r < 0.3) {
        const prev = held;
        held = payload;
        return prev ? [prev] : [];
      }
      const out = held ? [payload, held] : [payload];
      held = undefined;
      return out;
    };
    // A group of its own: the broker still holds the offline statuses (naming
    // their group) of earlier tests' devices, which a group deploy reports.
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', group: 'dup', preload: { bytes: v1, version: '1' } },
      { id: 'pi-1', profile: 'rpi', group: 'dup', preload: { bytes: v1, version: '1' } },
    ]);
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { group: 'dup' },
      maxChunk: 256,
      rtoMs: 200,
      tamper,
    });
    assert.deepEqual(states(result), { 'esp-1': 'active', 'pi-1': 'active' });
    assert.ok(damaged > 0);
    const esp = fleet.device('esp-1').stats;
    assert.ok(esp.damaged > 0 && esp.duplicates > 0, JSON.stringify(esp));
    await fleet.assertServing([v2]);
  });

  it('a model damaged behind a valid CRC fails its sha256 check and the old model keeps serving', async () => {
    let hit = false;
    const tamper = (topic: string, payload: Buffer): Buffer[] => {
      if (hit || !topic.endsWith('/chunk')) return [payload];
      const c = decodeChunk(payload);
      if (c.index < 3) return [payload]; // leave the manifest section alone
      hit = true;
      const data = Buffer.from(c.data);
      data[0] ^= 1;
      return [encodeChunk(c.deployId, c.index, data)]; // CRC recomputed: only sha256 can tell
    };
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', preload: { bytes: v1, version: '1' } },
    ]);
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { device: 'esp-1' },
      tamper,
    });
    const [o] = result.outcomes;
    assert.equal(o.state, 'failed');
    assert.equal(o.code, 'E_SHA256');
    assert.equal(o.serving?.version, '1');
    await fleet.assertServing([v1]);
  });

  it('a wrongly signed or tampered manifest is refused; the serving model and the rollback target stay', async () => {
    const trusted = generateSigningKeys();
    const attacker = generateSigningKeys();
    fleet = await new TestFleet(broker()).start([
      {
        id: 'pi-1',
        profile: 'rpi',
        publicKey: trusted.publicHex,
        preload: { bytes: v1, version: '1' },
      },
    ]);
    const key = loadPrivateKey(trusted.privatePem);
    const good = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { device: 'pi-1' },
      key,
    });
    assert.equal(good.outcomes[0].state, 'active', good.outcomes[0].error);
    const v3 = sineModel('3', 100);
    const wrong = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v3,
      target: { device: 'pi-1' },
      key: loadPrivateKey(attacker.privatePem),
    });
    assert.equal(wrong.outcomes[0].state, 'refused');
    assert.equal(wrong.outcomes[0].code, 'E_SIGNATURE');
    assert.match(wrong.outcomes[0].error!, /signature does not verify/);

    // Signed with the trusted key, then one byte of the manifest changed in transit.
    const tamper = (topic: string, payload: Buffer): Buffer[] => {
      if (!topic.endsWith('/chunk')) return [payload];
      const c = decodeChunk(payload);
      if (c.index !== 0) return [payload];
      const data = Buffer.from(c.data);
      const at = data.indexOf('"version":"3"');
      assert.ok(at >= 0, 'the manifest is in chunk 0');
      data[at + '"version":"'.length] = '9'.charCodeAt(0);
      return [encodeChunk(c.deployId, c.index, data)];
    };
    const tampered = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v3,
      target: { device: 'pi-1' },
      key,
      tamper,
    });
    assert.equal(tampered.outcomes[0].code, 'E_SIGNATURE');
    await fleet.assertServing([v2]);
    // The refused manifests never erased the other slot: v1 is still the rollback target.
    assert.equal(fleet.device('pi-1').previous?.version, '1');
    assert.equal(fleet.registry.get('pi-1')?.previous?.version, '1');
  });

  it('a model that fails its self-test is not activated: the old one keeps serving', async () => {
    fleet = await new TestFleet(broker()).start([
      { id: 'pi-1', profile: 'rpi', preload: { bytes: v1, version: '1' } },
    ]);
    const bad = nanModel('2');
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: bad,
      target: { device: 'pi-1' },
    });
    assert.equal(result.outcomes[0].state, 'failed');
    assert.equal(result.outcomes[0].code, 'E_SELFTEST');
    assert.match(result.outcomes[0].error!, /NaN/);
    await fleet.assertServing([v1]);
  });

  describe('a rollback command racing a transfer', () => {
    const v0 = sineModel('0', 1000, 9);
    const sha = (b: Uint8Array) => refOf(b, '').sha256;
    const deployTo = (model: Uint8Array, extra: Partial<Parameters<typeof deploy>[0]> = {}) =>
      deploy({
        client: fleet.client,
        registry: fleet.registry,
        model,
        target: { device: 'esp-1' },
        rtoMs: 300,
        ...extra,
      });
    beforeEach(async () => {
      // Deployed to twice: v1 serves from slot a, v0 in slot b is the rollback target.
      fleet = await new TestFleet(broker()).start([
        { id: 'esp-1', profile: 'esp32', store: await twoSlots(v1, v0) },
      ]);
    });
    /** The transfer ended cancelled; a later deploy works. */
    async function endsCancelled(running: Promise<DeployResult>, serving: Uint8Array) {
      const result = await running;
      assert.equal(result.outcomes[0].state, 'cancelled');
      assert.equal(result.outcomes[0].code, 'E_CANCELLED');
      assert.equal(result.outcomes[0].serving?.sha256, sha(serving));
      await fleet.assertServing([serving]);
      const later = await deployTo(v2);
      assert.equal(later.outcomes[0].state, 'active', later.outcomes[0].error);
      await fleet.assertServing([v2]);
    }

    it('while the manifest is unverified: the transfer is cancelled and the rollback done', async () => {
      // Manifest chunk 1 never arrives: the transfer stays unverified, aimed at
      // slot b — the rollback target — while model chunks keep coming.
      const running = deployTo(big, {
        tamper: (topic, payload) =>
          topic.endsWith('/chunk') && decodeChunk(payload).index === 1 ? [] : [payload],
      });
      const device = fleet.device('esp-1');
      while (device.stats.early < 10) await new Promise((r) => setTimeout(r, 1));
      const reply = await sendCommand(fleet.client, fleet.topics, 'esp-1', 'rollback');
      assert.equal(reply.ok, true, reply.error);
      assert.equal(reply.model?.sha256, sha(v0));
      assert.equal(reply.previous?.sha256, sha(v1));
      await endsCancelled(running, v0);
      assert.equal(device.previous?.sha256, sha(v0));
    });

    it('after the manifest verified: the transfer is cancelled, the rollback fails, the model serves on', async () => {
      const running = deployTo(big);
      await atChunk(() => fleet.device('esp-1'), 40);
      const reply = await sendCommand(fleet.client, fleet.topics, 'esp-1', 'rollback');
      // Verifying the manifest gave slot b up for the new model: nothing to roll back to.
      assert.equal(reply.ok, false);
      assert.match(reply.error!, /holds no model/);
      assert.equal(reply.model?.sha256, sha(v1));
      assert.equal(reply.previous, null);
      const status = await fleet.registry.waitFor('esp-1', (s) => s.previous === null, 5000);
      assert.ok(status, 'the retained status still names a rollback target that was erased');
      await endsCancelled(running, v1);
    });
  });

  it('a new deploy replaces one in flight: the first is cancelled, the device runs the second', async () => {
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', group: 'g', preload: { bytes: v1, version: '1' } },
      { id: 'esp-2', profile: 'esp32', group: 'g', preload: { bytes: v1, version: '1' } },
    ]);
    const first = deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: big,
      target: { devices: ['esp-1', 'esp-2'] },
    });
    await atChunk(() => fleet.device('esp-1'), 40);
    // An explicit list: offers go out at once, no group discovery wait.
    const second = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model: v2,
      target: { devices: ['esp-1', 'esp-2'] },
    });
    const replaced = await first;
    assert.deepEqual(states(replaced), { 'esp-1': 'cancelled', 'esp-2': 'cancelled' });
    assert.equal(replaced.outcomes[0].code, 'E_SUPERSEDED');
    assert.deepEqual(states(second), { 'esp-1': 'active', 'esp-2': 'active' });
    await fleet.assertServing([v2]);
  });
});
