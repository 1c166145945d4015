/**
 * Deploying a 100 KB model to 1, 10 and 100 devices of each profile over the
 * embedded broker, against the reference measured in the same run: a raw MQTT
 * publish of the same bytes, in the same chunk sizes (QoS 1), to the same
 * number of plain subscribers on the same broker, timed until every
 * subscriber has every byte.
 *
 * Columns: wall time of the deployment (offers, chunks, acknowledgements,
 * sha256, load and self-test on every device) and of the raw publish; bytes
 * the publisher's socket wrote, per model byte; and the ratios deploy / raw.
 * ESP32 devices also write flash at the simulated 80 KB/s, which alone takes
 * 100 KB / 80 KB/s = 1.25 s ("flash floor").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { table, type Benchmark } from './index';
import { startBroker } from '../src/fleet/broker';
import { DeviceAgent } from '../src/device/agent';
import { PROFILES } from '../src/device/profiles';
import { deploy } from '../src/fleet/deploy';
import { chunkSizeFor } from '../src/fleet/geometry';
import { connectBroker, endClient, subscribe, type MqttClient } from '../src/fleet/mqtt';
import { FleetRegistry } from '../src/fleet/registry';
import { Topics } from '../src/fleet/topics';
import { readModel } from '../src/tflite/reader';
import { writeModel } from '../src/tflite/writer';
import { setMetadata } from '../src/tflite/metadata';
import { mulberry32 } from '../src/model/random';

const MODEL_BYTES = 100 * 1024;
const COUNTS = [1, 10, 100];

/** TFLM's hello_world_float.tflite padded with seeded bytes to 100 KB (a real, loadable model). */
function model100k(): Uint8Array {
  const path = join(
    __dirname,
    '..',
    '..',
    'test',
    'fixtures',
    'models',
    'hello_world_float.tflite',
  );
  const model = readModel(new Uint8Array(readFileSync(path)));
  setMetadata(model, { name: 'bench', version: '1' });
  const base = writeModel(model).length;
  const rand = mulberry32(100);
  const pad = new Uint8Array(MODEL_BYTES - base - 64);
  for (let i = 0; i < pad.length; i++) pad[i] = Math.floor(rand() * 256);
  model.buffers.push({ data: pad });
  return writeModel(model);
}

function written(client: MqttClient): number {
  return (client.stream as unknown as Socket).bytesWritten ?? 0;
}

async function rawPublish(
  url: string,
  bytes: Uint8Array,
  chunkSize: number,
  subscribers: number,
): Promise<{ ms: number; bytes: number }> {
  const topic = 'bench/raw';
  const chunks = Math.ceil(bytes.length / chunkSize);
  const subs: MqttClient[] = [];
  let received = 0;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  for (let i = 0; i < subscribers; i++) {
    const c = await connectBroker(url, { clientId: `bench-raw-${i}` });
    c.on('message', () => {
      if (++received === chunks * subscribers) resolveAll();
    });
    await subscribe(c, topic, 1);
    subs.push(c);
  }
  const pub = await connectBroker(url, { clientId: 'bench-raw-pub' });
  const before = written(pub);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: chunks },
      (_, i) =>
        new Promise<void>((resolve, reject) =>
          pub.publish(
            topic,
            Buffer.from(bytes.subarray(i * chunkSize, (i + 1) * chunkSize)),
            { qos: 1 },
            (err) => (err ? reject(err) : resolve()),
          ),
        ),
    ),
  );
  await all;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const out = { ms, bytes: written(pub) - before };
  await endClient(pub);
  await Promise.all(subs.map((c) => endClient(c)));
  return out;
}

export const benchmark: Benchmark = {
  name: 'deploy',
  description: `deploy a ${MODEL_BYTES / 1024} KB model to 1, 10 and 100 devices vs a raw MQTT publish of the same bytes`,
  async run(log) {
    const broker = await startBroker(0);
    const bytes = model100k();
    const topics = new Topics();
    const rows: (string | number)[][] = [];
    try {
      for (const profile of ['rpi', 'esp32'] as const) {
        for (const n of COUNTS) {
          const group = `bench-${profile}-${n}`;
          const devices: DeviceAgent[] = [];
          for (let i = 0; i < n; i++) {
            devices.push(
              new DeviceAgent({ broker: broker.url, id: `${group}-${i}`, profile, group }),
            );
          }
          await Promise.all(devices.map((d) => d.start()));
          const client = await connectBroker(broker.url, { clientId: `bench-deployer-${group}` });
          client.setMaxListeners(0);
          const registry = new FleetRegistry(client, topics);
          for (const d of devices) await registry.waitFor(d.id, (s) => s.online, 10000);
          const before = written(client);
          const start = process.hrtime.bigint();
          const result = await deploy({
            client,
            registry,
            model: bytes,
            // An explicit list: no group discovery wait in the timing.
            target: n === 1 ? { device: devices[0].id } : { devices: devices.map((d) => d.id) },
          });
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          const sent = written(client) - before;
          const active = result.outcomes.filter((o) => o.state === 'active').length;
          const overflow = devices.reduce((s, d) => s + d.stats.overflow, 0);
          await endClient(client);
          await Promise.all(devices.map((d) => d.stop()));

          const raw = await rawPublish(broker.url, bytes, result.chunkSize, n);
          rows.push([
            profile,
            n,
            result.chunkSize,
            `${active}/${n}`,
            ms.toFixed(0),
            raw.ms.toFixed(0),
            (ms / raw.ms).toFixed(2),
            (sent / bytes.length).toFixed(3),
            (raw.bytes / bytes.length).toFixed(3),
            (sent / raw.bytes).toFixed(3),
            result.stats.chunkPublishes,
            overflow,
          ]);
        }
      }
    } finally {
      await broker.close();
    }
    const floor = ((bytes.length / (PROFILES.esp32.writeBps ?? 1)) * 1000).toFixed(0);
    log(
      `model ${bytes.length} bytes; aedes on loopback; chunk sizes from the profiles' packet limits ` +
        `(esp32: ${chunkSizeFor(256, [topics.chunk('bench-esp32-100-99'), topics.fanout('00000000')])} B); esp32 flash floor ${floor} ms`,
    );
    log('');
    log(
      table(
        [
          'profile',
          'devices',
          'chunk B',
          'active',
          'deploy ms',
          'raw ms',
          'time ×raw',
          'sent/model',
          'raw/model',
          'bytes ×raw',
          'chunk pubs',
          'overflow',
        ],
        rows,
      ),
    );
    log('');
    log(
      'sent/model: bytes the deployer wrote per model byte (offers, manifest, chunk headers, repairs, MQTT framing);' +
        ' raw/model: the same for the raw publish; chunk pubs: chunk publishes of the deployment (fan-out: ~one per chunk whatever the device count).',
    );
  },
};
