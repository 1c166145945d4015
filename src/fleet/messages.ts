/**
 * The JSON messages of the protocol, each with its JSON Schema. Both sides
 * validate what they receive with these (ajv); a message that does not match
 * is dropped with a logged reason and never acted upon.
 */
import type { ValidateFunction } from 'ajv';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';

const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };

export interface ModelRef {
  name: string;
  version: string;
  sha256: string;
  size: number;
}

const modelRefSchema = {
  type: 'object',
  required: ['name', 'version', 'sha256', 'size'],
  properties: {
    name: { type: 'string', maxLength: 256 },
    version: { type: 'string', maxLength: 64 },
    sha256,
    size: { type: 'integer', minimum: 0 },
  },
};

export interface Capabilities {
  /** Largest MQTT packet the device accepts, in bytes. */
  maxPacket: number;
  /** Bytes available for the tensor arena. */
  arenaBytes: number;
  /** Bytes of model storage (one slot). */
  flashBytes: number;
  /** Builtin ops the device's interpreter registers. */
  ops: string[];
}

export interface DeviceStatus {
  id: string;
  online: boolean;
  profile?: string;
  group?: string;
  capabilities?: Capabilities;
  model?: ModelRef | null;
  ts: number;
}

export const deviceStatusSchema = {
  type: 'object',
  required: ['id', 'online', 'ts'],
  properties: {
    id,
    online: { type: 'boolean' },
    profile: { type: 'string', maxLength: 32 },
    group: id,
    capabilities: {
      type: 'object',
      required: ['maxPacket', 'arenaBytes', 'flashBytes', 'ops'],
      properties: {
        maxPacket: { type: 'integer', minimum: 64 },
        arenaBytes: { type: 'integer', minimum: 0 },
        flashBytes: { type: 'integer', minimum: 0 },
        ops: { type: 'array', items: { type: 'string' }, maxItems: 512 },
      },
    },
    model: { anyOf: [{ type: 'null' }, modelRefSchema] },
    ts: { type: 'number' },
  },
};

export interface Manifest extends ModelRef {
  deployId: string;
  format: 'tflite';
  chunkSize: number;
  chunks: number;
}

export const manifestSchema = {
  type: 'object',
  required: ['deployId', 'name', 'version', 'sha256', 'size', 'format', 'chunkSize', 'chunks'],
  properties: {
    ...modelRefSchema.properties,
    deployId: id,
    format: { const: 'tflite' },
    size: { type: 'integer', minimum: 1, maximum: 64 * 1024 * 1024 },
    chunkSize: { type: 'integer', minimum: 16, maximum: 16 * 1024 * 1024 },
    chunks: { type: 'integer', minimum: 1, maximum: 1 << 20 },
  },
};

export type DeployStateName = 'receiving' | 'verifying' | 'active' | 'failed';

export interface DeployState {
  deployId: string;
  state: DeployStateName;
  received?: number;
  chunks?: number;
  sha256?: string;
  error?: string;
  ts: number;
}

export const deployStateSchema = {
  type: 'object',
  required: ['deployId', 'state', 'ts'],
  properties: {
    deployId: id,
    state: { enum: ['receiving', 'verifying', 'active', 'failed'] },
    received: { type: 'integer', minimum: 0 },
    chunks: { type: 'integer', minimum: 0 },
    sha256,
    error: { type: 'string', maxLength: 1024 },
    ts: { type: 'number' },
  },
};

export interface InferRequest {
  requestId?: string;
  /** One entry per model input (flat or nested), or a bare array for one input. */
  input: unknown[];
}

export const inferRequestSchema = {
  type: 'object',
  required: ['input'],
  properties: {
    requestId: { type: 'string', maxLength: 128 },
    input: { type: 'array', maxItems: 1 << 20 },
  },
};

export interface OutputTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: number[];
}

export interface InferResult {
  deviceId: string;
  requestId?: string;
  model: { name: string; version: string; sha256: string } | null;
  input?: unknown[];
  outputs?: OutputTensor[];
  label?: string;
  score?: number;
  latencyMs?: number;
  error?: string;
  ts: number;
}

export const inferResultSchema = {
  type: 'object',
  required: ['deviceId', 'model', 'ts'],
  properties: {
    deviceId: id,
    requestId: { type: 'string', maxLength: 128 },
    model: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['name', 'version', 'sha256'],
          properties: { name: { type: 'string' }, version: { type: 'string' }, sha256 },
        },
      ],
    },
    input: { type: 'array' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'shape', 'dtype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' } },
          dtype: { type: 'string' },
          data: { type: 'array', items: { type: 'number' } },
        },
      },
    },
    label: { type: 'string' },
    score: { type: 'number' },
    latencyMs: { type: 'number', minimum: 0 },
    error: { type: 'string' },
    ts: { type: 'number' },
  },
};

const validators = {
  status: ajv.compile<DeviceStatus>(deviceStatusSchema),
  manifest: ajv.compile<Manifest>(manifestSchema),
  deployState: ajv.compile<DeployState>(deployStateSchema),
  inferRequest: ajv.compile<InferRequest>(inferRequestSchema),
  inferResult: ajv.compile<InferResult>(inferResultSchema),
};

export type MessageKind = keyof typeof validators;

type MessageOf = {
  status: DeviceStatus;
  manifest: Manifest;
  deployState: DeployState;
  inferRequest: InferRequest;
  inferResult: InferResult;
};

/** Parses an MQTT payload as JSON and validates it as message `kind`. */
export function parseMessage<K extends MessageKind>(
  kind: K,
  payload: Buffer | string,
): MessageOf[K] {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString());
  } catch {
    throw new ValidationError(`${kind} message is not valid JSON`);
  }
  const validate = validators[kind] as unknown as ValidateFunction<MessageOf[K]>;
  return check(validate, value, kind);
}
