/**
 * tinyml-device-events: the fleet's events as messages — presence (a device
 * came online, went offline, changed model), deploy progress, and inference
 * results — for one device, one group, or all, through the fleet config
 * node's shared connection. msg.topic is the event kind, msg.device the
 * device id, msg.payload the protocol message (docs/protocol.md).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { DeviceStatus } from '../src/fleet/messages';
import { parseMessage } from '../src/fleet/messages';
import { subscribe } from '../src/fleet/mqtt';
import { showConnection, type FleetNode } from './lib/fleet-node';

interface EventsDef extends NodeDef {
  fleet: string;
  device?: string;
  group?: string;
  presence?: boolean;
  progress?: boolean;
  results?: boolean;
}

export = function register(RED: NodeAPI): void {
  function TinymlDeviceEventsNode(this: Node, config: EventsDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const fleetNode = RED.nodes.getNode(config.fleet) as FleetNode | null;
    const unwatch = showConnection(node, fleetNode, RED._);
    const cleanups: (() => void)[] = [unwatch];
    const want = {
      presence: config.presence !== false,
      progress: config.progress !== false,
      results: config.results !== false,
    };
    if (fleetNode) {
      const fleet = fleetNode.fleet;
      const groupOf = new Map<string, string | undefined>();
      const matches = (id: string) =>
        (!config.device || config.device === id) &&
        (!config.group || groupOf.get(id) === config.group);
      (async () => {
        const client = await fleet.connection();
        const registry = await fleet.registry();
        for (const s of registry.list()) groupOf.set(s.id, s.group);
        // Status: how many of the watched devices are known and online.
        const showCounts = () => {
          const seen = registry.list().filter((d) => matches(d.id));
          node.status({
            fill: 'green',
            shape: 'dot',
            text: RED._('tinyml-device-events.status.counts', {
              devices: seen.length,
              online: seen.filter((d) => d.online).length,
            }),
          });
        };
        const onStatus = (s: DeviceStatus, before: DeviceStatus | undefined) => {
          groupOf.set(s.id, s.group);
          showCounts();
          if (!want.presence || !matches(s.id)) return;
          node.send({ topic: 'presence', device: s.id, payload: s, previous: before ?? null });
        };
        registry.on('status', onStatus);
        cleanups.push(() => registry.off('status', onStatus));
        // Devices already known when the flow starts are reported once.
        for (const s of registry.list()) onStatus(s, undefined);
        showCounts();
        const topics = fleet.topics;
        const onMessage = (topic: string, payload: Buffer) => {
          const kind = topics.kindOf(topic);
          const id = topics.deviceOf(topic);
          if (!id || !matches(id)) return;
          try {
            if (kind === 'progress' && want.progress) {
              node.send({
                topic: 'progress',
                device: id,
                payload: parseMessage('progress', payload),
              });
            } else if (kind === 'results' && want.results) {
              node.send({
                topic: 'results',
                device: id,
                payload: parseMessage('inferResult', payload),
              });
            }
          } catch (err) {
            node.debug(`ignored an invalid ${kind} message from ${id}: ${(err as Error).message}`);
          }
        };
        client.on('message', onMessage);
        cleanups.push(() => client.off('message', onMessage));
        const subs: string[] = [];
        if (want.progress) subs.push(topics.allProgress());
        if (want.results) subs.push(topics.allResults());
        if (subs.length) await subscribe(client, subs, 1);
      })().catch((err: Error) => {
        node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 40) });
        node.error(`tinyml-device-events: ${err.message}`);
      });
    }
    node.on('close', () => {
      for (const c of cleanups) c();
    });
  }
  RED.nodes.registerType('tinyml-device-events', TinymlDeviceEventsNode);
};
