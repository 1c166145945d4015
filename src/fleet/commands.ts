/**
 * Commands to one device, answered on {p}devices/{id}/reply: roll back to
 * the model in the other slot, cancel a transfer, or report status.
 */
import { parseMessage, PROTOCOL_VERSION, type CommandName, type Reply } from './messages';
import type { MqttClient } from './mqtt';
import { request } from './request';
import type { Topics } from './topics';

export function sendCommand(
  client: MqttClient,
  topics: Topics,
  deviceId: string,
  cmd: CommandName,
  options: { deployId?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const body: Record<string, unknown> = { v: PROTOCOL_VERSION, cmd };
  if (options.deployId) body.deployId = options.deployId;
  return request(
    client,
    { topic: topics.cmd(deviceId), body },
    topics.reply(deviceId),
    (p) => parseMessage('reply', p),
    options.timeoutMs ?? 10000,
    `${cmd} on device ${deviceId}`,
  );
}
