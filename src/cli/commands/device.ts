import { str, UsageError, type Command } from '../args';
import { DeviceAgent } from '../../device/agent';
import { isValidId } from '../../fleet/topics';

export const device: Command = {
  name: 'device',
  summary: 'run a device agent (Raspberry Pi / Linux, or a simulated ESP32)',
  usage: 'tinyml device --broker URL --id ID [--profile rpi|esp32] [--group G] [--prefix tinyml/]',
  options: {
    broker: { type: 'string' },
    id: { type: 'string' },
    profile: { type: 'string' },
    group: { type: 'string' },
    prefix: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
  async run(args, io) {
    const id = str(args, 'id', true)!;
    if (!isValidId(id))
      throw new UsageError(`--id "${id}" is not a valid device id (letters, digits, _ . -)`);
    const group = str(args, 'group');
    if (group !== undefined && !isValidId(group))
      throw new UsageError(`--group "${group}" is not a valid group id`);
    const agent = new DeviceAgent({
      broker: str(args, 'broker', true)!,
      id,
      profile: str(args, 'profile'),
      group,
      prefix: str(args, 'prefix'),
      username: str(args, 'username'),
      password: str(args, 'password'),
      log: (line) => io.err(line),
    });
    await agent.start();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await agent.stop();
    return 0;
  },
};
