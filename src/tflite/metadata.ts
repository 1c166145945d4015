/**
 * Model metadata carried inside the .tflite file: one Model.metadata entry
 * named "tinyml" whose buffer holds a UTF-8 JSON document (docs/formats.md).
 * Runtimes ignore metadata they do not know, so the file stays a plain TFLite
 * model for TFLite and TFLite Micro.
 */
import Ajv from 'ajv';
import type { TfliteModel } from './model';
import { TfliteFormatError } from '../errors';

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
    },
    task: { enum: ['classification', 'regression', 'anomaly', 'other'] },
    producer: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version'],
      properties: { name: { type: 'string' }, version: { type: 'string' } },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false }).compile<ModelMetadata>(metadataSchema);

export function encodeMetadata(meta: ModelMetadata): Uint8Array {
  if (!validate(meta)) {
    const e = validate.errors?.[0];
    throw new TfliteFormatError(`invalid model metadata ${e?.instancePath || '/'}: ${e?.message}`);
  }
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
  if (!validate(parsed)) {
    const e = validate.errors?.[0];
    throw new TfliteFormatError(
      `metadata "${METADATA_NAME}" ${e?.instancePath || '/'}: ${e?.message}`,
    );
  }
  return parsed;
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
