/**
 * tinyml-convert: turns the tfjs model in msg.payload into a float32 .tflite
 * (a Buffer in msg.payload) with its inspect report in msg.inspect.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { deserializeModel } from '../src/model/artifacts';
import { convertLayersModel } from '../src/tflite/convert';
import { writeModel } from '../src/tflite/writer';
import { readModel } from '../src/tflite/reader';
import { inspectModel } from '../src/tflite/inspect';
import { sha256Hex } from '../src/util/sha256';
import { fail } from './lib/node-utils';

interface ConvertDef extends NodeDef {
  modelName: string;
  modelVersion: string;
  /** typedInput type of modelVersion (str, num, msg, flow, global, env); absent in older flows. */
  modelVersionType?: string;
}

export = function register(RED: NodeAPI): void {
  function TinymlConvertNode(this: Node, config: ConvertDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.on('input', (msg, send, done) => {
      (async () => {
        const m = msg as typeof msg & Record<string, unknown>;
        const source = msg.payload;
        const model = await deserializeModel(source, 'msg.payload');
        const labels = Array.isArray(m.labels) ? (m.labels as string[]) : undefined;
        const version = String(
          RED.util.evaluateNodeProperty(
            config.modelVersion || '1',
            config.modelVersionType || 'str',
            node,
            msg,
          ) ?? '1',
        );
        const tfl = convertLayersModel(model, {
          metadata: {
            ...(config.modelName ? { name: config.modelName } : {}),
            version,
            ...(labels ? { labels } : {}),
          },
        });
        model.dispose();
        const bytes = writeModel(tfl);
        const report = inspectModel(readModel(bytes), bytes.length);
        m.payload = Buffer.from(bytes);
        // The TensorFlow.js model travels on, for pruning and distillation.
        m.tfjs = source;
        m.inspect = report;
        m.tflite = {
          name: report.metadata?.name ?? 'model',
          version: report.metadata?.version ?? '1',
          sha256: sha256Hex(bytes),
          size: bytes.length,
        };
        node.status({
          fill: 'green',
          shape: 'dot',
          text: RED._('tinyml-convert.status.done', {
            bytes: bytes.length,
            arena: report.arenaBytes,
          }),
        });
        send(m);
        done();
      })().catch((err) => fail(node, err, done));
    });
  }
  RED.nodes.registerType('tinyml-convert', TinymlConvertNode);
};
