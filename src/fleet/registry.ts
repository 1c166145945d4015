/**
 * The fleet registry: every device's retained status (presence,
 * capabilities, the model it runs and its rollback target), kept current
 * from {p}devices/+/status. Deployers resolve targets with it, the
 * device-events node reports its changes, and anyone can ask which model a
 * device runs.
 */
import { EventEmitter } from 'node:events';
import { parseMessage, type DeviceStatus } from './messages';
import { subscribe, type MqttClient } from './mqtt';
import { Topics } from './topics';

export interface RegistryEvents {
  status: [status: DeviceStatus, before: DeviceStatus | undefined];
}

export class FleetRegistry extends EventEmitter<RegistryEvents> {
  private readonly devices = new Map<string, DeviceStatus>();
  private started: Promise<void> | undefined;
  private lastChange = 0;
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (!topic.startsWith(this.topics.prefix) || this.topics.kindOf(topic) !== 'status') return;
    const id = this.topics.deviceOf(topic)!;
    if (payload.length === 0) {
      this.devices.delete(id); // a cleared retained status: the device left the fleet
      return;
    }
    let s: DeviceStatus;
    try {
      s = parseMessage('status', payload);
    } catch {
      return; // invalid statuses are ignored, never acted upon
    }
    if (s.id !== id) return; // a status must describe the device whose topic carries it
    const before = this.devices.get(id);
    this.devices.set(id, s);
    this.lastChange = Date.now();
    this.emit('status', s, before);
  };

  constructor(
    readonly client: MqttClient,
    readonly topics: Topics,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Subscribes (once); retained statuses arrive right after. */
  start(): Promise<void> {
    if (!this.started) {
      this.client.on('message', this.onMessage);
      this.started = subscribe(this.client, this.topics.allStatus(), 1).catch((err) => {
        this.started = undefined;
        this.client.off('message', this.onMessage);
        throw err;
      });
    }
    return this.started;
  }

  stop(): void {
    this.client.off('message', this.onMessage);
    this.started = undefined;
  }

  get(id: string): DeviceStatus | undefined {
    return this.devices.get(id);
  }

  list(): DeviceStatus[] {
    return [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  group(group: string): DeviceStatus[] {
    return this.list().filter((s) => s.group === group);
  }

  /**
   * Waits until retained statuses have stopped arriving for `quietMs`
   * (brokers send them right after SUBACK, [MQTT-3.3.1-6]), at most `maxMs`.
   */
  async settle(quietMs = 250, maxMs = 2000): Promise<void> {
    await this.start();
    const start = Date.now();
    for (;;) {
      const since = Date.now() - Math.max(this.lastChange, start);
      if (since >= quietMs || Date.now() - start >= maxMs) return;
      await new Promise((r) => setTimeout(r, Math.min(quietMs - since, 50)));
    }
  }

  /** Resolves with the device's status once `pred` holds, or undefined after `timeoutMs`. */
  async waitFor(
    id: string,
    pred: (s: DeviceStatus) => boolean,
    timeoutMs: number,
  ): Promise<DeviceStatus | undefined> {
    await this.start();
    const now = this.devices.get(id);
    if (now && pred(now)) return now;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('status', on);
        resolve(undefined);
      }, timeoutMs);
      const on = (s: DeviceStatus) => {
        if (s.id !== id || !pred(s)) return;
        clearTimeout(timer);
        this.off('status', on);
        resolve(s);
      };
      this.on('status', on);
    });
  }
}
