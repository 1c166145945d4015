/**
 * Named presets: a model spec plus the data it learns from when the flow
 * supplies none. "sine" is TinyML's hello world (TFLite Micro's hello_world
 * example): y = sin(x) for x in [0, 2π], a 1-16-16-1 network.
 */
import type { Dataset } from './dataset';
import type { ModelSpec, PresetSpec } from './spec';
import { mulberry32 } from './random';
import { ValidationError } from '../errors';

export interface Preset {
  spec: ModelSpec;
  data: (seed: number) => Dataset;
  description: string;
}

function sineData(seed: number, n = 1000): Dataset {
  const rand = mulberry32(seed);
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = rand() * 2 * Math.PI;
    xs.push([x]);
    ys.push(Math.sin(x));
  }
  return { xs, ys };
}

export const PRESETS: Record<string, Preset> = {
  sine: {
    description: 'y = sin(x) on [0, 2π]; 1-16-16-1 dense network (TinyML hello world)',
    spec: {
      name: 'sine',
      inputShape: [1],
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 1 },
      ],
      loss: 'meanSquaredError',
      optimizer: 'adam',
      learningRate: 0.01,
      learningRateDecay: 0.98,
      epochs: 150,
      batchSize: 16,
      validationSplit: 0.1,
      seed: 1,
    },
    data: (seed) => sineData(seed),
  },
};

/** The full spec of a preset, with the preset spec's overrides applied. */
export function resolvePreset(p: PresetSpec): { spec: ModelSpec; data: Dataset } {
  const preset = PRESETS[p.preset];
  if (!preset) {
    throw new ValidationError(
      `spec.preset "${p.preset}" is unknown; presets: ${Object.keys(PRESETS).join(', ')}`,
    );
  }
  const spec: ModelSpec = { ...preset.spec };
  if (p.epochs !== undefined) spec.epochs = p.epochs;
  if (p.seed !== undefined) spec.seed = p.seed;
  return { spec, data: preset.data(spec.seed ?? 1) };
}
