/**
 * Commands and their replies, and inference requests and results
 * (docs/protocol.md §5.5, §5.6).
 */
import { deployId, id, modelRefOrNull, sha256, ts, v, type ModelRef } from './message-parts';

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
