/**
 * The device's retained status (docs/protocol.md §5.1): presence,
 * capabilities, the model it serves and its rollback target.
 */
import { count, id, modelRefOrNull, ts, type ModelRef } from './message-parts';

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
