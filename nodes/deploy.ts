/**
 * tinyml-deploy: delivers the .tflite in msg.payload to a device over MQTT
 * (through the fleet config node's connection) and sends the device's final
 * outcome; progress shows in the node status.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { deployToDevice } from '../src/fleet/deploy';
import { isValidId } from '../src/fleet/topics';
import { readModel } from '../src/tflite/reader';
import { readMetadata } from '../src/tflite/metadata';
import { FleetError, ValidationError } from '../src/errors';
import { fail, modelBytes } from './lib/node-utils';
import type { FleetNode } from './lib/fleet-node';

interface DeployDef extends NodeDef {
  fleet: string;
  device: string;
  timeout: string;
}

export = function register(RED: NodeAPI): void {
  function TinymlDeployNode(this: Node, config: DeployDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const fleetNode = RED.nodes.getNode(config.fleet) as FleetNode | null;
    node.on('input', (msg, send, done) => {
      (async () => {
        if (!fleetNode) throw new ValidationError('no fleet (broker) is configured');
        const m = msg as typeof msg & Record<string, unknown>;
        const deviceId = typeof m.device === 'string' ? m.device : config.device;
        if (!deviceId || !isValidId(deviceId))
          throw new ValidationError(`device id "${deviceId ?? ''}" is not valid`);
        const model = modelBytes(msg);
        const meta = readMetadata(readModel(model));
        node.status({ fill: 'blue', shape: 'ring', text: `connecting...` });
        const client = await fleetNode.fleet.connection();
        const outcome = await deployToDevice({
          client,
          deviceId,
          model,
          name: meta?.name ?? 'model',
          version: meta?.version ?? '1',
          prefix: fleetNode.fleet.topics.prefix,
          timeoutMs: (Number(config.timeout) || 60) * 1000,
          onProgress: (p) =>
            node.status({
              fill: 'blue',
              shape: 'dot',
              text:
                p.phase === 'sending'
                  ? `${deviceId}: ${p.bytesSent}/${p.size} B`
                  : `${deviceId}: ${p.phase}`,
            }),
        });
        m.payload = outcome;
        if (outcome.state !== 'active') {
          throw new FleetError(`device ${deviceId} failed: ${outcome.error ?? 'unknown error'}`);
        }
        node.status({ fill: 'green', shape: 'dot', text: `${deviceId}: active` });
        send(m);
        done();
      })().catch((err) => fail(node, err, done));
    });
  }
  RED.nodes.registerType('tinyml-deploy', TinymlDeployNode);
};
