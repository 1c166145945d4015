/**
 * tinyml-fleet: configuration node owning the broker connection (and the
 * fleet registry on it) that the deploy, infer and device-events nodes
 * share. TLS comes from a Node-RED tls-config node; username, password and
 * the manifest signing key are credentials: Node-RED stores them encrypted
 * and never exports them with the flow.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { FleetNode } from './lib/fleet-node';
import { FleetClient, type TlsOptions } from '../src/fleet/client';
import { loadPrivateKey } from '../src/fleet/signing';

interface FleetDef extends NodeDef {
  broker: string;
  prefix: string;
  tls?: string;
}

interface TlsConfigNode extends Node {
  addTLSOptions(opts: Record<string, unknown>): void;
}

export = function register(RED: NodeAPI): void {
  function TinymlFleetNode(this: FleetNode, config: FleetDef) {
    RED.nodes.createNode(this, config);
    let tls: TlsOptions | undefined;
    const tlsNode = config.tls ? (RED.nodes.getNode(config.tls) as TlsConfigNode | null) : null;
    if (tlsNode) {
      const opts: Record<string, unknown> = {};
      tlsNode.addTLSOptions(opts);
      tls = opts as TlsOptions;
    }
    let signingKey: string | undefined = this.credentials?.signingKey || undefined;
    if (signingKey) {
      try {
        loadPrivateKey(signingKey, 'signing key');
      } catch (err) {
        // Say so, and deploy unsigned rather than not at all: devices that
        // require signatures refuse unsigned models with the reason.
        this.error(`tinyml-fleet: ${(err as Error).message}; deployments will not be signed`);
        signingKey = undefined;
      }
    }
    this.fleet = new FleetClient({
      broker: config.broker || 'mqtt://127.0.0.1:1883',
      prefix: config.prefix || 'tinyml/',
      username: this.credentials?.username,
      password: this.credentials?.password,
      signingKey,
      tls,
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
      credentials: {
        username: { type: 'text' },
        password: { type: 'password' },
        signingKey: { type: 'password' },
      },
    },
  );
};
