import type { Node } from 'node-red';
import type { FleetClient } from '../../src/fleet/client';

/** The tinyml-fleet config node as other nodes see it. */
export interface FleetNode extends Node<{
  username?: string;
  password?: string;
  signingKey?: string;
}> {
  fleet: FleetClient;
}

/** Mirrors the shared connection's state in a node's status while it is idle. */
export function showConnection(node: Node, fleetNode: FleetNode | null): () => void {
  if (!fleetNode) {
    node.status({ fill: 'red', shape: 'ring', text: 'no fleet configured' });
    return () => undefined;
  }
  const show = (state: string) =>
    node.status(
      state === 'connected'
        ? { fill: 'green', shape: 'dot', text: 'connected' }
        : state === 'connecting'
          ? { fill: 'yellow', shape: 'ring', text: 'connecting' }
          : { fill: 'grey', shape: 'ring', text: 'disconnected' },
    );
  fleetNode.fleet.on('state', show);
  return () => fleetNode.fleet.off('state', show);
}
