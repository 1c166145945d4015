/**
 * Request/response inference on a device: publish an infer request with a
 * fresh requestId and wait for the result that carries it back.
 */
import { randomUUID } from 'node:crypto';
import { parseMessage, type InferResult } from './messages';
import { publish, subscribe, type MqttClient } from './mqtt';
import { Topics } from './topics';
import { FleetError } from '../errors';

export async function inferOnDevice(
  client: MqttClient,
  topics: Topics,
  deviceId: string,
  input: unknown[],
  timeoutMs = 10000,
): Promise<InferResult> {
  const requestId = randomUUID();
  const resultsTopic = topics.results(deviceId);
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  const answer = new Promise<InferResult>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new FleetError(`device ${deviceId} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    onMessage = (topic, payload) => {
      if (topic !== resultsTopic) return;
      let result: InferResult;
      try {
        result = parseMessage('inferResult', payload);
      } catch {
        return;
      }
      if (result.requestId !== requestId) return;
      clearTimeout(timer);
      resolve(result);
    };
    client.on('message', onMessage);
  });
  try {
    await subscribe(client, resultsTopic);
    await publish(client, topics.infer(deviceId), JSON.stringify({ requestId, input }));
    return await answer;
  } finally {
    // The subscription stays: MQTT subscriptions are not counted, and another
    // request to the same device may be waiting on it.
    client.off('message', onMessage!);
  }
}
