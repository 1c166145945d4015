import type { Node } from 'node-red';
import type { FleetClient } from '../../src/fleet/client';

/** The tinyml-fleet config node as other nodes see it. */
export interface FleetNode extends Node<{ username?: string; password?: string }> {
  fleet: FleetClient;
}
