/**
 * tinyml-train: trains a TensorFlow.js model from a spec and the dataset in
 * the message; sends the model (msg.payload, serializable) and its report.
 * With "progress" on, a second output gets each epoch's loss (for a chart);
 * the loss curve also goes to the editor's TinyML sidebar (TrainingFeed).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { trainModel } from '../src/model/train';
import { serializeModel } from '../src/model/artifacts';
import { fail, parseJsonConfig } from './lib/node-utils';
import { TrainingFeed } from './lib/training-feed';
import { loadBuiltinDataset, splitDataset } from '../src/model/builtin-datasets';

const BUILTIN_TEST_FRACTION = 0.2;
const BUILTIN_SPLIT_SEED = 1;

interface TrainDef extends NodeDef {
  spec: string;
  /** Where the dataset is: a typedInput (msg/flow/global/json/env); absent in older flows. */
  data?: string;
  dataType?: string;
  progress?: boolean;
}

export = function register(RED: NodeAPI): void {
  function TinymlTrainNode(this: Node, config: TrainDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const abort = new AbortController();
    const feed = new TrainingFeed(
      (topic, data, retain) => RED.comms?.publish(topic, data, retain),
      node.id,
      config.name || 'train',
    );

    function dataset(msg: NodeMessage): unknown {
      const m = msg as NodeMessage & { data?: unknown; validation?: unknown };
      if (m.data !== undefined) return m.data;
      if (config.dataType === 'builtin') {
        // A data set shipped in data/: train on a seeded 80%, and hold the
        // other 20% out in msg.validation for the accuracy figures downstream.
        const { train, test } = splitDataset(
          loadBuiltinDataset(config.data ?? ''),
          BUILTIN_TEST_FRACTION,
          BUILTIN_SPLIT_SEED,
        );
        m.validation = test;
        return train;
      }
      const v = config.dataType
        ? RED.util.evaluateNodeProperty(config.data ?? 'payload', config.dataType, node, msg)
        : msg.payload;
      // A preset brings its own data: a trigger's payload (a timestamp) is not a dataset.
      return v !== null && typeof v === 'object' ? v : undefined;
    }

    node.on('input', (msg, send, done) => {
      const m = msg as typeof msg & { spec?: unknown };
      (async () => {
        const spec = m.spec ?? parseJsonConfig(config.spec, 'spec') ?? { preset: 'sine' };
        const data = dataset(msg);
        node.status({ fill: 'blue', shape: 'dot', text: RED._('tinyml-train.status.training') });
        feed.start();
        const result = await trainModel(spec, data, {
          signal: abort.signal,
          onEpoch: (e) => {
            node.status({
              fill: 'blue',
              shape: 'dot',
              text: RED._('tinyml-train.status.epoch', {
                epoch: e.epoch,
                epochs: e.epochs,
                loss: e.loss.toFixed(4),
              }),
            });
            feed.epoch(e);
            if (config.progress) {
              const base = { epoch: e.epoch, epochs: e.epochs };
              const out: NodeMessage[] = [{ ...base, topic: 'loss', payload: e.loss }];
              if (e.valLoss !== undefined)
                out.push({ ...base, topic: 'val_loss', payload: e.valLoss });
              send([null, out]);
            }
          },
        });
        const out = msg as typeof msg & Record<string, unknown>;
        out.payload = await serializeModel(result.model);
        out.report = result.report;
        // The data travels on, for pruning, distillation and calibration downstream.
        out.data = result.data;
        if (result.labels) out.labels = result.labels;
        result.model.dispose();
        feed.finish();
        node.status({
          fill: 'green',
          shape: 'dot',
          text: RED._('tinyml-train.status.done', {
            loss: result.report.loss.toFixed(4),
            seconds: (result.report.durationMs / 1000).toFixed(1),
          }),
        });
        send(out);
        done();
      })().catch((err) => {
        feed.finish(err instanceof Error ? err.message : String(err));
        fail(node, err, done);
      });
    });
    node.on('close', (removed: boolean, done: () => void) => {
      abort.abort();
      if (removed) feed.remove();
      done();
    });
  }
  RED.nodes.registerType('tinyml-train', TinymlTrainNode);
};
