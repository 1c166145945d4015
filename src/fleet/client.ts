/**
 * A shared broker connection: the fleet config node owns one, and every node
 * that talks to the fleet (deploy, infer, device events) borrows it, as
 * Node-RED's own MQTT broker node does. The connection opens on first use,
 * reconnects by itself, and closes when the owner closes it. The fleet
 * registry (which device runs which model) lives on it too.
 */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { connectBroker, endClient, type MqttClient } from './mqtt';
import { FleetRegistry } from './registry';
import { loadPrivateKey } from './signing';
import { Topics } from './topics';

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default true: a broker certificate that does not verify is refused. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface FleetClientOptions {
  broker: string;
  prefix?: string;
  username?: string;
  password?: string;
  clientId?: string;
  tls?: TlsOptions;
  /** PEM Ed25519 private key: deployments through this fleet are signed. */
  signingKey?: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export class FleetClient extends EventEmitter {
  readonly topics: Topics;
  readonly signingKey: KeyObject | undefined;
  private client: MqttClient | undefined;
  private connecting: Promise<MqttClient> | undefined;
  private registryInstance: FleetRegistry | undefined;
  state: ConnectionState = 'disconnected';

  constructor(readonly options: FleetClientOptions) {
    super();
    this.topics = new Topics(options.prefix);
    this.signingKey = options.signingKey
      ? loadPrivateKey(options.signingKey, 'fleet signing key')
      : undefined;
  }

  /** The connected client, connecting on first use. */
  connection(): Promise<MqttClient> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.setState('connecting');
      const opts: IClientOptions = { ...this.options.tls };
      if (this.options.username) opts.username = this.options.username;
      if (this.options.password) opts.password = this.options.password;
      if (this.options.clientId) opts.clientId = this.options.clientId;
      this.connecting = connectBroker(this.options.broker, opts).then(
        (client) => {
          this.client = client;
          client.setMaxListeners(0); // every deploy and infer adds a listener while it runs
          client.on('connect', () => this.setState('connected'));
          client.on('close', () => this.setState('disconnected'));
          this.setState('connected');
          return client;
        },
        (err: Error) => {
          this.connecting = undefined;
          this.setState('disconnected');
          throw err;
        },
      );
    }
    return this.connecting;
  }

  /** The fleet registry on this connection, started on first use. */
  async registry(): Promise<FleetRegistry> {
    const client = await this.connection();
    if (!this.registryInstance) this.registryInstance = new FleetRegistry(client, this.topics);
    await this.registryInstance.start();
    return this.registryInstance;
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  async close(): Promise<void> {
    const pending = this.connecting;
    this.connecting = undefined;
    const client = this.client ?? (await pending?.catch(() => undefined));
    this.client = undefined;
    this.registryInstance?.stop();
    this.registryInstance = undefined;
    if (client) await endClient(client);
    this.setState('disconnected');
  }
}
