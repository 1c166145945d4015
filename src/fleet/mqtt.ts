/**
 * MQTT helpers shared by the deployer, the device agent and the nodes:
 * connecting with a clear error when the broker is unreachable, and waiting
 * for a matching message with a timeout instead of hanging.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FleetError } from '../errors';

export type { MqttClient };

export function connectBroker(
  url: string,
  options: IClientOptions = {},
  timeoutMs = 10000,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    let client: MqttClient;
    try {
      client = mqtt.connect(url, { reconnectPeriod: 1000, connectTimeout: timeoutMs, ...options });
    } catch (err) {
      reject(new FleetError(`cannot connect to broker ${url}: ${(err as Error).message}`));
      return;
    }
    // Disable Nagle's algorithm on every (re)connection: the protocol is
    // request/response in small packets (chunk, acknowledgement), and Nagle
    // plus delayed ACKs (RFC 1122 §4.2.3.2, up to 500 ms; ~40 ms on Linux)
    // would stall each round trip.
    client.on('connect', () => {
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    });
    const timer = setTimeout(() => {
      cleanup();
      client.end(true);
      reject(new FleetError(`cannot connect to broker ${url}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onError = (err: Error) => {
      cleanup();
      client.end(true);
      reject(new FleetError(`cannot connect to broker ${url}: ${err.message}`));
    };
    function cleanup() {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}

/** Publishes and resolves when the broker acknowledged it (QoS 1) or it was sent (QoS 0). */
export function publish(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  options: { qos?: 0 | 1 | 2; retain?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(
      topic,
      payload,
      { qos: options.qos ?? 1, retain: options.retain ?? false },
      (err) =>
        err ? reject(new FleetError(`publish to ${topic} failed: ${err.message}`)) : resolve(),
    );
  });
}

export function subscribe(
  client: MqttClient,
  topics: string | string[],
  qos: 0 | 1 = 1,
): Promise<void> {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, { qos }, (err) =>
      err
        ? reject(new FleetError(`subscribe to ${String(topics)} failed: ${err.message}`))
        : resolve(),
    );
  });
}

export function unsubscribe(client: MqttClient, topics: string | string[]): Promise<void> {
  return new Promise((resolve) => {
    client.unsubscribe(topics, () => resolve());
  });
}

export function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}
