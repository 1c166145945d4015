/**
 * Converts a TensorFlow.js LayersModel (Sequential or functional) into a
 * float32 TfliteModel: walks the layers in topological order, hands each to
 * its converter (layers.ts, one file per layer family), checks every output
 * shape against the one tfjs computed, applies TensorFlow's fusions
 * (fuse.ts) and records the model's metadata.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { GraphBuilder } from './graph-builder';
import { fuseGraph } from './fuse';
import { LAYER_CONVERTERS } from './layers';
import { encodeMetadata, METADATA_NAME, type ModelMetadata } from '../metadata';
import type { TfliteModel } from '../model';
import { UnsupportedError } from '../../errors';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../version';

export interface ConvertOptions {
  metadata?: ModelMetadata;
}

export function supportedLayers(): string[] {
  return ['InputLayer', ...Object.keys(LAYER_CONVERTERS)].sort();
}

interface SymbolicLike {
  id: number;
  shape: (number | null)[];
  name: string;
}

/**
 * The converter's shapes must be the ones tfjs computes (batch 1); a
 * difference is a converter bug, caught here rather than as a wrong result on
 * a device.
 */
function checkShape(shape: number[], sym: SymbolicLike, what: string): void {
  const expected = sym.shape.map((d, i) => (d === null && i === 0 ? 1 : d));
  if (expected.length !== shape.length || expected.some((d, i) => d !== null && d !== shape[i])) {
    throw new Error(
      `internal converter error: ${what} output is [${shape}] but tfjs computes [${expected}]`,
    );
  }
}

export function convertLayersModel(
  model: tfTypes.LayersModel,
  options: ConvertOptions = {},
): TfliteModel {
  const g = new GraphBuilder();
  const tensorOf = new Map<number, number>();

  const inputs = (model.inputs as unknown as SymbolicLike[]).map((sym) => {
    const shape = sym.shape.map((d, i) => {
      if (d === null && i === 0) return 1; // batch of one, as on a device
      if (d === null) {
        throw new UnsupportedError(`model input "${sym.name}" has an unknown dimension ${i}`);
      }
      return d;
    });
    const index = g.addTensor(sym.name.replace(/:\d+$/, ''), shape);
    tensorOf.set(sym.id, index);
    return index;
  });

  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const nodes = (layer as unknown as { inboundNodes: unknown[] }).inboundNodes;
    if (nodes.length !== 1) {
      throw new UnsupportedError(
        `layer "${layer.name}" (${className}) is called ${nodes.length} times; shared layers are not supported`,
      );
    }
    const node = nodes[0] as { inputTensors: SymbolicLike[]; outputTensors: SymbolicLike[] };
    const convert = LAYER_CONVERTERS[className];
    if (!convert) {
      throw new UnsupportedError(
        `layer "${layer.name}" (${className}) is not supported; supported layers: ${supportedLayers().join(', ')}`,
      );
    }
    const layerInputs = node.inputTensors.map((sym) => {
      const t = tensorOf.get(sym.id);
      if (t === undefined) {
        throw new UnsupportedError(`layer "${layer.name}": input "${sym.name}" was never produced`);
      }
      return t;
    });
    const weights = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const w of layer.weights) {
      const short = w.originalName.split('/').pop() ?? w.originalName;
      const value = w.read();
      weights.set(short, { shape: value.shape, values: value.dataSync() as Float32Array });
    }
    const config = layer.getConfig() as Record<string, unknown>;
    const outs = convert({ g, layer, className, config, weights, inputs: layerInputs });
    if (outs.length !== node.outputTensors.length) {
      throw new UnsupportedError(`layer "${layer.name}" produced ${outs.length} outputs`);
    }
    node.outputTensors.forEach((sym, i) => {
      checkShape(g.tensors[outs[i]].shape, sym, `layer "${layer.name}" (${className})`);
      tensorOf.set(sym.id, outs[i]);
    });
  }

  const outputs = (model.outputs as unknown as SymbolicLike[]).map((sym) => {
    const t = tensorOf.get(sym.id);
    if (t === undefined)
      throw new UnsupportedError(`model output "${sym.name}" was never produced`);
    return t;
  });

  fuseGraph(g, outputs);
  const meta: ModelMetadata = {
    name: options.metadata?.name ?? model.name,
    ...options.metadata,
    producer: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
  };
  return g.finish(inputs, outputs, `${PACKAGE_NAME} ${PACKAGE_VERSION}`, [
    { name: METADATA_NAME, bytes: encodeMetadata(meta) },
  ]);
}
