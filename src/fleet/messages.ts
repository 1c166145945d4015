/**
 * The JSON messages of fleet protocol v1 (docs/protocol.md): one place that
 * compiles their JSON Schemas and validates what either side receives (ajv);
 * a message that does not match is dropped and never acted upon. Unknown
 * fields are allowed, so a minor revision can add fields without breaking
 * older peers; a message of another major version (`v`) is refused. The
 * messages and their schemas are defined per family — status-message.ts,
 * transfer-messages.ts (offer, manifest, progress), control-messages.ts
 * (command, reply, inference) — and re-exported from here.
 */
import type { ValidateFunction } from 'ajv';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';
import {
  commandSchema,
  inferRequestSchema,
  inferResultSchema,
  replySchema,
  type Command,
  type InferRequest,
  type InferResult,
  type Reply,
} from './control-messages';
import { deviceStatusSchema, type DeviceStatus } from './status-message';
import {
  manifestSchema,
  offerSchema,
  progressSchema,
  type Manifest,
  type Offer,
  type Progress,
} from './transfer-messages';

export { PROTOCOL_VERSION, type ModelRef } from './message-parts';
export * from './status-message';
export * from './transfer-messages';
export * from './control-messages';

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
