/**
 * tinyml-sidebar: a Node-RED editor plugin (package.json "node-red".plugins).
 * Runtime side: whenever flows start, one FleetWatcher per tinyml-fleet
 * config node publishes that fleet's devices to the editor on
 * `tinyml/fleet/{configNodeId}` (RED.comms, retained, so an editor that
 * opens later gets the current picture). The editor side (fleet-sidebar.html)
 * draws it in a sidebar tab, next to the loss curves the train nodes publish.
 */
import type { NodeAPI } from 'node-red';
import type { FleetClientOptions } from '../src/fleet/client';
import { FleetWatcher } from './lib/fleet-watcher';

/** Comms topic prefix of the fleet snapshots (the editor subscribes to tinyml/fleet/+). */
const FLEET_TOPIC = 'tinyml/fleet/';

interface FleetConfig {
  id: string;
  type: string;
  name?: string;
  broker?: string;
  prefix?: string;
  d?: boolean;
}

/** `${VAR}` as Node-RED resolves it in node properties; unset variables become "". */
function resolveEnv(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, v: string) => process.env[v] ?? '');
}

export = function register(RED: NodeAPI): void {
  RED.plugins.registerPlugin('tinyml-sidebar', { type: 'tinyml-sidebar' });
  const watchers = new Map<string, FleetWatcher>();

  /** The broker the fleet node connects to: its live client's options, else its config. */
  function optionsOf(config: FleetConfig): FleetClientOptions {
    const live = RED.nodes.getNode(config.id) as unknown as {
      fleet?: { options?: FleetClientOptions };
      credentials?: { username?: string; password?: string };
    } | null;
    if (live?.fleet?.options?.broker) return live.fleet.options;
    const credentials = live?.credentials ?? {};
    return {
      broker: resolveEnv(config.broker ?? '') || 'mqtt://127.0.0.1:1883',
      prefix: resolveEnv(config.prefix ?? '') || 'tinyml/',
      username: credentials.username,
      password: credentials.password,
    };
  }

  async function stopAll(): Promise<void> {
    const all = [...watchers.entries()];
    watchers.clear();
    for (const [id, w] of all) {
      await w.close().catch(() => undefined);
      RED.comms.publish(FLEET_TOPIC + id, { fleet: id, removed: true }, false);
    }
  }

  function startAll(): void {
    const configs: FleetConfig[] = [];
    RED.nodes.eachNode((n) => {
      const c = n as unknown as FleetConfig;
      if (c.type === 'tinyml-fleet' && !c.d) configs.push(c);
    });
    for (const c of configs) {
      const w = new FleetWatcher(
        c.id,
        c.name || c.id,
        optionsOf(c),
        (snapshot) => RED.comms.publish(FLEET_TOPIC + c.id, snapshot, true),
        (line) => RED.log.debug(`tinyml sidebar: ${line}`),
      );
      watchers.set(c.id, w);
      w.start().catch((err: Error) =>
        RED.log.warn(`tinyml sidebar: cannot watch fleet ${c.name || c.id}: ${err.message}`),
      );
    }
  }

  let running: Promise<void> = Promise.resolve();
  RED.events.on('flows:started', () => {
    running = running.then(stopAll).then(startAll);
  });
  RED.events.on('flows:stopped', () => {
    running = running.then(stopAll);
  });
};
