import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { num, positional, readBytes, str, UsageError, type Command } from '../args';
import { deploy as deployModel } from '../../fleet/deploy';
import { describeTarget, formatOutcome, type DeployTarget } from '../../fleet/targets';
import { DeployState } from '../../fleet/deploy-state';
import { connectBroker, endClient } from '../../fleet/mqtt';
import { loadPrivateKey } from '../../fleet/signing';
import { tlsFromFiles } from '../../fleet/tls';
import { isValidId } from '../../fleet/topics';
import { FleetError, ValidationError } from '../../errors';

function target(args: Parameters<Command['run']>[0]): DeployTarget {
  const device = str(args, 'device');
  const group = str(args, 'group');
  const all = Boolean(args.values.all);
  if ([device !== undefined, group !== undefined, all].filter(Boolean).length !== 1) {
    throw new UsageError('give exactly one of --device ID[,ID...], --group G or --all');
  }
  for (const id of [...(device ?? '').split(','), group ?? ''].filter(Boolean)) {
    if (!isValidId(id)) {
      throw new UsageError(`"${id}" is not a valid device or group id (letters, digits, _ . -)`);
    }
  }
  if (device !== undefined) {
    const ids = device.split(',').filter(Boolean);
    return ids.length === 1 ? { device: ids[0] } : { devices: ids };
  }
  return group !== undefined ? { group } : { all: true };
}

function shares(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const waves = text.split(',').map(Number);
  if (waves.some((w) => !(w > 0 && w <= 1)) || waves.some((w, i) => i > 0 && w <= waves[i - 1])) {
    throw new UsageError(`--waves "${text}" must be increasing shares in (0, 1], e.g. 0.1,1`);
  }
  return waves;
}

export const deploy: Command = {
  name: 'deploy',
  summary: 'deliver a .tflite over MQTT to a device, a group or all; exit 0 when every one runs it',
  usage:
    'tinyml deploy M.tflite --broker URL (--device ID[,ID...] | --group G | --all)\n' +
    '    [--key KEY.pem] [--waves 0.1,1] [--max-failures 0.25] [--timeout SECONDS]\n' +
    '    [--name N] [--version V] [--prefix tinyml/] [--window N] [--state STATE.json]\n' +
    '    [--username U] [--password P (or TINYML_MQTT_PASSWORD)] [--ca CA.pem] [--cert CERT.pem --cert-key KEY.pem] [--insecure]\n' +
    '  --key signs the manifest (Ed25519, from tinyml keygen); --waves is a staged rollout that stops\n' +
    '  when more than --max-failures of a wave fails; --state remembers the deployment until it ends, so\n' +
    '  the same command run again after an interruption continues it. Exit 0 when every target is active.',
  options: {
    broker: { type: 'string' },
    device: { type: 'string' },
    group: { type: 'string' },
    all: { type: 'boolean' },
    key: { type: 'string' },
    prefix: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    timeout: { type: 'string' },
    waves: { type: 'string' },
    'max-failures': { type: 'string' },
    window: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    'cert-key': { type: 'string' },
    insecure: { type: 'boolean' },
    state: { type: 'string' },
  },
  async run(args, io) {
    const path = positional(args, 0, 'M.tflite');
    const broker = str(args, 'broker', true)!;
    const to = target(args);
    const waves = shares(str(args, 'waves'));
    const maxFailureRate = num(args, 'max-failures');
    if (maxFailureRate !== undefined && !(maxFailureRate >= 0 && maxFailureRate <= 1)) {
      throw new UsageError(`--max-failures must be a share in [0, 1], got ${maxFailureRate}`);
    }
    const timeout = num(args, 'timeout', 120)!;
    if (!(timeout > 0)) throw new UsageError(`--timeout must be positive, got ${timeout}`);
    const window = num(args, 'window');
    if (window !== undefined && !(Number.isInteger(window) && window >= 1 && window <= 64)) {
      throw new UsageError(`--window must be an integer in [1, 64], got ${window}`);
    }
    const keyPath = str(args, 'key');
    let key;
    if (keyPath) {
      let pem: string;
      try {
        pem = readFileSync(keyPath, 'utf8');
      } catch (err) {
        throw new ValidationError(
          `cannot read --key ${keyPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      key = loadPrivateKey(pem, `--key ${keyPath}`);
    }
    const statePath = str(args, 'state');
    const state = statePath ? new DeployState(statePath) : undefined;
    const model = await readBytes(path);
    const tls = tlsFromFiles({
      ca: str(args, 'ca'),
      cert: str(args, 'cert'),
      key: str(args, 'cert-key'),
      insecure: Boolean(args.values.insecure),
    });
    const client = await connectBroker(broker, {
      ...tls,
      username: str(args, 'username'),
      password: str(args, 'password') ?? process.env.TINYML_MQTT_PASSWORD,
    });
    try {
      const result = await deployModel({
        client,
        model,
        target: to,
        prefix: str(args, 'prefix'),
        name: str(args, 'name'),
        version: str(args, 'version'),
        key,
        timeoutMs: timeout * 1000,
        waves,
        maxFailureRate,
        window,
        state,
        onEvent: (e) => {
          if (e.kind === 'resume')
            io.err(`continuing deployment ${e.deployId} saved in ${statePath}`);
          else if (e.kind === 'wave') {
            io.err(`wave ${e.index + 1}${e.late ? ' (joined late)' : ''}: ${e.devices.join(', ')}`);
          } else if (e.kind === 'stopped') io.err(e.reason);
          else if (e.kind === 'progress' && e.state !== 'receiving') {
            io.err(`${e.deviceId}: ${e.state} (${e.have}/${e.total} chunks)`);
          } else if (e.kind === 'progress' && e.have % 50 === 0) {
            io.err(`${e.deviceId}: ${e.have}/${e.total} chunks`);
          }
        },
      });
      for (const o of result.outcomes) io.out(formatOutcome(o));
      if (!result.ok) {
        const bad = result.outcomes.filter((o) => o.state !== 'active');
        throw new FleetError(
          `${bad.length} of ${result.outcomes.length} devices of ${describeTarget(to)} did not activate ${basename(path)}: ` +
            bad.map((o) => `${o.deviceId} ${o.state}${o.code ? ` ${o.code}` : ''}`).join(', '),
        );
      }
      io.err(
        `deployed ${result.model.name} ${result.model.version} (${result.model.sha256.slice(0, 12)}, ${result.model.size} bytes) to ${result.outcomes.length} devices in ${result.durationMs} ms`,
      );
      return 0;
    } finally {
      await endClient(client);
    }
  },
};
