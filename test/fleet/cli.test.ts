/**
 * The fleet as a user runs it, on aedes and on Mosquitto: `tinyml keygen`,
 * two `tinyml device` processes (Raspberry Pi and ESP32 profiles, slots on
 * disk, the public key configured) and `tinyml deploy` to their group. A
 * signed deploy exits 0 with every device active; a device killed with
 * SIGKILL mid-transfer and started again resumes; an unsigned or too big
 * model is refused with its reason and exit 1; stdin inputs give results.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBroker, endClient, type MqttClient } from '../../src/fleet/mqtt';
import { parseMessage } from '../../src/fleet/messages';
import { FleetRegistry } from '../../src/fleet/registry';
import { Topics } from '../../src/fleet/topics';
import { sha256Hex } from '../../src/util/sha256';
import { ROOT } from '../helpers/paths';
import { forEachBroker } from './brokers';
import { sineModel } from './models';

const BIN = join(ROOT, 'bin', 'tinyml.js');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function tinyml(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

function startDevice(args: string[]): ChildProcess & { output: () => string } {
  const p = spawn(process.execPath, [BIN, 'device', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  }) as ChildProcess & { output: () => string };
  let output = '';
  p.stdout!.on('data', (d) => (output += d));
  p.stderr!.on('data', (d) => (output += d));
  p.output = () => output;
  return p;
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => p.once('exit', () => resolve()));
}

forEachBroker('tinyml deploy and tinyml device', (broker) => {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-fleet-cli-'));
  const procs: ChildProcess[] = [];
  let client: MqttClient;
  let registry: FleetRegistry;

  after(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map(exited));
    if (client) await endClient(client);
  });

  it('deploys a signed model to both profiles, survives a killed device, refuses bad models', async function () {
    this.timeout(90000);
    const url = broker().url;
    client = await connectBroker(url);
    registry = new FleetRegistry(client, new Topics());
    await registry.start();

    const keygen = await tinyml(['keygen', '--out', join(dir, 'keys')]);
    assert.equal(keygen.code, 0, keygen.err);
    const hex = keygen.out.trim();
    assert.match(hex, /^[0-9a-f]{64}$/);
    const key = join(dir, 'keys', 'tinyml.key');

    const device = (id: string, profile: string, pubkey: string, extra: string[] = []) => {
      const p = startDevice([
        '--broker',
        url,
        '--id',
        id,
        '--profile',
        profile,
        '--group',
        'cli',
        '--data',
        join(dir, id),
        '--pubkey',
        pubkey,
        ...extra,
      ]);
      procs.push(p);
      return p;
    };
    const pi = device('cli-pi', 'rpi', join(dir, 'keys', 'tinyml.pub'), ['--stdin']);
    let esp = device('cli-esp', 'esp32', hex);
    for (const id of ['cli-pi', 'cli-esp']) {
      assert.ok(await registry.waitFor(id, (s) => s.online, 20000), `${id} did not come online`);
    }

    const v1 = join(dir, 'v1.tflite');
    writeFileSync(v1, sineModel('1'));
    const first = await tinyml(['deploy', v1, '--broker', url, '--group', 'cli', '--key', key]);
    assert.equal(first.code, 0, first.err);
    const sha1 = sha256Hex(readFileSync(v1));
    assert.match(first.out, new RegExp(`cli-esp: active ${sha1}`));
    assert.match(first.out, new RegExp(`cli-pi: active ${sha1}`));

    // A bigger model; the ESP32 process is killed mid-transfer and started again on its disk.
    const v2 = join(dir, 'v2.tflite');
    writeFileSync(v2, sineModel('2', 40000, 9));
    const topics = new Topics();
    const midway = new Promise<void>((resolve) => {
      const on = (topic: string, payload: Buffer) => {
        if (topic !== topics.progress('cli-esp')) return;
        const p = parseMessage('progress', payload);
        if (p.state === 'receiving' && p.have >= 40) {
          client.off('message', on);
          resolve();
        }
      };
      client.on('message', on);
    });
    await client.subscribeAsync(topics.progress('cli-esp'));
    const second = tinyml(['deploy', v2, '--broker', url, '--group', 'cli', '--key', key]);
    await midway;
    esp.kill('SIGKILL');
    await exited(esp);
    await registry.waitFor('cli-esp', (s) => !s.online, 10000);
    esp = device('cli-esp', 'esp32', hex);
    const done = await second;
    assert.equal(done.code, 0, `${done.err}\n${esp.output()}`);
    const sha2 = sha256Hex(readFileSync(v2));
    assert.match(done.out, new RegExp(`cli-esp: active ${sha2}`));
    assert.match(done.out, new RegExp(`cli-pi: active ${sha2}`));

    // Unsigned: refused before anything is sent, one line, exit 1.
    const unsigned = await tinyml(['deploy', v1, '--broker', url, '--group', 'cli']);
    assert.equal(unsigned.code, 1);
    assert.match(
      unsigned.err,
      /^tinyml deploy: 2 of 2 devices .* cli-esp refused E_SIGNATURE, cli-pi refused E_SIGNATURE\n$/,
    );
    assert.match(
      unsigned.out,
      /cli-esp: refused E_SIGNATURE: device accepts only signed manifests/,
    );

    const huge = join(dir, 'huge.tflite');
    writeFileSync(huge, sineModel('big', 600 * 1024));
    const big = await tinyml([
      'deploy',
      huge,
      '--broker',
      url,
      '--device',
      'cli-esp',
      '--key',
      key,
    ]);
    assert.equal(big.code, 1);
    assert.match(big.out, /cli-esp: refused E_TOO_BIG: model of \d+ bytes does not fit/);

    for (const id of ['cli-pi', 'cli-esp']) {
      const s = await registry.waitFor(id, (st) => st.online && st.model?.sha256 === sha2, 5000);
      assert.ok(s, `${id} does not report the v2 model`);
    }

    // An input on the Raspberry Pi's stdin: the result is printed and published.
    const published = new Promise<unknown>((resolve) => {
      client.on('message', (topic, payload) => {
        if (topic === topics.results('cli-pi')) resolve(parseMessage('inferResult', payload));
      });
    });
    await client.subscribeAsync(topics.results('cli-pi'));
    pi.stdin!.write('[1.0]\n');
    const result = (await published) as { source: string; outputs: { data: number[] }[] };
    assert.equal(result.source, 'stdin');
    assert.ok(Math.abs(result.outputs[0].data[0] - 0.863) < 1e-3);
  });
});
