import { basename } from 'node:path';
import { num, positional, readBytes, str, UsageError, type Command } from '../args';
import { deployToDevice } from '../../fleet/deploy';
import { connectBroker, endClient } from '../../fleet/mqtt';
import { isValidId } from '../../fleet/topics';
import { readModel } from '../../tflite/reader';
import { readMetadata } from '../../tflite/metadata';
import { FleetError, NotImplementedError } from '../../errors';

export const deploy: Command = {
  name: 'deploy',
  summary: 'deliver a .tflite to a device over MQTT and wait for it to be active',
  usage:
    'tinyml deploy M.tflite --broker URL --device ID [--prefix tinyml/] [--name N] [--version V] [--timeout SECONDS]',
  options: {
    broker: { type: 'string' },
    device: { type: 'string' },
    group: { type: 'string' },
    key: { type: 'string' },
    prefix: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    timeout: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
  async run(args, io) {
    const path = positional(args, 0, 'M.tflite');
    const broker = str(args, 'broker', true)!;
    if (str(args, 'group') || str(args, 'key')) {
      throw new NotImplementedError(
        '--group and --key are not implemented yet (fleet issue); deploy to one --device',
      );
    }
    const deviceId = str(args, 'device', true)!;
    if (!isValidId(deviceId))
      throw new UsageError(`--device "${deviceId}" is not a valid device id`);
    const model = await readBytes(path);
    const meta = readMetadata(readModel(model));
    const client = await connectBroker(broker, {
      username: str(args, 'username'),
      password: str(args, 'password'),
    });
    try {
      let lastPct = -1;
      const outcome = await deployToDevice({
        client,
        deviceId,
        model,
        name: str(args, 'name') ?? meta?.name ?? basename(path, '.tflite'),
        version: str(args, 'version') ?? meta?.version ?? '1',
        prefix: str(args, 'prefix'),
        timeoutMs: (num(args, 'timeout', 60) ?? 60) * 1000,
        onProgress: (p) => {
          const pct = p.size ? Math.floor((p.bytesSent / p.size) * 10) * 10 : 0;
          if (p.phase === 'sending' && pct !== lastPct) {
            lastPct = pct;
            io.err(
              `${p.deviceId}: sent ${p.bytesSent}/${p.size} bytes (${p.chunksSent}/${p.chunks} chunks)`,
            );
          } else if (p.phase !== 'sending') io.err(`${p.deviceId}: ${p.phase}`);
        },
      });
      if (outcome.state !== 'active') {
        throw new FleetError(`device ${deviceId} failed: ${outcome.error ?? 'unknown error'}`);
      }
      io.out(
        `${deviceId}: active ${outcome.sha256} (${outcome.size} bytes, ${outcome.chunks} chunks, ${outcome.durationMs} ms)`,
      );
      return 0;
    } finally {
      await endClient(client);
    }
  },
};
