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

/** RED._: the runtime's message catalog lookup. */
export type Translate = (key: string, subs?: Record<string, string | number>) => string;

/**
 * Mirrors the shared connection's state in a node's status while it is idle,
 * with Node-RED's own texts for the states (node-red:common.status.*).
 */
export function showConnection(node: Node, fleetNode: FleetNode | null, t: Translate): () => void {
  if (!fleetNode) {
    node.status({
      fill: 'red',
      shape: 'ring',
      text: t('node-red-contrib-tinyml/fleet:tinyml-fleet.status.noFleet'),
    });
    return () => undefined;
  }
  const show = (state: string) =>
    node.status(
      state === 'connected'
        ? { fill: 'green', shape: 'dot', text: t('node-red:common.status.connected') }
        : state === 'connecting'
          ? { fill: 'yellow', shape: 'ring', text: t('node-red:common.status.connecting') }
          : { fill: 'grey', shape: 'ring', text: t('node-red:common.status.disconnected') },
    );
  fleetNode.fleet.on('state', show);
  return () => fleetNode.fleet.off('state', show);
}
