/**
 * A shared broker connection: the fleet config node owns one, and every node
 * that talks to the fleet (deploy, infer, device events) borrows it, as
 * Node-RED's own MQTT broker node does. The connection opens on first use
 * and closes when the owner closes it.
 */
import { EventEmitter } from 'node:events';
import type { IClientOptions } from 'mqtt';
import { connectBroker, endClient, type MqttClient } from './mqtt';
import { Topics } from './topics';

export interface FleetClientOptions {
  broker: string;
  prefix?: string;
  username?: string;
  password?: string;
  clientId?: string;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export class FleetClient extends EventEmitter {
  readonly topics: Topics;
  private client: MqttClient | undefined;
  private connecting: Promise<MqttClient> | undefined;
  state: ConnectionState = 'disconnected';

  constructor(readonly options: FleetClientOptions) {
    super();
    this.topics = new Topics(options.prefix);
  }

  /** The connected client, connecting on first use. */
  connection(): Promise<MqttClient> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.setState('connecting');
      const opts: IClientOptions = {};
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
    if (client) await endClient(client);
    this.setState('disconnected');
  }
}
