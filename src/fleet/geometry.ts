/**
 * Sizing messages to a device's packet limit. A device announces the largest
 * MQTT packet it accepts (caps.maxPacket, fixed header included: PubSubClient
 * on an ESP32 defaults to a 256-byte buffer for the whole packet, README
 * "Limitations"). A PUBLISH packet (MQTT 3.1.1 §3.3, MQTT 5 §3.3) is
 *
 *   1 byte type/flags + Remaining Length (variable byte integer, 1–4 bytes)
 *   + 2-byte topic length + topic + 2-byte packet id (QoS > 0)
 *   + property length (MQTT 5 only, ≥ 1 byte) + payload.
 *
 * We size for the worst case the broker may forward: QoS 1 and MQTT 5 with
 * an empty property list.
 */
import { CHUNK_HEADER_BYTES } from './chunk';

/** Bytes of MQTT's variable byte integer for `n` (MQTT 3.1.1 §2.2.3). */
export function varintBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16384) return 2;
  if (n < 2097152) return 3;
  return 4;
}

/** Size of the PUBLISH packet carrying `payloadBytes` on `topic`, QoS 1, MQTT 5 worst case. */
export function publishPacketBytes(topic: string, payloadBytes: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + 2 + 1 + payloadBytes;
  return 1 + varintBytes(remaining) + remaining;
}

/**
 * Chunk data size is a multiple of 16: ESP-IDF's esp_partition_write on an
 * encrypted partition needs 16-byte aligned writes, and aligned chunks keep
 * every chunk's flash offset aligned too.
 */
export const CHUNK_ALIGN = 16;
export const MIN_CHUNK = 16;
/** Default upper bound: large packets cost broker memory for every subscriber. */
export const DEFAULT_MAX_CHUNK = 16384;

/**
 * The largest aligned chunk whose packet fits `maxPacket` on the longest of
 * `topics`, capped at `cap`; 0 when not even MIN_CHUNK fits.
 */
export function chunkSizeFor(maxPacket: number, topics: string[], cap = DEFAULT_MAX_CHUNK): number {
  const topic = topics.reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a), '');
  let size = Math.min(cap, 65535) - (Math.min(cap, 65535) % CHUNK_ALIGN);
  // The varint length changes at most three times: shrink until it fits.
  while (size >= MIN_CHUNK && publishPacketBytes(topic, CHUNK_HEADER_BYTES + size) > maxPacket) {
    const over = publishPacketBytes(topic, CHUNK_HEADER_BYTES + size) - maxPacket;
    size -= Math.max(CHUNK_ALIGN, over + ((CHUNK_ALIGN - (over % CHUNK_ALIGN)) % CHUNK_ALIGN));
  }
  return size >= MIN_CHUNK ? size : 0;
}
