/**
 * Watches one fleet for the TinyML sidebar: its own read-only MQTT
 * connection (so its subscriptions never overlap those of the deploy and
 * infer nodes on the shared connection, where a broker may deliver a
 * message once per matching subscription), a FleetView fed by the device
 * topics, and a throttled publish of the view's snapshot.
 */
import { FleetClient, type FleetClientOptions } from '../../src/fleet/client';
import { subscribe } from '../../src/fleet/mqtt';
import { FleetView, type FleetSnapshot } from './fleet-view';

/** Snapshots per second at most: a group deploy to many devices sends many state messages. */
const INTERVAL_MS = 250;
/** Wait between attempts to reach a broker that refused or did not answer. */
const RETRY_MS = 5000;

export class FleetWatcher {
  readonly view: FleetView;
  private readonly client: FleetClient;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private closed = false;

  constructor(
    fleetId: string,
    name: string,
    options: FleetClientOptions,
    private readonly publish: (snapshot: FleetSnapshot) => void,
    private readonly log: (line: string) => void,
  ) {
    this.view = new FleetView(fleetId, name, options.broker, options.prefix);
    this.client = new FleetClient({
      ...options,
      clientId: options.clientId ? `${options.clientId}-view`.slice(0, 64) : undefined,
    });
    this.client.on('state', (state: string) => {
      this.view.connected = state === 'connected';
      this.changed();
    });
  }

  /**
   * Connects and subscribes. A broker that is not up yet (Node-RED often
   * starts before it) is retried every RETRY_MS until close(); the first
   * failure is still reported to the caller.
   */
  async start(): Promise<void> {
    this.changed();
    const mqtt = await this.client.connection().catch((err: Error) => {
      if (!this.closed)
        this.retry = setTimeout(() => this.start().catch(() => undefined), RETRY_MS);
      throw err;
    });
    if (this.closed) return;
    mqtt.on('message', (topic: string, payload: Buffer) => {
      if (this.view.apply(topic, payload)) this.changed();
    });
    await subscribe(mqtt, this.view.filters(), 1);
    this.log(`watching ${this.view.broker} (${this.view.filters().join(', ')})`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.client.close();
  }

  private changed(): void {
    if (this.closed) return;
    const wait = this.lastSent + INTERVAL_MS - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    this.lastSent = Date.now();
    this.publish(this.view.snapshot());
  }
}
