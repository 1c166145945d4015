/**
 * Model metadata carried inside the .tflite file: one Model.metadata entry
 * named "tinyml" whose buffer holds a UTF-8 JSON document (docs/formats.md).
 * Runtimes ignore metadata they do not know, so the file stays a plain TFLite
 * model for TFLite and TFLite Micro.
 *
 * Writing checks the document against the schema below and refuses it with a
 * ValidationError (it comes from the user); reading refuses a file whose
 * document does not match with a TfliteFormatError.
 */
import type { TfliteModel } from './model';
import { TfliteFormatError, ValidationError } from '../errors';
import { ajv, describeError } from '../util/validate';

export const METADATA_NAME = 'tinyml';

export interface InputScaling {
  /** x' = (x - mean) / std, per feature or one for all. */
  mean?: number | number[];
  std?: number | number[];
  /** x' = (x - min) / (max - min). */
  min?: number | number[];
  max?: number | number[];
}

export interface ModelMetadata {
  name?: string;
  description?: string;
  version?: string;
  labels?: string[];
  inputScaling?: InputScaling;
  /** Task the outputs answer: classification (labels), regression, anomaly. */
  task?: 'classification' | 'regression' | 'anomaly' | 'other';
  producer?: { name: string; version: string };
}

const numOrList = {
  anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' }, maxItems: 65536 }],
};

export const metadataSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 256 },
    description: { type: 'string', maxLength: 4096 },
    version: { type: 'string', maxLength: 64 },
    labels: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 65536 },
    inputScaling: {
      type: 'object',
      additionalProperties: false,
      properties: { mean: numOrList, std: numOrList, min: numOrList, max: numOrList },
      // Either standardisation (mean and std) or min-max scaling (min and max).
      dependencies: { mean: ['std'], std: ['mean'], min: ['max'], max: ['min'] },
    },
    task: { enum: ['classification', 'regression', 'anomaly', 'other'] },
    producer: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version'],
      properties: {
        name: { type: 'string', maxLength: 256 },
        version: { type: 'string', maxLength: 64 },
      },
    },
  },
} as const;

const validate = ajv.compile<ModelMetadata>(metadataSchema);

function list(v: number | number[] | undefined): number[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** What the schema cannot say: no zero divisors, per-feature lists of one length. */
function scalingProblem(s: InputScaling | undefined): string | undefined {
  if (!s) return undefined;
  const lengths = [s.mean, s.std, s.min, s.max]
    .filter((v) => Array.isArray(v))
    .map((v) => (v as number[]).length);
  if (new Set(lengths).size > 1) return 'has per-feature lists of different lengths';
  if (list(s.std).some((v) => v === 0)) return 'std must not be 0';
  const min = list(s.min);
  const max = list(s.max);
  for (let i = 0; i < Math.max(min.length, max.length); i++) {
    const lo = min.length === 1 ? min[0] : min[i];
    const hi = max.length === 1 ? max[0] : max[i];
    if (!(hi > lo)) return `max (${hi}) must be greater than min (${lo})`;
  }
  return undefined;
}

/** The first problem of a metadata document, or undefined when it is valid. */
function problem(meta: unknown, root: string): string | undefined {
  if (!validate(meta)) {
    const errors = validate.errors ?? [];
    const best = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    return best ? describeError(root, best) : `${root} is invalid`;
  }
  const scaling = scalingProblem(meta.inputScaling);
  return scaling ? `${root}.inputScaling ${scaling}` : undefined;
}

export function encodeMetadata(meta: ModelMetadata): Uint8Array {
  const p = problem(meta, 'metadata');
  if (p) throw new ValidationError(p);
  return new TextEncoder().encode(JSON.stringify(meta));
}

/** The model's tinyml metadata, or undefined when the file carries none. */
export function readMetadata(model: TfliteModel): ModelMetadata | undefined {
  const entry = model.metadata.find((m) => m.name === METADATA_NAME);
  if (!entry) return undefined;
  const bytes = model.buffers[entry.buffer]?.data;
  if (!bytes) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new TfliteFormatError(
      `metadata "${METADATA_NAME}" is not valid JSON: ${(err as Error).message}`,
    );
  }
  const p = problem(parsed, `metadata "${METADATA_NAME}"`);
  if (p) throw new TfliteFormatError(p);
  return parsed as ModelMetadata;
}

/** Replaces (or adds) the model's tinyml metadata. */
export function setMetadata(model: TfliteModel, meta: ModelMetadata): void {
  const bytes = encodeMetadata(meta);
  const entry = model.metadata.find((m) => m.name === METADATA_NAME);
  if (entry && entry.buffer > 0) {
    model.buffers[entry.buffer] = { data: bytes };
  } else {
    model.buffers.push({ data: bytes });
    model.metadata.push({ name: METADATA_NAME, buffer: model.buffers.length - 1 });
  }
}
