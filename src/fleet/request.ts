/**
 * Request/response over MQTT with a correlation id: publish a request that
 * carries a fresh `requestId` and wait for the answer that carries it back,
 * with a timeout instead of hanging. PubSubClient speaks MQTT 3.1.1 only,
 * so the id travels in the JSON body rather than in MQTT 5's Correlation
 * Data property.
 */
import { randomUUID } from 'node:crypto';
import { publish, subscribe, type MqttClient } from './mqtt';
import { FleetError } from '../errors';

export async function request<T extends { requestId?: string }>(
  client: MqttClient,
  req: { topic: string; body: Record<string, unknown> },
  answerTopic: string,
  parse: (payload: Buffer) => T,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const requestId = randomUUID();
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<T>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new FleetError(`${what}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    onMessage = (topic, payload) => {
      if (topic !== answerTopic) return;
      let msg: T;
      try {
        msg = parse(payload);
      } catch {
        return; // invalid answers are ignored, never acted upon
      }
      if (msg.requestId === requestId) resolve(msg);
    };
    client.on('message', onMessage);
  });
  try {
    // The subscription stays: MQTT subscriptions are not counted, and another
    // request to the same device may be waiting on it.
    await subscribe(client, answerTopic, 1);
    await publish(client, req.topic, JSON.stringify({ ...req.body, requestId }));
    return await answer;
  } finally {
    clearTimeout(timer);
    client.off('message', onMessage!);
  }
}
