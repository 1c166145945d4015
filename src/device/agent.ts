/**
 * The device agent (`tinyml device`): a Raspberry Pi / Linux device, or the
 * ESP32-class simulator, joining the fleet over MQTT with protocol v1
 * (docs/protocol.md). It wires MQTT to DeviceCore (the transfer state
 * machine and A/B slots) and answers inference requests.
 *
 * - Presence: a retained status with capabilities on every (re)connect; the
 *   Last Will replaces it with offline when the connection dies.
 * - Messages are handled one at a time in arrival order. The ESP32 profile
 *   also enforces its limits here: a packet above maxPacket is dropped (as
 *   PubSubClient drops what does not fit its buffer), messages beyond the
 *   receive queue are dropped (counted as overflow), and flash writes take
 *   the simulated time.
 */
import type { KeyObject } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectBroker, endClient, publish, subscribe, unsubscribe } from '../fleet/mqtt';
import {
  PROTOCOL_VERSION,
  parseMessage,
  type DeviceStatus,
  type InferResult,
  type InferSource,
  type ModelRef,
} from '../fleet/messages';
import { loadPublicKey } from '../fleet/signing';
import { Topics } from '../fleet/topics';
import { varintBytes } from '../fleet/geometry';
import { allOpsResolver, type OpResolver } from '../runtime/resolver';
import { capabilitiesOf, profileNamed, type Profile } from './profiles';
import { DeviceCore, type DeviceStats } from './core';
import { FileStore, MemoryStore, type SlotStore } from './store';
import { isTinymlError, ValidationError } from '../errors';

export interface DeviceOptions {
  broker: string;
  id: string;
  /** "rpi" (default) or "esp32", or a full profile. */
  profile?: string | Profile;
  group?: string;
  prefix?: string;
  username?: string;
  password?: string;
  /** Extra MQTT client options (TLS: ca, cert, key, rejectUnauthorized). */
  mqtt?: IClientOptions;
  /** Keep slots on disk here (a restart keeps the active model); memory otherwise. */
  dataDir?: string;
  /** A store to use instead (tests reuse one to simulate a reboot with the same flash). */
  store?: SlotStore;
  /** Ed25519 public key (PEM, or 64 hex digits): only signed manifests are accepted. */
  publicKey?: string | KeyObject;
  resolver?: OpResolver;
  /** Milliseconds between reconnect attempts (mqtt.js reconnectPeriod). */
  reconnectMs?: number;
  log?: (line: string) => void;
}

export interface AgentStats extends DeviceStats {
  /** Packets dropped because they exceed the profile's maxPacket. */
  oversize: number;
  /** Messages dropped because the receive queue was full. */
  overflow: number;
  /** Most messages waiting at once. */
  maxQueued: number;
}

export class DeviceAgent {
  readonly id: string;
  readonly profile: Profile;
  readonly topics: Topics;
  readonly store: SlotStore;
  private readonly core: DeviceCore;
  private client: MqttClient | undefined;
  private readonly queue: (() => Promise<void>)[] = [];
  private draining = false;
  private readonly log: (line: string) => void;
  private readonly extra = { oversize: 0, overflow: 0, maxQueued: 0 };
  private readonly publicKey: KeyObject | undefined;

  constructor(private readonly options: DeviceOptions) {
    this.id = options.id;
    this.profile =
      typeof options.profile === 'object' ? options.profile : profileNamed(options.profile);
    this.topics = new Topics(options.prefix);
    this.log = options.log ?? (() => undefined);
    this.store =
      options.store ?? (options.dataDir ? new FileStore(options.dataDir) : new MemoryStore());
    this.publicKey =
      typeof options.publicKey === 'string'
        ? loadPublicKey(options.publicKey, 'device public key')
        : options.publicKey;
    const resolver = options.resolver ?? allOpsResolver();
    this.core = new DeviceCore({
      id: this.id,
      profile: this.profile,
      store: this.store,
      topics: this.topics,
      ops: resolver.ops(),
      resolver,
      publicKey: this.publicKey,
      log: this.log,
      report: (p) => this.send(this.topics.progress(this.id), JSON.stringify(p)),
      changed: () => this.announce(),
      transferChanged: (deployId, fanout, active) => this.fanout(deployId, fanout, active),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  }

  get model(): ModelRef | null {
    return this.core.model;
  }

  get previous(): ModelRef | null {
    return this.core.previous;
  }

  get stats(): AgentStats {
    return { ...this.core.stats, ...this.extra };
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    await this.core.boot();
    const offline = this.offlineStatus();
    this.client = await connectBroker(this.options.broker, {
      ...this.options.mqtt,
      clientId: `tinyml-device-${this.id}`,
      username: this.options.username,
      password: this.options.password,
      reconnectPeriod: this.options.reconnectMs ?? 1000,
      will: {
        topic: this.topics.status(this.id),
        payload: Buffer.from(JSON.stringify(offline)),
        qos: 1,
        retain: true,
      },
    });
    const client = this.client;
    client.on('message', (topic, payload) => this.receive(topic, payload));
    // Re-announce after every reconnect: the broker may have published the Will.
    client.on('connect', () => {
      this.announce().catch(() => undefined);
    });
    await subscribe(
      client,
      [this.topics.offer(this.id), this.topics.cmd(this.id), this.topics.infer(this.id)],
      1,
    );
    // Chunks at QoS 0: a lost chunk is repaired by the protocol, and QoS 1
    // would cost the device a PUBACK per chunk.
    await subscribe(client, this.topics.chunk(this.id), 0);
    const t = this.core.transferring;
    if (t?.fanout) await subscribe(client, this.topics.fanout(t.deployId), 0);
    await this.announce();
    this.log(`device ${this.id} (${this.profile.name}) online at ${this.options.broker}`);
  }

  /** Goes offline cleanly: publishes the offline status, then disconnects. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const offline = this.offlineStatus();
    // Bounded: with the broker gone the publish would wait for a reconnect
    // forever; the Last Will then says offline for us.
    const said = publish(client, this.topics.status(this.id), JSON.stringify(offline), {
      retain: true,
    }).then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([
      said,
      new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
    ]);
    if (ok) await endClient(client);
    else await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /** Dies like a power cut: the socket closes, the broker publishes the Will. */
  async kill(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.queue.length = 0;
    client.stream?.destroy();
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /** Loses the network for a moment: mqtt.js reconnects after reconnectMs. */
  dropConnection(): void {
    this.client?.stream?.destroy();
  }

  /** The Last Will and clean-stop status; it names the group, so a group deploy reports the member offline. */
  private offlineStatus(): DeviceStatus {
    const s: DeviceStatus = { v: PROTOCOL_VERSION, id: this.id, online: false, ts: Date.now() };
    if (this.options.group) s.group = this.options.group;
    return s;
  }

  private status(): DeviceStatus {
    const s: DeviceStatus = {
      v: PROTOCOL_VERSION,
      id: this.id,
      online: true,
      profile: this.profile.name,
      caps: capabilitiesOf(
        this.profile,
        this.options.resolver?.ops() ?? allOpsResolver().ops(),
        this.publicKey ? 'ed25519' : 'none',
      ),
      model: this.core.model,
      previous: this.core.previous,
      ts: Date.now(),
    };
    if (this.options.group) s.group = this.options.group;
    return s;
  }

  private async announce(): Promise<void> {
    await this.send(this.topics.status(this.id), JSON.stringify(this.status()), true);
  }

  private async send(topic: string, payload: string, retain = false): Promise<void> {
    const client = this.client;
    if (!client) return;
    // QoS 1 where it matters (status); the device's other messages are QoS 0
    // as PubSubClient publishes them: the deployer retries what it misses.
    await publish(client, topic, payload, { qos: retain ? 1 : 0, retain }).catch((err) =>
      this.log(`device ${this.id}: ${(err as Error).message}`),
    );
  }

  private async fanout(deployId: string, fanout: boolean, active: boolean): Promise<void> {
    if (!fanout || !this.client) return;
    const topic = this.topics.fanout(deployId);
    if (active) await subscribe(this.client, topic, 0).catch(() => undefined);
    else await unsubscribe(this.client, topic);
  }

  private receive(topic: string, payload: Buffer): void {
    const p = this.profile;
    // PUBLISH size as it reached us (MQTT 3.1.1, QoS ≤ 1): type byte, length, topic, packet id, payload.
    const remaining = 2 + Buffer.byteLength(topic) + 2 + payload.length;
    if (1 + varintBytes(remaining) + remaining > p.maxPacket) {
      this.extra.oversize++;
      this.log(
        `device ${this.id}: dropped a ${payload.length}-byte message on ${topic}: above ${p.maxPacket}-byte packets`,
      );
      return;
    }
    if (p.rxQueue !== undefined && this.queue.length >= p.rxQueue) {
      this.extra.overflow++;
      return;
    }
    this.queue.push(() => this.handle(topic, payload));
    this.extra.maxQueued = Math.max(this.extra.maxQueued, this.queue.length);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.queue.length) {
      const job = this.queue.shift()!;
      try {
        await job();
      } catch (err) {
        this.log(`device ${this.id}: ${(err as Error).stack ?? err}`);
      }
    }
    this.draining = false;
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const t = this.topics;
    if (topic === t.chunk(this.id) || topic.startsWith(`${t.prefix}deploys/`)) {
      return this.core.onChunk(payload);
    }
    if (topic === t.offer(this.id)) return this.core.onOffer(payload);
    if (topic === t.cmd(this.id)) {
      const reply = await this.core.onCommand(payload);
      if (reply) await this.send(t.reply(this.id), JSON.stringify(reply));
      return;
    }
    if (topic === t.infer(this.id)) {
      let req;
      try {
        req = parseMessage('inferRequest', payload);
      } catch (err) {
        this.log(`device ${this.id}: ignored invalid infer request: ${(err as Error).message}`);
        return;
      }
      await this.infer(req.input, 'mqtt', req.requestId);
    }
  }

  /** Runs the active model on `input` and publishes the result on {p}devices/{id}/results. */
  async infer(input: unknown[], source: InferSource, requestId?: string): Promise<InferResult> {
    const m = this.core.model;
    const result: InferResult = {
      v: PROTOCOL_VERSION,
      deviceId: this.id,
      source,
      model: m ? { name: m.name, version: m.version, sha256: m.sha256 } : null,
      ts: Date.now(),
    };
    if (requestId !== undefined) result.requestId = requestId;
    try {
      const runner = this.core.runner;
      if (!runner) throw new ValidationError('no model is active on this device');
      const run = runner.run(input);
      Object.assign(result, { input, outputs: run.outputs, latencyMs: run.latencyMs });
      if (run.label !== undefined) Object.assign(result, { label: run.label, score: run.score });
    } catch (err) {
      if (!isTinymlError(err)) throw err;
      result.error = err.message;
    }
    await this.send(this.topics.results(this.id), JSON.stringify(result));
    return result;
  }

  /** Switches to the model in the other slot (what the rollback command does). */
  rollback(): Promise<string | undefined> {
    return this.core.rollback();
  }
}
