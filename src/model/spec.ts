/**
 * Model specs: a JSON description of a tfjs model and how to train it, or a
 * named preset. Validated with ajv before anything is built, so a mistake is
 * reported as the field and what was expected.
 *
 *   {"inputShape":[1], "layers":[{"type":"dense","units":16,"activation":"relu"}, ...],
 *    "loss":"meanSquaredError", "optimizer":"adam", "learningRate":0.01,
 *    "epochs":100, "batchSize":32, "validationSplit":0.1, "seed":42,
 *    "normalize":"standardize"}
 *
 * Without a loss, a model whose last layer has a softmax activation is a
 * classifier (categorical cross-entropy on class indices or one-hot rows);
 * anything else is a regression (mean squared error). `normalize` makes the
 * model's first layer a fixed per-feature Rescaling computed from the
 * training samples (model/normalize.ts), so the model takes raw features.
 *
 * A layer's `type` is a tf.layers factory name (dense, conv2d, maxPooling2d,
 * flatten, ...); its other fields are that factory's config.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ajv, check } from '../util/validate';
import { tf } from './tf';
import { ValidationError } from '../errors';

export interface LayerSpec {
  type: string;
  [config: string]: unknown;
}

export interface ModelSpec {
  name?: string;
  inputShape: number[];
  layers: LayerSpec[];
  loss?: string;
  optimizer?: 'adam' | 'sgd' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';
  learningRate?: number;
  /** Multiplies the learning rate after every epoch (exponential decay). */
  learningRateDecay?: number;
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  seed?: number;
  labels?: string[];
  metrics?: string[];
  /** Per-feature input normalization learnt from the training samples. */
  normalize?: NormalizeMethod;
}

export const NORMALIZE_METHODS = ['standardize', 'minmax', 'none'] as const;
export type NormalizeMethod = (typeof NORMALIZE_METHODS)[number];

export interface PresetSpec {
  preset: string;
  epochs?: number;
  seed?: number;
}

export const LOSSES = [
  'meanSquaredError',
  'meanAbsoluteError',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'huberLoss',
] as const;

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;

const dim = { type: 'integer', minimum: 1, maximum: 1 << 20 };

export const modelSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['inputShape', 'layers'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    inputShape: { type: 'array', items: dim, minItems: 1, maxItems: 4 },
    layers: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9]*$' } },
      },
    },
    loss: { enum: LOSSES },
    optimizer: { enum: OPTIMIZERS },
    learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
    learningRateDecay: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    epochs: { type: 'integer', minimum: 1, maximum: 100000 },
    batchSize: { type: 'integer', minimum: 1, maximum: 65536 },
    validationSplit: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
    seed: { type: 'integer' },
    labels: { type: 'array', items: { type: 'string' }, maxItems: 65536 },
    metrics: { type: 'array', items: { enum: ['accuracy', 'mse', 'mae'] } },
    normalize: { enum: NORMALIZE_METHODS },
  },
} as const;

export const presetSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['preset'],
  properties: {
    preset: { type: 'string' },
    epochs: { type: 'integer', minimum: 1, maximum: 100000 },
    seed: { type: 'integer' },
  },
} as const;

const validateModelSpec = ajv.compile<ModelSpec>(modelSpecSchema);
const validatePresetSpec = ajv.compile<PresetSpec>(presetSpecSchema);

export function parseSpec(value: unknown): ModelSpec | PresetSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('spec must be a JSON object');
  }
  if ('preset' in value) return check(validatePresetSpec, value, 'spec');
  return check(validateModelSpec, value, 'spec');
}

/** The loss a spec trains with: its own, or the one its last layer implies. */
export function effectiveLoss(spec: ModelSpec): string {
  if (spec.loss !== undefined) return spec.loss;
  const last = spec.layers[spec.layers.length - 1];
  return last?.activation === 'softmax' ? 'categoricalCrossentropy' : 'meanSquaredError';
}

export function isPreset(spec: ModelSpec | PresetSpec): spec is PresetSpec {
  return 'preset' in spec;
}

/** tf.layers factory names usable as a layer `type`. */
export function layerTypes(): string[] {
  const layers = tf().layers as unknown as Record<string, unknown>;
  return Object.keys(layers)
    .filter((k) => typeof layers[k] === 'function' && /^[a-z]/.test(k) && k !== 'input')
    .sort();
}

/** Builds (but does not compile) the tfjs model a spec describes. */
export function buildModel(spec: ModelSpec): tfTypes.Sequential {
  const t = tf();
  const factories = t.layers as unknown as Record<string, (config: object) => tfTypes.layers.Layer>;
  const types = layerTypes();
  const model = t.sequential({ name: spec.name });
  spec.layers.forEach((layerSpec, i) => {
    const { type, ...config } = layerSpec;
    if (!types.includes(type)) {
      throw new ValidationError(
        `spec.layers[${i}].type "${type}" is not a tf.layers factory; use one of: ${types.join(', ')}`,
      );
    }
    const full: Record<string, unknown> = { ...config };
    if (i === 0) full.inputShape = spec.inputShape;
    if (
      spec.seed !== undefined &&
      ['dense', 'conv1d', 'conv2d'].includes(type) &&
      !full.kernelInitializer
    ) {
      full.kernelInitializer = t.initializers.glorotUniform({ seed: spec.seed + i });
    }
    // Keras (TF 2) gates LSTMs with sigmoid, the one gate TFLite's fused LSTM
    // op has; tfjs defaults to hardSigmoid, which would not convert.
    if (type === 'lstm' && full.recurrentActivation === undefined) {
      full.recurrentActivation = 'sigmoid';
    }
    if (spec.seed !== undefined && type === 'depthwiseConv2d' && !full.depthwiseInitializer) {
      full.depthwiseInitializer = t.initializers.glorotUniform({ seed: spec.seed + i });
    }
    try {
      model.add(factories[type](full));
    } catch (err) {
      throw new ValidationError(`spec.layers[${i}] (${type}): ${(err as Error).message}`);
    }
  });
  return model;
}
