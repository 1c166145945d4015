/**
 * Moving tfjs models between memory, files and Node-RED messages.
 *
 * On disk a model is the standard TensorFlow.js layers format (model.json +
 * weights.bin), loadable by tf.loadLayersModel. In a flow it travels as a
 * SerializedModel: plain JSON topology plus one weights Buffer, which
 * Node-RED can clone between wires (a live tf.LayersModel cannot be cloned).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from './tf';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';

export interface SerializedModel {
  format: 'tfjs-layers';
  modelTopology: object;
  weightSpecs: tfTypes.io.WeightsManifestEntry[];
  weightData: Uint8Array;
}

const serializedSchema = {
  type: 'object',
  required: ['format', 'modelTopology', 'weightSpecs', 'weightData'],
  properties: {
    format: { const: 'tfjs-layers' },
    modelTopology: { type: 'object' },
    weightSpecs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'dtype'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          dtype: { enum: ['float32', 'int32', 'bool'] },
        },
      },
    },
    weightData: {},
  },
};
const validateSerialized = ajv.compile<SerializedModel>(serializedSchema);

export async function serializeModel(model: tfTypes.LayersModel): Promise<SerializedModel> {
  let out: SerializedModel | undefined;
  await model.save(
    tf().io.withSaveHandler(async (a) => {
      const data = a.weightData;
      const bytes = Array.isArray(data)
        ? Buffer.concat(data.map((d) => Buffer.from(d)))
        : Buffer.from(data ?? new ArrayBuffer(0));
      out = {
        format: 'tfjs-layers',
        modelTopology: a.modelTopology as object,
        weightSpecs: a.weightSpecs ?? [],
        weightData: bytes,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

export function isSerializedModel(value: unknown): value is SerializedModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === 'tfjs-layers'
  );
}

export async function deserializeModel(
  value: unknown,
  root = 'model',
): Promise<tfTypes.LayersModel> {
  const m = check(validateSerialized, value, root);
  const bytes = toBytes(m.weightData, `${root}.weightData`);
  const expected = m.weightSpecs.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.length !== expected) {
    throw new ValidationError(
      `${root}.weightData has ${bytes.length} bytes; the weight specs need ${expected}`,
    );
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  try {
    return await tf().loadLayersModel(
      tf().io.fromMemory({
        modelTopology: m.modelTopology,
        weightSpecs: m.weightSpecs,
        weightData,
      }),
    );
  } catch (err) {
    throw new ValidationError(`${root} is not a loadable tfjs model: ${(err as Error).message}`);
  }
}

/** Accepts a Buffer, a Uint8Array or Node's JSON form of a Buffer. */
function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Uint8Array.from((value as { data: number[] }).data);
  }
  throw new ValidationError(`${what} must be bytes (a Buffer)`);
}

/** Writes DIR/model.json and DIR/weights.bin in the TensorFlow.js format. */
export async function saveModelDir(model: tfTypes.LayersModel, dir: string): Promise<string> {
  const s = await serializeModel(model);
  await mkdir(dir, { recursive: true });
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf().version.tfjs}`,
    convertedBy: `${PACKAGE_NAME} ${PACKAGE_VERSION}`,
    modelTopology: s.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: s.weightSpecs }],
  };
  await writeFile(join(dir, 'weights.bin'), s.weightData);
  const path = join(dir, 'model.json');
  await writeFile(path, JSON.stringify(json));
  return path;
}

const modelJsonSchema = {
  type: 'object',
  required: ['modelTopology', 'weightsManifest'],
  properties: {
    modelTopology: { type: 'object' },
    weightsManifest: {
      type: 'array',
      items: {
        type: 'object',
        required: ['paths', 'weights'],
        properties: {
          paths: { type: 'array', items: { type: 'string', pattern: '^[^/\\\\]+$' } },
          weights: { type: 'array' },
        },
      },
    },
  },
};
const validateModelJson = ajv.compile<{
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
}>(modelJsonSchema);

/** Loads a TensorFlow.js layers model from a model.json path on disk. */
export async function loadModelFile(path: string): Promise<tfTypes.LayersModel> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ValidationError(`${path}: ${(err as Error).message}`);
  }
  const json = check(validateModelJson, parsed, path);
  const chunks: Buffer[] = [];
  const specs: tfTypes.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) chunks.push(await readFile(join(dirname(path), p)));
    specs.push(...group.weights);
  }
  return deserializeModel(
    {
      format: 'tfjs-layers',
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: Buffer.concat(chunks),
    },
    path,
  );
}
