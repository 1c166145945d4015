/**
 * tinyml-train: trains a TensorFlow.js model from a spec and the dataset in
 * the message; sends the model (msg.payload, serializable) and its report.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { trainModel } from '../src/model/train';
import { serializeModel } from '../src/model/artifacts';
import { fail, parseJsonConfig } from './lib/node-utils';

interface TrainDef extends NodeDef {
  spec: string;
}

export = function register(RED: NodeAPI): void {
  function TinymlTrainNode(this: Node, config: TrainDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const abort = new AbortController();
    node.on('input', (msg, send, done) => {
      const m = msg as typeof msg & { spec?: unknown; data?: unknown };
      (async () => {
        const spec = m.spec ?? parseJsonConfig(config.spec, 'spec') ?? { preset: 'sine' };
        const p = m.payload as unknown;
        const data = m.data ?? (p && typeof p === 'object' && 'xs' in p ? p : undefined);
        node.status({ fill: 'blue', shape: 'dot', text: 'training...' });
        const result = await trainModel(spec, data, {
          signal: abort.signal,
          onEpoch: (e) =>
            node.status({
              fill: 'blue',
              shape: 'dot',
              text: `epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(4)}`,
            }),
        });
        const out = msg as typeof msg & Record<string, unknown>;
        out.payload = await serializeModel(result.model);
        out.report = result.report;
        if (result.labels) out.labels = result.labels;
        result.model.dispose();
        node.status({
          fill: 'green',
          shape: 'dot',
          text: `done: loss ${result.report.loss.toFixed(4)}`,
        });
        send(out);
        done();
      })().catch((err) => fail(node, err, done));
    });
    node.on('close', (done: () => void) => {
      abort.abort();
      done();
    });
  }
  RED.nodes.registerType('tinyml-train', TinymlTrainNode);
};
