/**
 * tinyml-optimize: quantization, pruning and distillation of the .tflite in
 * msg.payload. Not implemented yet: the model passes through unchanged and
 * msg.optimize says so.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { optimizeModel, type OptimizeMode } from '../src/optimize';
import { fail, modelBytes } from './lib/node-utils';

interface OptimizeDef extends NodeDef {
  mode: OptimizeMode;
}

export = function register(RED: NodeAPI): void {
  function TinymlOptimizeNode(this: Node, config: OptimizeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.on('input', (msg, send, done) => {
      try {
        const { model, report } = optimizeModel(modelBytes(msg), config.mode || 'none');
        const m = msg as typeof msg & Record<string, unknown>;
        m.payload = Buffer.from(model);
        m.optimize = report;
        node.status({
          fill: report.applied ? 'green' : 'yellow',
          shape: 'ring',
          text: report.applied ? report.mode : 'passed through',
        });
        if (!report.applied && config.mode && config.mode !== 'none') node.warn(report.message);
        send(m);
        done();
      } catch (err) {
        fail(node, err, done);
      }
    });
  }
  RED.nodes.registerType('tinyml-optimize', TinymlOptimizeNode);
};
