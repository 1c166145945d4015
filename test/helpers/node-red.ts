/** Loading flows into node-red-node-test-helper and waiting for messages. */
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';

export type Msg = NodeMessage & Record<string, unknown>;
export type Flow = Record<string, unknown>[];

/** Loads nodes and a flow (the helper's flow typing knows no node properties). */
export function load(nodes: unknown[], flow: Flow, credentials?: object): Promise<void> {
  // Node-RED treats nodes without a position as config nodes: put every flow
  // node on one tab with a position.
  const placed: Flow = [{ id: 'tab', type: 'tab' }];
  for (const n of flow) {
    if (n.type === 'tab') continue;
    placed.push(n.type === 'tinyml-fleet' ? n : { z: 'tab', x: 0, y: 0, ...n });
  }
  return helper.load(nodes as never, placed as never, credentials as never);
}

export function nextMessage(node: unknown): Promise<Msg> {
  return new Promise((resolve) =>
    (node as { on: (e: string, f: (m: Msg) => void) => void }).on('input', resolve),
  );
}
