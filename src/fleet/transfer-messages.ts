/**
 * The messages of a model transfer (docs/protocol.md §5.2–5.4): the offer
 * that starts or polls it, the manifest inside its first chunks, and the
 * device's progress reports, with the transfer states and error codes.
 */
import {
  count,
  deployId,
  modelRefOrNull,
  modelRefSchema,
  sha256,
  ts,
  v,
  type ModelRef,
} from './message-parts';

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
