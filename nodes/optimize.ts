/**
 * tinyml-optimize: quantizes the .tflite in msg.payload, or prunes / distills
 * the TensorFlow.js model it came from (msg.tfjs, kept by the convert node),
 * fine-tuning on msg.data and judging on msg.validation. Sends the optimized
 * .tflite (msg.payload), its report (msg.optimize) and, for prune/distill,
 * the new tfjs model (msg.tfjs) so another optimize node can quantize it.
 * Optionally exports C sources for a firmware build (msg.export).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { optimize, type OptimizeSettings } from '../src/optimize';
import { exportModel, type ExportFormat } from '../src/export/c-source';
import { readModel } from '../src/tflite/reader';
import { inspectModel } from '../src/tflite/inspect';
import { fail, modelBytes, parseJsonConfig } from './lib/node-utils';

interface OptimizeDef extends NodeDef {
  mode: OptimizeSettings['mode'];
  quantMode?: string;
  io?: string;
  maxDrop?: string;
  sparsity?: string;
  structured?: boolean;
  epochs?: string;
  studentSpec?: string;
  temperature?: string;
  alpha?: string;
  flashBudget?: string;
  arenaBudget?: string;
  exportFormat?: 'none' | ExportFormat;
}

/** A number from a text field, or undefined when the field is empty. */
function num(text: string | undefined): number | undefined {
  if (text === undefined || String(text).trim() === '') return undefined;
  return Number(text);
}

function settingsOf(config: OptimizeDef): OptimizeSettings {
  const mode = config.mode || 'none';
  const epochs = num(config.epochs);
  if (mode === 'quantize') {
    const maxDrop = num(config.maxDrop);
    return {
      mode,
      quantize: {
        mode: (config.quantMode || 'int8') as never,
        io: (config.io || 'float32') as never,
        ...(maxDrop !== undefined ? { maxAccuracyDropPp: maxDrop } : {}),
      },
    };
  }
  if (mode === 'prune') {
    return {
      mode,
      prune: {
        sparsity: num(config.sparsity) ?? 0.8,
        structured: config.structured === true,
        ...(epochs !== undefined ? { epochs } : {}),
      },
    };
  }
  if (mode === 'distill') {
    const flash = num(config.flashBudget);
    const arena = num(config.arenaBudget);
    const studentSpec = parseJsonConfig(config.studentSpec, 'student spec');
    const budget = {
      ...(flash !== undefined ? { flashBytes: flash } : {}),
      ...(arena !== undefined ? { arenaBytes: arena } : {}),
    };
    return {
      mode,
      distill: {
        ...(studentSpec !== undefined ? { studentSpec } : { budget }),
        temperature: num(config.temperature) ?? 4,
        alpha: num(config.alpha) ?? 0.7,
        ...(epochs !== undefined ? { epochs } : {}),
      },
    };
  }
  return { mode: 'none' };
}

export = function register(RED: NodeAPI): void {
  function TinymlOptimizeNode(this: Node, config: OptimizeDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const abort = new AbortController();
    node.on('input', (msg, send, done) => {
      const m = msg as typeof msg & Record<string, unknown>;
      (async () => {
        const settings = settingsOf(config);
        const needsTflite = settings.mode === 'quantize' || settings.mode === 'none';
        node.status({ fill: 'blue', shape: 'dot', text: `${settings.mode}...` });
        const out = await optimize(
          {
            tflite: needsTflite || m.payload instanceof Uint8Array ? modelBytes(msg) : undefined,
            tfjs: m.tfjs,
            data: m.calibration ?? m.data,
            validation: m.validation,
          },
          settings,
          {
            signal: abort.signal,
            onProgress: (text) => node.status({ fill: 'blue', shape: 'dot', text }),
          },
        );
        m.payload = Buffer.from(out.tflite);
        m.optimize = {
          mode: out.mode,
          applied: out.applied,
          summary: out.summary,
          ...(out.report as object),
        };
        m.inspect = inspectModel(readModel(out.tflite), out.tflite.length);
        if (out.tfjs) m.tfjs = out.tfjs;
        if (config.exportFormat && config.exportFormat !== 'none') {
          m.export = exportModel(out.tflite, { format: config.exportFormat });
        }
        node.status({
          fill: out.applied ? 'green' : 'yellow',
          shape: out.applied ? 'dot' : 'ring',
          text: out.summary.length > 60 ? `${out.summary.slice(0, 57)}...` : out.summary,
        });
        send(m);
        done();
      })().catch((err) => fail(node, err, done));
    });
    node.on('close', (done: () => void) => {
      abort.abort();
      done();
    });
  }
  RED.nodes.registerType('tinyml-optimize', TinymlOptimizeNode);
};
