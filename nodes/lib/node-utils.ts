/**
 * What every TinyML node shares: turning an engine error into a short red
 * status and done(err) (so a Catch node receives it with the message), and
 * reading a model's bytes from a message.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { isTinymlError, ValidationError } from '../../src/errors';

export type Done = (err?: Error) => void;

export function fail(node: Node, err: unknown, done: Done): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const text = error.message.length > 40 ? `${error.message.slice(0, 37)}...` : error.message;
  node.status({ fill: 'red', shape: 'ring', text: isTinymlError(error) ? text : 'internal error' });
  done(error);
}

/** The .tflite bytes of msg.payload (a Buffer, or a Uint8Array). */
export function modelBytes(msg: NodeMessage, what = 'msg.payload'): Uint8Array {
  const p = msg.payload;
  if (p instanceof Uint8Array) return p;
  throw new ValidationError(`${what} must be the .tflite model as a Buffer`);
}

export function parseJsonConfig(text: string | undefined, what: string): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * A typedInput property (str, num, flow, global, env, msg) as text; a
 * property saved before it had a type field is a literal string.
 */
export function typedText(
  RED: NodeAPI,
  node: Node,
  msg: NodeMessage,
  value: string | undefined,
  type: string | undefined,
): string {
  return String(RED.util.evaluateNodeProperty(value ?? '', type || 'str', node, msg) ?? '');
}
