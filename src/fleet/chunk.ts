/**
 * The binary chunk of protocol v1: a 16-byte little-endian header, then the
 * data. Fixed offsets so a C device reads it with memcpy and no parser:
 *
 *   offset size field
 *   0      u8   version (1)
 *   1      u8   header length (16; a receiver skips a longer header)
 *   2      u16  data length (bytes after the header)
 *   4      u32  deploy id (the manifest's 8 hex digits as a number)
 *   8      u32  chunk index (manifest section first, then the model section)
 *   12     u32  CRC-32 (IEEE, as zlib) of the data
 *   16     ...  data
 *
 * The CRC lets a device drop a damaged chunk at once (it is then repaired
 * like a lost one) instead of learning of it from the sha256 at the end.
 */
import { crc32 } from './crc32';
import { ValidationError } from '../errors';

export const CHUNK_VERSION = 1;
export const CHUNK_HEADER_BYTES = 16;

export interface Chunk {
  deployId: string;
  index: number;
  data: Uint8Array;
}

export function deployIdNumber(deployId: string): number {
  return parseInt(deployId, 16) >>> 0;
}

export function encodeChunk(deployId: string, index: number, data: Uint8Array): Buffer {
  if (data.length > 0xffff) {
    throw new ValidationError(`chunk data of ${data.length} bytes exceeds 65535`);
  }
  const out = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + data.length);
  out.writeUInt8(CHUNK_VERSION, 0);
  out.writeUInt8(CHUNK_HEADER_BYTES, 1);
  out.writeUInt16LE(data.length, 2);
  out.writeUInt32LE(deployIdNumber(deployId), 4);
  out.writeUInt32LE(index >>> 0, 8);
  out.writeUInt32LE(crc32(data), 12);
  out.set(data, CHUNK_HEADER_BYTES);
  return out;
}

/** Decodes and checks a chunk; a damaged or foreign one is a ValidationError naming why. */
export function decodeChunk(payload: Uint8Array): Chunk {
  if (payload.length < CHUNK_HEADER_BYTES) {
    throw new ValidationError(
      `chunk of ${payload.length} bytes is shorter than the ${CHUNK_HEADER_BYTES}-byte header`,
    );
  }
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const version = b.readUInt8(0);
  if (version !== CHUNK_VERSION) {
    throw new ValidationError(`chunk version ${version}, expected ${CHUNK_VERSION}`);
  }
  const headerBytes = b.readUInt8(1);
  if (headerBytes < CHUNK_HEADER_BYTES) {
    throw new ValidationError(`chunk header length ${headerBytes} < ${CHUNK_HEADER_BYTES}`);
  }
  const length = b.readUInt16LE(2);
  if (headerBytes + length !== payload.length) {
    throw new ValidationError(
      `chunk says ${headerBytes}+${length} bytes, the message has ${payload.length}`,
    );
  }
  const data = payload.subarray(headerBytes);
  const crc = b.readUInt32LE(12);
  const actual = crc32(data);
  if (crc !== actual) {
    throw new ValidationError(
      `chunk CRC-32 is ${actual.toString(16).padStart(8, '0')}, header says ${crc.toString(16).padStart(8, '0')}`,
    );
  }
  return {
    deployId: b.readUInt32LE(4).toString(16).padStart(8, '0'),
    index: b.readUInt32LE(8),
    data,
  };
}
