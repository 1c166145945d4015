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
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DeployState } from '../src/fleet/deploy-state';
import { deploy, type DeployEvent } from '../src/fleet/deploy';
import { describeTarget, type DeployTarget } from '../src/fleet/targets';
import { sha256Hex } from '../src/util/sha256';
import { FleetError, ValidationError } from '../src/errors';
import { fail, modelBytes, typedText } from './lib/node-utils';
import { showConnection, type FleetNode } from './lib/fleet-node';

interface DeployDef extends NodeDef {
  fleet: string;
  target?: 'device' | 'group' | 'all';
  device: string;
  /** typedInput type of device (str, flow, global, env); absent in older flows. */
  deviceType?: string;
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

function targetOf(
  config: DeployDef,
  m: Record<string, unknown>,
  configuredDevice: () => string,
): DeployTarget {
  if (typeof m.device === 'string') return { device: m.device };
  if (Array.isArray(m.device) && m.device.every((d) => typeof d === 'string')) {
    return { devices: m.device as string[] };
  }
  if (typeof m.group === 'string') return { group: m.group };
  const kind = config.target || (config.group && !config.device ? 'group' : 'device');
  if (kind === 'all') return { all: true };
  if (kind === 'group') return { group: config.group ?? '' };
  return { device: configuredDevice() };
}

/** "4.0 KB" style sizes for the status. */
function size(bytes: number): string {
  return bytes >= 10240 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024).toFixed(1)} KB`;
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
    const unwatch = showConnection(node, fleetNode, RED._);
    const state = stateFor(RED);
    // Closing the node (a restart, a redeploy) stops its deployments without
    // cancelling them on the devices; the saved state lets the next start continue.
    const stopping = new AbortController();
    let running = 0;

    async function run(
      m: NodeMessage & Record<string, unknown>,
      target: DeployTarget,
      model: Uint8Array,
      send: (msgs: (NodeMessage | null)[]) => void,
    ): Promise<void> {
      if (!fleetNode) throw new ValidationError('no fleet (broker) is configured');
      const timeoutS = Number(config.timeout) || 120;
      const maxFailures = config.maxFailures ? Number(config.maxFailures) : undefined;
      if (maxFailures !== undefined && !(maxFailures >= 0 && maxFailures <= 1)) {
        throw new ValidationError(`max failures ${config.maxFailures} must be a share in [0, 1]`);
      }
      node.status({
        fill: 'blue',
        shape: 'ring',
        text: RED._('tinyml-deploy.status.connecting'),
      });
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
            // Chunks are equal slices of the model (the manifest's own
            // section aside), so the share confirmed is the share of bytes.
            text: RED._('tinyml-deploy.status.progress', {
              device: e.deviceId,
              state: e.state,
              have: e.have,
              total: e.total,
              bytes: size(e.total ? Math.round((model.length * e.have) / e.total) : 0),
              size: size(model.length),
            }),
          });
        } else {
          node.status({
            fill: 'blue',
            shape: 'dot',
            text: RED._('tinyml-deploy.status.devices', { done: done_, total }),
          });
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
          key: config.sign === false ? undefined : fleetNode.fleet.signingKey,
          timeoutMs: timeoutS * 1000,
          waves: parseWaves(config.waves),
          maxFailureRate: maxFailures,
          state,
          stateOwner: node.id,
          signal: stopping.signal,
          onEvent,
        });
        m.payload = result;
        const active = result.outcomes.filter((o) => o.state === 'active').length;
        node.status({
          fill: result.ok ? 'green' : 'red',
          shape: 'dot',
          text: RED._('tinyml-deploy.status.result', {
            active,
            total: result.outcomes.length,
          }),
        });
        send([m, null]);
        if (!result.ok) {
          const bad = result.outcomes.filter((o) => o.state !== 'active');
          throw new FleetError(
            `${bad.length} of ${result.outcomes.length} devices did not activate the model: ` +
              bad.map((o) => `${o.deviceId} ${o.state}: ${o.error ?? ''}`).join('; '),
          );
        }
      } finally {
        running--;
      }
    }

    node.on('input', (msg, send, done) => {
      (async () => {
        const m = msg as typeof msg & Record<string, unknown>;
        const target = targetOf(config, m, () =>
          typedText(RED, node, msg, config.device, config.deviceType),
        );
        await run(m, target, modelBytes(msg), (msgs) => send(msgs));
        done();
      })().catch((err) => fail(node, err, done));
    });

    // Deployments this node had not finished when Node-RED stopped continue
    // now: the devices are polled and send only what they miss.
    void (async () => {
      if (!state || !fleetNode) return;
      for (const saved of await state.owned(node.id)) {
        const model = await state.readModel(saved.deployId);
        if (!model || sha256Hex(model) !== saved.sha256) {
          await state.remove(saved.deployId);
          continue;
        }
        const m = { payload: model, resumed: saved.deployId } as NodeMessage &
          Record<string, unknown>;
        node.log(`continuing deployment ${saved.deployId} to ${describeTarget(saved.target)}`);
        await run(m, saved.target, model, (msgs) => node.send(msgs)).catch((err) =>
          fail(node, err, (e) => node.error(e, m)),
        );
      }
    })().catch((err) => node.warn(`cannot continue saved deployments: ${(err as Error).message}`));

    node.on('close', () => {
      unwatch();
      stopping.abort();
      if (running) {
        node.log(
          `closing with ${running} deployment(s) running; devices keep their model and what they received, and it continues at the next start`,
        );
      }
    });
  }
  RED.nodes.registerType('tinyml-deploy', TinymlDeployNode);
};
