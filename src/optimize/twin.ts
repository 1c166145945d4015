/**
 * A model's structure as the optimizers need it: what task it was trained
 * for, a copy with its own variables, a copy without its final softmax
 * (its "training twin": the loss then sees logits, which distillation needs
 * — Hinton et al. 2015 soften logits, z/T — and which makes cross-entropy
 * exact, tf.losses.softmaxCrossEntropy, instead of the log of clipped
 * probabilities Keras computes on a softmax output), and the Keras JSON
 * topology that structured pruning edits and rebuilds.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../model/tf';
import { UnsupportedError } from '../errors';
import type { Task } from './report';

export type { Task };

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TopologyJson {
  class_name: string;
  config: { layers: LayerJson[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** The model's topology as Keras JSON (snake_case configs), ready to edit and rebuild. */
export function topologyOf(model: tfTypes.LayersModel): TopologyJson {
  const json = model.toJSON(null, false) as unknown as TopologyJson;
  if (!json?.config || !Array.isArray(json.config.layers)) {
    throw new UnsupportedError(`model "${model.name}" has no layer list in its topology`);
  }
  return JSON.parse(JSON.stringify(json)) as TopologyJson;
}

export async function fromTopology(json: TopologyJson): Promise<tfTypes.LayersModel> {
  return tf().models.modelFromJSON(json as unknown as tfTypes.io.ModelJSON['modelTopology'] & {});
}

/** A copy of a model with its own variables. */
export async function cloneModel(model: tfTypes.LayersModel): Promise<tfTypes.LayersModel> {
  const copy = await fromTopology(topologyOf(model));
  copy.setWeights(model.getWeights());
  return copy;
}

function lastLayer(model: tfTypes.LayersModel): tfTypes.layers.Layer {
  return model.layers[model.layers.length - 1];
}

function activationName(layer: tfTypes.layers.Layer): string | undefined {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : undefined;
}

/** Output width of the model's (single) output. */
export function outputUnits(model: tfTypes.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] ?? 1;
}

export function inputShapeOf(model: tfTypes.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null)) {
    throw new UnsupportedError(`model "${model.name}" has an input of unknown shape [${shape}]`);
  }
  return shape as number[];
}

/**
 * What the model was trained for, read from its output: a softmax over more
 * than one unit is a classifier (trained with categorical cross-entropy);
 * anything else is treated as regression (mean squared error). The saved
 * tfjs format does not keep the loss, so this is the one reliable signal.
 */
export function taskOf(model: tfTypes.LayersModel): Task {
  if (model.outputs.length !== 1 || model.inputs.length !== 1) {
    throw new UnsupportedError(
      `model "${model.name}" has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output models are supported`,
    );
  }
  const last = lastLayer(model);
  const softmax =
    activationName(last) === 'softmax' ||
    (last.getClassName() === 'Softmax' && outputUnits(model) > 1);
  return softmax && outputUnits(model) > 1 ? 'classification' : 'regression';
}

/**
 * A copy of a classifier without its final softmax, so it outputs logits:
 * the last layer's activation becomes linear, or a trailing Activation /
 * Softmax layer is dropped. The twin has its own variables (same values).
 * Regression models are returned as they are.
 */
export async function trainingTwin(model: tfTypes.LayersModel): Promise<tfTypes.LayersModel> {
  if (taskOf(model) === 'regression') return model;
  const json = topologyOf(model);
  const layers = json.config.layers;
  const last = layers[layers.length - 1];
  const dropsLast = last.class_name === 'Activation' || last.class_name === 'Softmax';
  if (dropsLast) {
    if (json.class_name !== 'Sequential') {
      throw new UnsupportedError(
        `model "${model.name}": a functional model ending in a separate ${last.class_name} layer is not supported; put the softmax into the last Dense layer`,
      );
    }
    layers.pop();
    if (layers.length === 0) {
      throw new UnsupportedError(`model "${model.name}" has no layer before its softmax to train`);
    }
  } else {
    last.config.activation = 'linear';
  }
  const twin = await fromTopology(json);
  twin.setWeights(model.getWeights());
  return twin;
}

/** Copies the twin's trained weights back into the model it was made from. */
export function copyWeights(from: tfTypes.LayersModel, to: tfTypes.LayersModel): void {
  if (from === to) return;
  to.setWeights(from.getWeights());
}
