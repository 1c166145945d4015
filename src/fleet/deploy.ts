/**
 * Delivers a model to one device: wait for its retained status (online, with
 * capabilities), check the model fits, send the manifest and the chunks with
 * QoS 1 one after another (each waits for the broker's PUBACK, so at most one
 * chunk is in flight), then wait for the device to report the new model
 * active (sha256 verified, loaded) or failed.
 */
import { randomBytes } from 'node:crypto';
import { parseMessage, type DeployState, type DeviceStatus, type Manifest } from './messages';
import { publish, subscribe, type MqttClient } from './mqtt';
import { Topics } from './topics';
import { sha256Hex } from '../util/sha256';
import { FleetError } from '../errors';

export interface DeployProgress {
  deviceId: string;
  phase: 'waiting' | 'sending' | 'verifying' | 'active' | 'failed';
  bytesSent: number;
  size: number;
  chunksSent: number;
  chunks: number;
}

export interface DeployRequest {
  client: MqttClient;
  deviceId: string;
  model: Uint8Array;
  name: string;
  version: string;
  prefix?: string;
  /** Upper bound of chunk payload bytes; the device's packet limit may lower it. */
  chunkSize?: number;
  timeoutMs?: number;
  onProgress?: (p: DeployProgress) => void;
}

export interface DeployOutcome {
  deviceId: string;
  deployId: string;
  state: 'active' | 'failed';
  sha256: string;
  size: number;
  chunks: number;
  bytesSent: number;
  durationMs: number;
  error?: string;
}

/** Bytes kept free in each packet for the MQTT fixed header, topic and packet id. */
const PACKET_OVERHEAD = 128;

export async function deployToDevice(req: DeployRequest): Promise<DeployOutcome> {
  const topics = new Topics(req.prefix);
  const { client, deviceId, model } = req;
  const timeoutMs = req.timeoutMs ?? 60000;
  const started = Date.now();
  const sha256 = sha256Hex(model);
  const deployId = randomBytes(6).toString('hex');

  let status: DeviceStatus | undefined;
  let finalState: DeployState | undefined;
  let wake: (() => void) | undefined;
  const onMessage = (topic: string, payload: Buffer) => {
    try {
      if (topic === topics.status(deviceId)) status = parseMessage('status', payload);
      else if (topic === topics.deployState(deviceId)) {
        const s = parseMessage('deployState', payload);
        if (s.deployId === deployId) {
          req.onProgress?.({
            deviceId,
            phase: s.state === 'receiving' ? 'sending' : s.state,
            bytesSent,
            size: model.length,
            chunksSent,
            chunks,
          });
          if (s.state === 'active' || s.state === 'failed') finalState = s;
        }
      } else return;
    } catch {
      return; // invalid messages are ignored, never acted upon
    }
    wake?.();
  };
  const until = async (cond: () => boolean, what: string) => {
    const deadline = started + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new FleetError(`device ${deviceId}: timed out ${what} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  let bytesSent = 0;
  let chunksSent = 0;
  let chunks = 0;
  client.on('message', onMessage);
  try {
    await subscribe(client, [topics.status(deviceId), topics.deployState(deviceId)]);
    req.onProgress?.({
      deviceId,
      phase: 'waiting',
      bytesSent,
      size: model.length,
      chunksSent,
      chunks,
    });
    await until(() => status?.online === true, 'waiting for the device to be online');
    const caps = status!.capabilities;
    if (caps && model.length > caps.flashBytes) {
      throw new FleetError(
        `device ${deviceId}: model of ${model.length} bytes does not fit its ${caps.flashBytes}-byte model storage; nothing was sent`,
      );
    }
    const packetLimit = caps ? caps.maxPacket - PACKET_OVERHEAD : Infinity;
    const chunkSize = Math.max(16, Math.min(req.chunkSize ?? 16384, packetLimit));
    chunks = Math.ceil(model.length / chunkSize);
    const manifest: Manifest = {
      deployId,
      name: req.name,
      version: req.version,
      sha256,
      size: model.length,
      format: 'tflite',
      chunkSize,
      chunks,
    };
    await publish(client, topics.deploy(deviceId), JSON.stringify(manifest));
    for (let i = 0; i < chunks; i++) {
      if (finalState) break; // the device gave up (e.g. refused the manifest)
      const part = model.subarray(i * chunkSize, Math.min(model.length, (i + 1) * chunkSize));
      await publish(client, topics.chunk(deviceId, deployId, i), Buffer.from(part));
      bytesSent += part.length;
      chunksSent++;
      req.onProgress?.({
        deviceId,
        phase: 'sending',
        bytesSent,
        size: model.length,
        chunksSent,
        chunks,
      });
    }
    await until(() => finalState !== undefined, 'waiting for the device to activate the model');
  } finally {
    // Subscriptions stay (they are not counted; a concurrent deploy may share them).
    client.off('message', onMessage);
  }
  const fin = finalState!;
  const outcome: DeployOutcome = {
    deviceId,
    deployId,
    state: fin.state === 'active' ? 'active' : 'failed',
    sha256,
    size: model.length,
    chunks,
    bytesSent,
    durationMs: Date.now() - started,
  };
  if (fin.state === 'active' && fin.sha256 !== sha256) {
    outcome.state = 'failed';
    outcome.error = `device reported sha256 ${fin.sha256}, expected ${sha256}`;
  }
  if (fin.error) outcome.error = fin.error;
  return outcome;
}
