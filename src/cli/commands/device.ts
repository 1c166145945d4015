import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { num, str, UsageError, type Command } from '../args';
import { DeviceAgent } from '../../device/agent';
import { commandInputs, stdinInputs, type InputSource } from '../../device/inputs';
import { isValidId } from '../../fleet/topics';
import { tlsFromFiles } from '../../fleet/tls';
import { ValidationError } from '../../errors';

function readKey(value: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(value.trim())) return value.trim();
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new ValidationError(
      `cannot read --pubkey ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export const device: Command = {
  name: 'device',
  summary: 'run a device agent (Raspberry Pi / Linux, or a simulated ESP32)',
  usage:
    'tinyml device --broker URL --id ID [--profile rpi|esp32] [--group G] [--prefix tinyml/]\n' +
    '    [--data DIR] [--pubkey KEY.pub|HEX] [--stdin] [--input-cmd CMD --interval SECONDS]\n' +
    '    [--username U] [--password P (or TINYML_MQTT_PASSWORD)] [--ca CA.pem] [--cert CERT.pem --cert-key KEY.pem] [--insecure]\n' +
    '  --data keeps the model slots on disk (rpi default: ~/.tinyml/devices/ID; esp32: in memory);\n' +
    '  --pubkey accepts only manifests signed with the matching key; --stdin reads one JSON input\n' +
    '  array per line, --input-cmd runs a command every --interval seconds (default 5) for one.',
  options: {
    broker: { type: 'string' },
    id: { type: 'string' },
    profile: { type: 'string' },
    group: { type: 'string' },
    prefix: { type: 'string' },
    data: { type: 'string' },
    pubkey: { type: 'string' },
    stdin: { type: 'boolean' },
    'input-cmd': { type: 'string' },
    interval: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    'cert-key': { type: 'string' },
    insecure: { type: 'boolean' },
  },
  async run(args, io) {
    const id = str(args, 'id', true)!;
    if (!isValidId(id))
      throw new UsageError(`--id "${id}" is not a valid device id (letters, digits, _ . -)`);
    const group = str(args, 'group');
    if (group !== undefined && !isValidId(group))
      throw new UsageError(`--group "${group}" is not a valid group id`);
    const profile = str(args, 'profile') ?? 'rpi';
    if (profile !== 'rpi' && profile !== 'esp32') {
      throw new UsageError(`--profile must be rpi or esp32, got "${profile}"`);
    }
    const interval = num(args, 'interval', 5)!;
    if (!(interval > 0)) throw new UsageError(`--interval must be positive, got ${interval}`);
    const dataDir =
      str(args, 'data') ??
      (profile === 'rpi' ? join(homedir(), '.tinyml', 'devices', id) : undefined);
    const pubkey = str(args, 'pubkey');
    const log = (line: string) => io.err(line);
    const agent = new DeviceAgent({
      broker: str(args, 'broker', true)!,
      id,
      profile,
      group,
      prefix: str(args, 'prefix'),
      username: str(args, 'username'),
      password: str(args, 'password') ?? process.env.TINYML_MQTT_PASSWORD,
      mqtt: tlsFromFiles({
        ca: str(args, 'ca'),
        cert: str(args, 'cert'),
        key: str(args, 'cert-key'),
        insecure: Boolean(args.values.insecure),
      }),
      dataDir,
      publicKey: pubkey ? readKey(pubkey) : undefined,
      log,
    });
    await agent.start();
    const sources: InputSource[] = [];
    if (args.values.stdin) sources.push(stdinInputs(agent, process.stdin, io.out));
    const cmd = str(args, 'input-cmd');
    if (cmd) sources.push(commandInputs(agent, cmd, interval * 1000, log));
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    for (const s of sources) s.stop();
    // A piped stdin keeps the process alive after the agent stopped.
    if (args.values.stdin) process.stdin.destroy();
    await agent.stop();
    return 0;
  },
};
