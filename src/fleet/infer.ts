/**
 * Request/response inference on a device: the input goes to
 * {p}devices/{id}/infer with a fresh requestId, the answer is the result on
 * {p}devices/{id}/results that carries it back. When the registry knows the
 * device's packet limit, a request that would not fit is refused here
 * rather than silently dropped by the device.
 */
import { publishPacketBytes } from './geometry';
import { parseMessage, PROTOCOL_VERSION, type InferResult } from './messages';
import type { MqttClient } from './mqtt';
import type { FleetRegistry } from './registry';
import { request } from './request';
import type { Topics } from './topics';
import { FleetError } from '../errors';

export async function inferOnDevice(
  client: MqttClient,
  topics: Topics,
  deviceId: string,
  input: unknown[],
  timeoutMs = 10000,
  registry?: FleetRegistry,
): Promise<InferResult> {
  const caps = registry?.get(deviceId)?.caps;
  if (caps) {
    // requestId is a UUID: 36 characters plus its key.
    const body = JSON.stringify({ v: PROTOCOL_VERSION, input, requestId: '0'.repeat(36) });
    const bytes = publishPacketBytes(topics.infer(deviceId), Buffer.byteLength(body));
    if (bytes > caps.maxPacket) {
      throw new FleetError(
        `infer on ${deviceId}: the request makes a ${bytes}-byte packet; the device takes ${caps.maxPacket}`,
      );
    }
  }
  return request(
    client,
    { topic: topics.infer(deviceId), body: { v: PROTOCOL_VERSION, input } },
    topics.results(deviceId),
    (p) => parseMessage('inferResult', p),
    timeoutMs,
    `infer on device ${deviceId}`,
  );
}
