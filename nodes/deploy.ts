/**
 * tinyml-deploy: delivers the .tflite in msg.payload over MQTT (through the
 * fleet config node's connection) to a device, a group or all devices,
 * optionally as a staged rollout; signs the manifest when the fleet has a
 * signing key. Output 1: the final result with one outcome per device.
 * Output 2: progress events as they happen. Status: devices done / total.
 * Unfinished deployments are remembered in the user dir
 * (tinyml-deploys.json): after a Node-RED restart, the same model sent to
 * the same target continues where each device is instead of starting over.
 */
import { join } from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { DeployState } from '../src/fleet/deploy-state';
import { deploy, type DeployEvent, type DeployTarget } from '../src/fleet/deploy';
import { FleetError, ValidationError } from '../src/errors';
import { fail, modelBytes } from './lib/node-utils';
import { showConnection, type FleetNode } from './lib/fleet-node';

interface DeployDef extends NodeDef {
  fleet: string;
  target?: 'device' | 'group' | 'all';
  device: string;
  group?: string;
  timeout: string;
  waves?: string;
  maxFailures?: string;
  sign?: boolean;
}

function parseWaves(text: string | undefined): number[] | undefined {
  if (!text || !text.trim()) return undefined;
  const waves = text.split(',').map((s) => Number(s.trim()));
  if (waves.some((w) => !(w > 0 && w <= 1))) {
    throw new ValidationError(`waves "${text}" must be shares in (0, 1], e.g. 0.1, 1`);
  }
  return waves;
}

function targetOf(config: DeployDef, m: Record<string, unknown>): DeployTarget {
  if (typeof m.device === 'string') return { device: m.device };
  if (Array.isArray(m.device) && m.device.every((d) => typeof d === 'string')) {
    return { devices: m.device as string[] };
  }
  if (typeof m.group === 'string') return { group: m.group };
  const kind = config.target || (config.group && !config.device ? 'group' : 'device');
  if (kind === 'all') return { all: true };
  if (kind === 'group') return { group: config.group ?? '' };
  return { device: config.device };
}

/** One state file per user dir, shared by every deploy node (its writes are serialized). */
const states = new Map<string, DeployState>();

function stateFor(RED: NodeAPI): DeployState | undefined {
  const dir = (RED.settings as { userDir?: string }).userDir;
  if (!dir) return undefined;
  const path = join(dir, 'tinyml-deploys.json');
  let state = states.get(path);
  if (!state) states.set(path, (state = new DeployState(path)));
  return state;
}

export = function register(RED: NodeAPI): void {
  function TinymlDeployNode(this: Node, config: DeployDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const fleetNode = RED.nodes.getNode(config.fleet) as FleetNode | null;
    const unwatch = showConnection(node, fleetNode);
    let running = 0;
    node.on('input', (msg, send, done) => {
      (async () => {
        if (!fleetNode) throw new ValidationError('no fleet (broker) is configured');
        const m = msg as typeof msg & Record<string, unknown>;
        const target = targetOf(config, m);
        const model = modelBytes(msg);
        const timeoutS = Number(config.timeout) || 120;
        const maxFailures = config.maxFailures ? Number(config.maxFailures) : undefined;
        if (maxFailures !== undefined && !(maxFailures >= 0 && maxFailures <= 1)) {
          throw new ValidationError(`max failures ${config.maxFailures} must be a share in [0, 1]`);
        }
        node.status({ fill: 'blue', shape: 'ring', text: 'connecting...' });
        const fleet = fleetNode.fleet;
        const client = await fleet.connection();
        const registry = await fleet.registry();
        running++;
        let done_ = 0;
        let total = 0;
        const onEvent = (e: DeployEvent) => {
          if (e.kind === 'wave') total += e.devices.length;
          if (e.kind === 'outcome') done_++;
          if (e.kind === 'progress') {
            node.status({
              fill: 'blue',
              shape: 'dot',
              text: `${e.deviceId}: ${e.state} ${e.have}/${e.total}`,
            });
          } else {
            node.status({ fill: 'blue', shape: 'dot', text: `${done_}/${total} done` });
          }
          send([null, { topic: e.kind, payload: e }]);
        };
        try {
          const result = await deploy({
            client,
            registry,
            prefix: fleet.topics.prefix,
            model,
            target,
            key: config.sign === false ? undefined : fleet.signingKey,
            timeoutMs: timeoutS * 1000,
            waves: parseWaves(config.waves),
            maxFailureRate: maxFailures,
            state: stateFor(RED),
            onEvent,
          });
          m.payload = result;
          const active = result.outcomes.filter((o) => o.state === 'active').length;
          node.status({
            fill: result.ok ? 'green' : 'red',
            shape: 'dot',
            text: `${active}/${result.outcomes.length} active`,
          });
          send([m, null]);
          if (!result.ok) {
            const bad = result.outcomes.filter((o) => o.state !== 'active');
            throw new FleetError(
              `${bad.length} of ${result.outcomes.length} devices did not activate the model: ` +
                bad.map((o) => `${o.deviceId} ${o.state}: ${o.error ?? ''}`).join('; '),
            );
          }
          done();
        } finally {
          running--;
        }
      })().catch((err) => fail(node, err, done));
    });
    node.on('close', () => {
      unwatch();
      if (running)
        node.log(`closing with ${running} deployment(s) running; devices keep their model`);
    });
  }
  RED.nodes.registerType('tinyml-deploy', TinymlDeployNode);
};
