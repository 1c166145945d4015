/**
 * The JSON messages of fleet protocol v1 (docs/protocol.md), each with its
 * JSON Schema. Both sides validate what they receive with these (ajv); a
 * message that does not match is dropped and never acted upon. Unknown fields
 * are allowed, so a minor revision can add fields without breaking older
 * peers; a message of another major version (`v`) is refused.
 */
import type { ValidateFunction } from 'ajv';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';

export const PROTOCOL_VERSION = 1;

const v = { const: PROTOCOL_VERSION };
const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const deployId = { type: 'string', pattern: '^[0-9a-f]{8}$' };
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const count = { type: 'integer', minimum: 0, maximum: 0xffffffff };
const ts = { type: 'number' };

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
    name: { type: 'string', maxLength: 128 },
    version: { type: 'string', maxLength: 64 },
    sha256,
    size: count,
  },
};

const modelRefOrNull = { anyOf: [{ type: 'null' }, modelRefSchema] };

/** What a device can take: the deployer's compatibility check reads these. */
export interface Capabilities {
  /** Largest MQTT packet (fixed header included) the device accepts, in bytes. */
  maxPacket: number;
  /** Bytes of RAM for the tensor arena. */
  arenaBytes: number;
  /** Bytes of one model slot (flash or disk). */
  flashBytes: number;
  /** Model slots: 2 for A/B (the old model serves while the new one arrives). */
  slots: number;
  /** Most un-acknowledged chunks the device accepts in flight. */
  window: number;
  /** Builtin ops the device's interpreter registers. */
  ops: string[];
  /** "ed25519" when the device holds a public key and accepts only signed manifests. */
  verify: 'ed25519' | 'none';
  /**
   * The interpreter that loads models, which decides what arena a model
   * needs: "tinyml" (the project's interpreter: the planner's bytes) or
   * "tflm" (TensorFlow Lite Micro: the planned bytes plus its persistent
   * structures, src/export/arena.ts). Absent: "tinyml".
   */
  runtime?: Runtime;
  /** What runs inferences: the runtime, or "none" for a build that only stores models. */
  inference?: Runtime | 'none';
}

export type Runtime = 'tinyml' | 'tflm';

export interface DeviceStatus {
  /** Protocol major version the device speaks (any integer is accepted here, so the registry can show a device it cannot deploy to). */
  v: number;
  id: string;
  online: boolean;
  profile?: string;
  group?: string;
  caps?: Capabilities;
  /** The model serving now (slot "active"), or null. */
  model?: ModelRef | null;
  /** The model in the other slot, the target of a rollback, or null. */
  previous?: ModelRef | null;
  ts: number;
}

export const deviceStatusSchema = {
  type: 'object',
  required: ['v', 'id', 'online', 'ts'],
  properties: {
    v: { type: 'integer', minimum: 0 },
    id,
    online: { type: 'boolean' },
    profile: { type: 'string', maxLength: 32 },
    group: id,
    caps: {
      type: 'object',
      required: ['maxPacket', 'arenaBytes', 'flashBytes', 'slots', 'window', 'ops', 'verify'],
      properties: {
        maxPacket: { type: 'integer', minimum: 64, maximum: 268435460 },
        arenaBytes: count,
        flashBytes: count,
        slots: { type: 'integer', minimum: 1, maximum: 2 },
        window: { type: 'integer', minimum: 1, maximum: 64 },
        ops: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 512 },
        verify: { enum: ['ed25519', 'none'] },
        runtime: { enum: ['tinyml', 'tflm'] },
        inference: { enum: ['tinyml', 'tflm', 'none'] },
      },
    },
    model: modelRefOrNull,
    previous: modelRefOrNull,
    ts,
  },
};

/**
 * Starts (or polls) a transfer. Small on purpose: it must fit a 256-byte
 * packet with the topic; everything else travels in the manifest section.
 */
export interface Offer {
  v: 1;
  deployId: string;
  /** Model bytes. */
  size: number;
  /** Data bytes per chunk (the last chunk of each section may be shorter). */
  chunkSize: number;
  /** Chunks of the model section. */
  chunks: number;
  /** Bytes of the manifest JSON. */
  mSize: number;
  /** Chunks of the manifest section (manifest JSON, then 64 signature bytes when signed). */
  mChunks: number;
  signed: boolean;
  /** Most un-acknowledged chunks in flight. */
  window: number;
  /** The device reports progress after every `ackEvery` chunk messages. */
  ackEvery: number;
  /** Chunks also come on {p}deploys/{deployId}/chunk (group fan-out). */
  fanout: boolean;
}

export const MAX_MANIFEST_BYTES = 4096;
export const SIGNATURE_BYTES = 64;

export const offerSchema = {
  type: 'object',
  required: [
    'v',
    'deployId',
    'size',
    'chunkSize',
    'chunks',
    'mSize',
    'mChunks',
    'signed',
    'window',
    'ackEvery',
    'fanout',
  ],
  properties: {
    v,
    deployId,
    size: { type: 'integer', minimum: 1, maximum: 0xffffffff },
    chunkSize: { type: 'integer', minimum: 16, maximum: 65535 },
    chunks: { type: 'integer', minimum: 1, maximum: 0xffffffff },
    mSize: { type: 'integer', minimum: 2, maximum: MAX_MANIFEST_BYTES },
    mChunks: { type: 'integer', minimum: 1, maximum: 4096 },
    signed: { type: 'boolean' },
    window: { type: 'integer', minimum: 1, maximum: 64 },
    ackEvery: { type: 'integer', minimum: 1, maximum: 64 },
    fanout: { type: 'boolean' },
  },
};

export type Quantization = 'float32' | 'float16' | 'int8' | 'int16' | 'mixed';

/** What the model is; signed (Ed25519 over its exact bytes) when the deployer has a key. */
export interface Manifest extends ModelRef {
  v: 1;
  deployId: string;
  format: 'tflite';
  chunkSize: number;
  chunks: number;
  /** Planned tensor arena (src/runtime/memory.ts planArena), bytes. */
  arenaBytes: number;
  /** The arena TensorFlow Lite Micro needs (src/export/arena.ts), checked by "tflm" devices. */
  tflmArenaBytes?: number;
  /** Builtin ops the model uses. */
  ops: string[];
  quantization: Quantization;
  labels?: string[];
  inputScaling?: Record<string, number | number[]>;
  createdAt: number;
}

export const manifestSchema = {
  type: 'object',
  required: [
    'v',
    'deployId',
    'name',
    'version',
    'format',
    'size',
    'sha256',
    'chunkSize',
    'chunks',
    'arenaBytes',
    'ops',
    'quantization',
    'createdAt',
  ],
  properties: {
    ...modelRefSchema.properties,
    v,
    deployId,
    format: { const: 'tflite' },
    chunkSize: { type: 'integer', minimum: 16, maximum: 65535 },
    chunks: { type: 'integer', minimum: 1 },
    arenaBytes: count,
    tflmArenaBytes: count,
    ops: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 256 },
    quantization: { enum: ['float32', 'float16', 'int8', 'int16', 'mixed'] },
    labels: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 1024 },
    inputScaling: {
      type: 'object',
      additionalProperties: {
        anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }],
      },
    },
    createdAt: ts,
  },
};

export type TransferState =
  'receiving' | 'verifying' | 'testing' | 'active' | 'failed' | 'refused' | 'cancelled';

export const FINAL_STATES: readonly TransferState[] = ['active', 'failed', 'refused', 'cancelled'];

/** Stable reasons, so a deployer (or a dashboard) can act on them. */
export type ErrorCode =
  | 'E_PROTOCOL'
  | 'E_PACKET'
  | 'E_TOO_BIG'
  | 'E_ARENA'
  | 'E_OPS'
  | 'E_SIGNATURE'
  | 'E_MANIFEST'
  | 'E_SHA256'
  | 'E_LOAD'
  | 'E_SELFTEST'
  | 'E_STORAGE'
  | 'E_SUPERSEDED'
  | 'E_CANCELLED';

/** A device's acknowledgement and state of one transfer. */
export interface Progress {
  v: 1;
  deployId: string;
  state: TransferState;
  /** Lowest chunk index not held: every chunk below it is stored. */
  next: number;
  /** Chunks held. */
  have: number;
  /** One past the highest chunk index held (0 when none). */
  high: number;
  /** mChunks + chunks. */
  total: number;
  /** Up to 32 ascending indices in [next, high) that are not held. */
  missing?: number[];
  code?: ErrorCode;
  error?: string;
  /** sha256 the device computed over the received model (verifying and later). */
  sha256?: string;
  /** The model serving now: the old one until the new one is active. */
  serving: ModelRef | null;
  ts: number;
}

export const MAX_MISSING = 32;

export const progressSchema = {
  type: 'object',
  required: ['v', 'deployId', 'state', 'next', 'have', 'high', 'total', 'serving', 'ts'],
  properties: {
    v,
    deployId,
    state: {
      enum: ['receiving', 'verifying', 'testing', 'active', 'failed', 'refused', 'cancelled'],
    },
    next: count,
    have: count,
    high: count,
    total: count,
    missing: { type: 'array', items: count, maxItems: MAX_MISSING },
    code: { type: 'string', pattern: '^E_[A-Z0-9_]{1,30}$' },
    error: { type: 'string', maxLength: 1024 },
    sha256,
    serving: modelRefOrNull,
    ts,
  },
};

export type CommandName = 'rollback' | 'cancel' | 'status';

export interface Command {
  v: 1;
  cmd: CommandName;
  requestId: string;
  /** cancel: the transfer to cancel. */
  deployId?: string;
}

export const commandSchema = {
  type: 'object',
  required: ['v', 'cmd', 'requestId'],
  properties: {
    v,
    cmd: { enum: ['rollback', 'cancel', 'status'] },
    requestId: { type: 'string', minLength: 1, maxLength: 64 },
    deployId,
  },
};

export interface Reply {
  v: 1;
  requestId: string;
  cmd: CommandName;
  ok: boolean;
  error?: string;
  model: ModelRef | null;
  previous: ModelRef | null;
  ts: number;
}

export const replySchema = {
  type: 'object',
  required: ['v', 'requestId', 'cmd', 'ok', 'model', 'previous', 'ts'],
  properties: {
    v,
    requestId: { type: 'string', minLength: 1, maxLength: 64 },
    cmd: { enum: ['rollback', 'cancel', 'status'] },
    ok: { type: 'boolean' },
    error: { type: 'string', maxLength: 1024 },
    model: modelRefOrNull,
    previous: modelRefOrNull,
    ts,
  },
};

export interface InferRequest {
  v: 1;
  requestId?: string;
  /** One entry per model input (flat or nested), or a bare array for one input. */
  input: unknown[];
}

export const inferRequestSchema = {
  type: 'object',
  required: ['v', 'input'],
  properties: {
    v,
    requestId: { type: 'string', maxLength: 64 },
    input: { type: 'array', maxItems: 1 << 20 },
  },
};

export interface OutputTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: number[];
}

export type InferSource = 'mqtt' | 'stdin' | 'command' | 'sensor';

export interface InferResult {
  v: 1;
  deviceId: string;
  /** Present when the result answers an infer request. */
  requestId?: string;
  /**
   * Where the input came from: an MQTT request, stdin, a command, or the
   * device's own sensor (an input callback it polls).
   */
  source?: InferSource;
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
  required: ['v', 'deviceId', 'model', 'ts'],
  properties: {
    v,
    deviceId: id,
    requestId: { type: 'string', maxLength: 64 },
    source: { enum: ['mqtt', 'stdin', 'command', 'sensor'] },
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
    error: { type: 'string', maxLength: 1024 },
    ts,
  },
};

const validators = {
  status: ajv.compile<DeviceStatus>(deviceStatusSchema),
  offer: ajv.compile<Offer>(offerSchema),
  manifest: ajv.compile<Manifest>(manifestSchema),
  progress: ajv.compile<Progress>(progressSchema),
  command: ajv.compile<Command>(commandSchema),
  reply: ajv.compile<Reply>(replySchema),
  inferRequest: ajv.compile<InferRequest>(inferRequestSchema),
  inferResult: ajv.compile<InferResult>(inferResultSchema),
};

export type MessageKind = keyof typeof validators;

export type MessageOf = {
  status: DeviceStatus;
  offer: Offer;
  manifest: Manifest;
  progress: Progress;
  command: Command;
  reply: Reply;
  inferRequest: InferRequest;
  inferResult: InferResult;
};

/** The JSON Schema of each message, for docs and for other implementations. */
export const SCHEMAS: Record<MessageKind, object> = {
  status: deviceStatusSchema,
  offer: offerSchema,
  manifest: manifestSchema,
  progress: progressSchema,
  command: commandSchema,
  reply: replySchema,
  inferRequest: inferRequestSchema,
  inferResult: inferResultSchema,
};

/** Parses an MQTT payload as JSON and validates it as message `kind`. */
export function parseMessage<K extends MessageKind>(
  kind: K,
  payload: Buffer | Uint8Array | string,
): MessageOf[K] {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString());
  } catch {
    throw new ValidationError(`${kind} message is not valid JSON`);
  }
  return validateMessage(kind, value);
}

export function validateMessage<K extends MessageKind>(kind: K, value: unknown): MessageOf[K] {
  const validate = validators[kind] as unknown as ValidateFunction<MessageOf[K]>;
  return check(validate, value, kind);
}
