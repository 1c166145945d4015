/**
 * tinyml-infer: runs a model on the input in msg.payload, either locally with
 * the project's interpreter (the model from msg.model, kept for later
 * messages) or on a device (request/response over MQTT with a correlation
 * id, through the fleet config node's connection).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Interpreter } from '../src/runtime/interpreter';
import { runJson } from '../src/runtime/io';
import { inferOnDevice } from '../src/fleet/infer';
import { isValidId } from '../src/fleet/topics';
import { FleetError, ValidationError } from '../src/errors';
import { fail, typedText } from './lib/node-utils';
import type { FleetNode } from './lib/fleet-node';

interface InferDef extends NodeDef {
  target: 'local' | 'device';
  fleet: string;
  device: string;
  /** typedInput type of device (str, flow, global, env); absent in older flows. */
  deviceType?: string;
  timeout: string;
}

export = function register(RED: NodeAPI): void {
  function TinymlInferNode(this: Node, config: InferDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    let local: Interpreter | undefined;
    const fleetNode = config.fleet ? (RED.nodes.getNode(config.fleet) as FleetNode | null) : null;
    node.on('input', (msg, send, done) => {
      (async () => {
        const m = msg as typeof msg & Record<string, unknown>;
        if (m.model instanceof Uint8Array) {
          local = new Interpreter(new Uint8Array(m.model));
        }
        if (!Array.isArray(m.payload))
          throw new ValidationError('msg.payload must be the input array');
        if ((config.target || 'local') === 'local') {
          if (!local) throw new ValidationError('no model: send the .tflite in msg.model first');
          const result = runJson(local, m.payload);
          m.payload = result;
          node.status({
            fill: 'green',
            shape: 'dot',
            text: RED._('tinyml-infer.status.local', { latency: result.latencyMs.toFixed(2) }),
          });
        } else {
          if (!fleetNode) throw new ValidationError('no fleet (broker) is configured');
          const deviceId =
            typeof m.device === 'string'
              ? m.device
              : typedText(RED, node, msg, config.device, config.deviceType);
          if (!deviceId || !isValidId(deviceId))
            throw new ValidationError(`device id "${deviceId ?? ''}" is not valid`);
          node.status({
            fill: 'blue',
            shape: 'ring',
            text: RED._('tinyml-infer.status.asking', { device: deviceId }),
          });
          const fleet = fleetNode.fleet;
          const client = await fleet.connection();
          const result = await inferOnDevice(
            client,
            fleet.topics,
            deviceId,
            m.payload,
            (Number(config.timeout) || 10) * 1000,
            await fleet.registry(),
          );
          if (result.error) throw new FleetError(`device ${deviceId}: ${result.error}`);
          m.payload = result;
          node.status({
            fill: 'green',
            shape: 'dot',
            text: RED._('tinyml-infer.status.device', {
              device: deviceId,
              label: result.label ?? '',
              latency: result.latencyMs?.toFixed(2) ?? '?',
            }),
          });
        }
        send(m);
        done();
      })().catch((err) => fail(node, err, done));
    });
  }
  RED.nodes.registerType('tinyml-infer', TinymlInferNode);
};
