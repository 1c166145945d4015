/**
 * tinyml-fleet: configuration node holding the broker connection that the
 * deploy and infer nodes share. Username and password are credentials:
 * Node-RED stores them encrypted and never exports them with the flow.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import type { FleetNode } from './lib/fleet-node';
import { FleetClient } from '../src/fleet/client';

interface FleetDef extends NodeDef {
  broker: string;
  prefix: string;
}

export = function register(RED: NodeAPI): void {
  function TinymlFleetNode(this: FleetNode, config: FleetDef) {
    RED.nodes.createNode(this, config);
    this.fleet = new FleetClient({
      broker: config.broker || 'mqtt://127.0.0.1:1883',
      prefix: config.prefix || 'tinyml/',
      username: this.credentials?.username,
      password: this.credentials?.password,
      clientId: `nodered-tinyml-${this.id.replace(/[^A-Za-z0-9]/g, '')}`,
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      this.fleet.close().then(done, done);
    });
  }
  RED.nodes.registerType(
    'tinyml-fleet',
    TinymlFleetNode as unknown as Parameters<typeof RED.nodes.registerType>[1],
    {
      credentials: { username: { type: 'text' }, password: { type: 'password' } },
    },
  );
};
