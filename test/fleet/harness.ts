/**
 * A small fleet for tests: device agents of either profile on a test broker,
 * optionally preloaded with a model (as if deployed earlier), a deployer
 * connection with its registry, and the invariant every fault test ends
 * with: each device serves a working model — the old one or the new one,
 * never none — and the broker's retained status says the same.
 */
import { strict as assert } from 'node:assert';
import { DeviceAgent, type DeviceOptions } from '../../src/device/agent';
import { MemoryStore, type SlotStore } from '../../src/device/store';
import type { ModelRef } from '../../src/fleet/messages';
import { connectBroker, endClient, type MqttClient } from '../../src/fleet/mqtt';
import { FleetRegistry } from '../../src/fleet/registry';
import { Topics } from '../../src/fleet/topics';
import { sha256Hex } from '../../src/util/sha256';
import type { TestBroker } from './brokers';

export function refOf(bytes: Uint8Array, version: string): ModelRef {
  return { name: 'sine', version, sha256: sha256Hex(bytes), size: bytes.length };
}

/** Puts `bytes` in slot A of `store` as the active model (a device that was deployed to before). */
export async function preload(store: SlotStore, bytes: Uint8Array, version: string): Promise<void> {
  await store.erase('a', bytes.length);
  await store.write('a', 0, bytes);
  await store.writeTable({ active: 'a', slots: { a: refOf(bytes, version), b: null } });
}

export interface DeviceSpec extends Partial<DeviceOptions> {
  id: string;
  preload?: { bytes: Uint8Array; version: string };
}

export class TestFleet {
  readonly devices: DeviceAgent[] = [];
  client!: MqttClient;
  registry!: FleetRegistry;
  readonly topics = new Topics();

  constructor(readonly broker: TestBroker) {}

  async start(specs: DeviceSpec[]): Promise<this> {
    this.client = await connectBroker(this.broker.url, { reconnectPeriod: 200 });
    this.client.setMaxListeners(0);
    this.registry = new FleetRegistry(this.client, this.topics);
    await this.registry.start();
    await Promise.all(specs.map((s) => this.add(s)));
    return this;
  }

  async add(spec: DeviceSpec): Promise<DeviceAgent> {
    const store = spec.store ?? new MemoryStore();
    if (spec.preload) await preload(store, spec.preload.bytes, spec.preload.version);
    const agent = new DeviceAgent({
      broker: this.broker.url,
      reconnectMs: 200,
      ...spec,
      store,
    });
    await agent.start();
    this.devices.push(agent);
    // The deployer must know the device before it can target it.
    await this.registry.waitFor(spec.id, (s) => s.online, 5000);
    return agent;
  }

  device(id: string): DeviceAgent {
    const d = this.devices.find((x) => x.id === id);
    if (!d) throw new Error(`no device ${id}`);
    return d;
  }

  /**
   * Every device serves one of `allowed` (never nothing), and its retained
   * status on the broker agrees once it has been republished.
   */
  async assertServing(allowed: Uint8Array[], ids?: string[]): Promise<void> {
    const shas = allowed.map((b) => sha256Hex(b));
    for (const d of this.devices.filter((x) => !ids || ids.includes(x.id))) {
      assert.ok(d.model, `device ${d.id} serves no model`);
      assert.ok(
        shas.includes(d.model.sha256),
        `device ${d.id} serves ${d.model.sha256}, expected one of ${shas.join(', ')}`,
      );
      const s = await this.registry.waitFor(
        d.id,
        (st) => st.online && st.model?.sha256 === d.model!.sha256,
        5000,
      );
      assert.ok(s, `the retained status of ${d.id} does not show the model it serves`);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.stop().catch(() => undefined)));
    this.registry?.stop();
    if (this.client) await endClient(this.client);
  }
}
