/**
 * Converts a TensorFlow.js LayersModel (Sequential or functional) into a
 * float32 TfliteModel: walks the layers in topological order (into nested
 * models too), hands each to its converter (layers.ts, one file per layer
 * family), checks every output
 * shape against the one tfjs computed, applies TensorFlow's fusions
 * (fuse.ts) and records the model's metadata.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { GraphBuilder } from './graph-builder';
import { fuseGraph } from './fuse';
import { LAYER_CONVERTERS } from './layers';
import type { WeightValue } from './context';
import { encodeMetadata, METADATA_NAME, type InputScaling, type ModelMetadata } from '../metadata';
import type { TfliteModel } from '../model';
import { UnsupportedError, ValidationError } from '../../errors';
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

interface NodeLike {
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
}

interface ContainerLike {
  name: string;
  layers: tfTypes.layers.Layer[];
  inputs: SymbolicLike[];
  outputs: SymbolicLike[];
}

function isContainer(layer: tfTypes.layers.Layer): boolean {
  const c = layer as unknown as Partial<ContainerLike>;
  return Array.isArray(c.layers) && Array.isArray(c.inputs) && Array.isArray(c.outputs);
}

function weightsOf(layer: tfTypes.layers.Layer): Map<string, WeightValue> {
  const weights = new Map<string, WeightValue>();
  for (const w of layer.weights) {
    const short = w.originalName.split('/').pop() ?? w.originalName;
    const value = w.read();
    weights.set(short, { shape: value.shape, values: value.dataSync() as Float32Array });
  }
  return weights;
}

/**
 * Converts every call of every layer of `container` whose inputs are known
 * in `scope` (symbolic tensor id → TFLite tensor). tfjs lists a container's
 * layers in topological order, so one pass suffices. A layer called several
 * times (shared weights) is converted once per call; a nested model is
 * walked with its inputs bound to the tensors it is called on.
 */
function walk(g: GraphBuilder, container: ContainerLike, scope: Map<number, number>): void {
  for (const layer of container.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const nodes = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes;
    for (const node of nodes) {
      if (!node.inputTensors.every((sym) => scope.has(sym.id))) continue;
      if (node.outputTensors.every((sym) => scope.has(sym.id))) continue;
      const layerInputs = node.inputTensors.map((sym) => scope.get(sym.id)!);
      let outs: number[];
      if (isContainer(layer)) {
        const inner = layer as unknown as ContainerLike;
        const innerScope = new Map<number, number>();
        inner.inputs.forEach((sym, i) => innerScope.set(sym.id, layerInputs[i]));
        walk(g, inner, innerScope);
        outs = inner.outputs.map((sym) => {
          const t = innerScope.get(sym.id);
          if (t === undefined) {
            throw new UnsupportedError(
              `model "${inner.name}": output "${sym.name}" was never produced`,
            );
          }
          return t;
        });
      } else {
        const convert = LAYER_CONVERTERS[className];
        if (!convert) {
          throw new UnsupportedError(
            `layer "${layer.name}" (${className}) is not supported; supported layers: ${supportedLayers().join(', ')}`,
          );
        }
        const config = layer.getConfig() as Record<string, unknown>;
        const weights = weightsOf(layer);
        outs = convert({ g, layer, className, config, weights, inputs: layerInputs });
      }
      if (outs.length !== node.outputTensors.length) {
        throw new UnsupportedError(`layer "${layer.name}" produced ${outs.length} outputs`);
      }
      node.outputTensors.forEach((sym, i) => {
        checkShape(g.tensors[outs[i]].shape, sym, `layer "${layer.name}" (${className})`);
        scope.set(sym.id, outs[i]);
      });
    }
  }
}

/** Per-feature input scaling must have one value per channel (last axis) of the input. */
function checkScaling(scaling: InputScaling | undefined, shape: number[]): void {
  if (!scaling) return;
  const features = shape[shape.length - 1];
  for (const [key, value] of Object.entries(scaling)) {
    if (Array.isArray(value) && value.length !== features) {
      throw new ValidationError(
        `metadata.inputScaling.${key} has ${value.length} values; the model input [${shape}] has ${features} features (last axis)`,
      );
    }
  }
}

export function convertLayersModel(
  model: tfTypes.LayersModel,
  options: ConvertOptions = {},
): TfliteModel {
  const g = new GraphBuilder();
  const container = model as unknown as ContainerLike;
  const scope = new Map<number, number>();

  const inputs = container.inputs.map((sym) => {
    const shape = sym.shape.map((d, i) => {
      if (d === null && i === 0) return 1; // batch of one, as on a device
      if (d === null) {
        throw new UnsupportedError(`model input "${sym.name}" has an unknown dimension ${i}`);
      }
      return d;
    });
    const index = g.addTensor(sym.name.replace(/:\d+$/, ''), shape);
    scope.set(sym.id, index);
    return index;
  });

  walk(g, container, scope);

  const outputs = container.outputs.map((sym) => {
    const t = scope.get(sym.id);
    if (t === undefined) {
      throw new UnsupportedError(`model output "${sym.name}" was never produced`);
    }
    return t;
  });

  fuseGraph(g, outputs);
  checkScaling(options.metadata?.inputScaling, g.tensors[inputs[0]]?.shape ?? []);
  const meta: ModelMetadata = {
    name: options.metadata?.name ?? model.name,
    ...options.metadata,
    producer: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
  };
  return g.finish(inputs, outputs, `${PACKAGE_NAME} ${PACKAGE_VERSION}`, [
    { name: METADATA_NAME, bytes: encodeMetadata(meta) },
  ]);
}
