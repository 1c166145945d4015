/**
 * The pieces every fleet message schema shares (docs/protocol.md §5): the
 * protocol version, id and hash patterns, and the model reference. The
 * messages themselves are in status-message.ts, transfer-messages.ts and
 * control-messages.ts; messages.ts validates them.
 */
export const PROTOCOL_VERSION = 1;

export const v = { const: PROTOCOL_VERSION };
export const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
export const deployId = { type: 'string', pattern: '^[0-9a-f]{8}$' };
export const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
export const count = { type: 'integer', minimum: 0, maximum: 0xffffffff };
export const ts = { type: 'number' };

export interface ModelRef {
  name: string;
  version: string;
  sha256: string;
  size: number;
}

export const modelRefSchema = {
  type: 'object',
  required: ['name', 'version', 'sha256', 'size'],
  properties: {
    name: { type: 'string', maxLength: 128 },
    version: { type: 'string', maxLength: 64 },
    sha256,
    size: count,
  },
};

export const modelRefOrNull = { anyOf: [{ type: 'null' }, modelRefSchema] };
