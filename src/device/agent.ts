/**
 * The device agent (`tinyml device`): a Raspberry Pi / Linux device, or a
 * simulated ESP32-class device, that joins the fleet over MQTT.
 *
 * It announces itself with a retained status (the Last Will replaces it with
 * offline), receives a model as manifest + chunks, checks its sha256, loads it
 * in the project's interpreter and runs a self-test inference before it
 * replaces the active model — the old model serves until then, and a failed
 * new model never replaces it. It answers inference requests and publishes
 * results on {prefix}devices/{id}/results.
 */
import type { MqttClient } from 'mqtt';
import { Interpreter } from '../runtime/interpreter';
import { allOpsResolver } from '../runtime/resolver';
import { runJson } from '../runtime/io';
import { connectBroker, endClient, publish, subscribe } from '../fleet/mqtt';
import {
  parseMessage,
  type DeployState,
  type DeviceStatus,
  type InferResult,
  type Manifest,
  type ModelRef,
} from '../fleet/messages';
import { Topics } from '../fleet/topics';
import { capabilitiesOf, PROFILES, type Profile } from './profiles';
import { sha256Hex } from '../util/sha256';
import { isTinymlError, ValidationError } from '../errors';

export interface DeviceOptions {
  broker: string;
  id: string;
  profile?: string;
  group?: string;
  prefix?: string;
  username?: string;
  password?: string;
  log?: (line: string) => void;
}

interface Transfer {
  manifest: Manifest;
  buffer: Uint8Array;
  received: Uint8Array;
  count: number;
}

export class DeviceAgent {
  readonly id: string;
  readonly profile: Profile;
  readonly topics: Topics;
  private client: MqttClient | undefined;
  private active: { ref: ModelRef; interp: Interpreter; labels?: string[] } | undefined;
  private transfer: Transfer | undefined;
  private readonly ops = allOpsResolver().ops();
  private readonly log: (line: string) => void;

  constructor(private readonly options: DeviceOptions) {
    this.id = options.id;
    const profile = PROFILES[options.profile ?? 'rpi'];
    if (!profile) {
      throw new ValidationError(
        `unknown profile "${options.profile}"; profiles: ${Object.keys(PROFILES).join(', ')}`,
      );
    }
    this.profile = profile;
    this.topics = new Topics(options.prefix);
    this.log = options.log ?? (() => undefined);
  }

  get model(): ModelRef | null {
    return this.active?.ref ?? null;
  }

  async start(): Promise<void> {
    const offline: DeviceStatus = { id: this.id, online: false, ts: Date.now() };
    this.client = await connectBroker(this.options.broker, {
      clientId: `tinyml-device-${this.id}`,
      username: this.options.username,
      password: this.options.password,
      will: {
        topic: this.topics.status(this.id),
        payload: Buffer.from(JSON.stringify(offline)),
        qos: 1,
        retain: true,
      },
    });
    const client = this.client;
    client.on('message', (topic, payload) => {
      this.onMessage(topic, payload).catch((err) =>
        this.log(`device ${this.id}: ${(err as Error).message}`),
      );
    });
    // Re-announce after every (re)connect: the broker may have published the Will.
    client.on('connect', () => {
      this.announce().catch(() => undefined);
    });
    await subscribe(client, [
      this.topics.deploy(this.id),
      `${this.topics.deploy(this.id)}/+/chunk/+`,
      this.topics.infer(this.id),
    ]);
    await this.announce();
    this.log(`device ${this.id} (${this.profile.name}) online at ${this.options.broker}`);
  }

  async stop(): Promise<void> {
    if (!this.client) return;
    const offline: DeviceStatus = { id: this.id, online: false, ts: Date.now() };
    await publish(this.client, this.topics.status(this.id), JSON.stringify(offline), {
      retain: true,
    }).catch(() => undefined);
    await endClient(this.client);
    this.client = undefined;
  }

  private status(): DeviceStatus {
    const s: DeviceStatus = {
      id: this.id,
      online: true,
      profile: this.profile.name,
      capabilities: capabilitiesOf(this.profile, this.ops),
      model: this.model,
      ts: Date.now(),
    };
    if (this.options.group) s.group = this.options.group;
    return s;
  }

  private announce(): Promise<void> {
    return publish(this.client!, this.topics.status(this.id), JSON.stringify(this.status()), {
      retain: true,
    });
  }

  private state(s: Omit<DeployState, 'ts'>): Promise<void> {
    return publish(
      this.client!,
      this.topics.deployState(this.id),
      JSON.stringify({ ...s, ts: Date.now() }),
    );
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    if (topic === this.topics.deploy(this.id)) return this.onManifest(payload);
    if (topic === this.topics.infer(this.id)) return this.onInfer(payload);
    const prefix = `${this.topics.deploy(this.id)}/`;
    if (topic.startsWith(prefix)) {
      const [deployId, kind, index] = topic.slice(prefix.length).split('/');
      if (kind === 'chunk') return this.onChunk(deployId, Number(index), payload);
    }
  }

  private async onManifest(payload: Buffer): Promise<void> {
    let manifest: Manifest;
    try {
      manifest = parseMessage('manifest', payload);
    } catch (err) {
      this.log(`device ${this.id}: ignored invalid manifest: ${(err as Error).message}`);
      return;
    }
    const fail = (error: string) =>
      this.state({ deployId: manifest.deployId, state: 'failed', error });
    if (manifest.size > this.profile.flashBytes) {
      return fail(
        `model of ${manifest.size} bytes exceeds the ${this.profile.flashBytes}-byte model storage`,
      );
    }
    if (manifest.chunks !== Math.ceil(manifest.size / manifest.chunkSize)) {
      return fail(
        `manifest: ${manifest.chunks} chunks of ${manifest.chunkSize} bytes cannot hold ${manifest.size} bytes`,
      );
    }
    this.transfer = {
      manifest,
      buffer: new Uint8Array(manifest.size),
      received: new Uint8Array(manifest.chunks),
      count: 0,
    };
    await this.state({
      deployId: manifest.deployId,
      state: 'receiving',
      received: 0,
      chunks: manifest.chunks,
    });
  }

  private async onChunk(deployId: string, index: number, payload: Buffer): Promise<void> {
    const t = this.transfer;
    if (!t || t.manifest.deployId !== deployId) return; // stale or unknown deployment
    const { chunkSize, chunks, size } = t.manifest;
    if (!Number.isInteger(index) || index < 0 || index >= chunks) return;
    const expected = index === chunks - 1 ? size - chunkSize * (chunks - 1) : chunkSize;
    if (payload.length !== expected) {
      this.log(
        `device ${this.id}: chunk ${index} has ${payload.length} bytes, expected ${expected}; dropped`,
      );
      return;
    }
    t.buffer.set(payload, index * chunkSize);
    if (!t.received[index]) {
      t.received[index] = 1;
      t.count++;
    }
    if (t.count === chunks) await this.activate(t);
  }

  private async activate(t: Transfer): Promise<void> {
    this.transfer = undefined;
    const { deployId, sha256, name, version, size } = t.manifest;
    await this.state({
      deployId,
      state: 'verifying',
      received: t.count,
      chunks: t.manifest.chunks,
    });
    const actual = sha256Hex(t.buffer);
    if (actual !== sha256) {
      return this.state({
        deployId,
        state: 'failed',
        sha256: actual,
        error: `sha256 mismatch: got ${actual}, manifest says ${sha256}`,
      });
    }
    let interp: Interpreter;
    try {
      interp = new Interpreter(t.buffer, { maxArenaBytes: this.profile.arenaBytes });
      interp.invoke(); // self-test on the zero-initialised inputs
    } catch (err) {
      return this.state({
        deployId,
        state: 'failed',
        sha256: actual,
        error: `model rejected: ${(err as Error).message}`,
      });
    }
    const previous = this.active?.ref;
    this.active = { ref: { name, version, sha256, size }, interp, labels: interp.metadata?.labels };
    this.log(
      `device ${this.id}: model ${name} ${version} (${size} bytes) active` +
        (previous ? `, replacing ${previous.name} ${previous.version}` : ''),
    );
    await this.state({ deployId, state: 'active', sha256: actual });
    await this.announce();
  }

  private async onInfer(payload: Buffer): Promise<void> {
    let requestId: string | undefined;
    const base = (): InferResult => ({
      deviceId: this.id,
      model: this.active
        ? {
            name: this.active.ref.name,
            version: this.active.ref.version,
            sha256: this.active.ref.sha256,
          }
        : null,
      ts: Date.now(),
      ...(requestId !== undefined ? { requestId } : {}),
    });
    let result: InferResult;
    try {
      const req = parseMessage('inferRequest', payload);
      requestId = req.requestId;
      if (!this.active) throw new ValidationError('no model is active on this device');
      const run = runJson(this.active.interp, req.input);
      result = { ...base(), input: req.input, outputs: run.outputs, latencyMs: run.latencyMs };
      const top = topLabel(run.outputs[0]?.data ?? [], this.active.labels);
      if (top) Object.assign(result, top);
    } catch (err) {
      if (!isTinymlError(err)) throw err;
      result = { ...base(), error: err.message };
    }
    await publish(this.client!, this.topics.results(this.id), JSON.stringify(result));
  }
}

/** The best class of a classification output, when the model has labels. */
function topLabel(
  scores: number[],
  labels?: string[],
): { label: string; score: number } | undefined {
  if (!labels || scores.length !== labels.length || scores.length < 2) return undefined;
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return { label: labels[best], score: scores[best] };
}
