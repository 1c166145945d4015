/**
 * The firmware's host build as a device on a real broker: tinyml-host-device
 * (the C protocol core, the POSIX platform layer, libmosquitto; built with
 * ASan/UBSan) on Mosquitto receives a model pushed by the `tinyml deploy`
 * command — the real deploy path, a child process, signed with a key from
 * `tinyml keygen` — through a network cut and through a power cut in the
 * middle of the transfer, and reports the model's sha256.
 *
 * Plainly: the host build runs no inference. It stores, verifies (sha256,
 * Ed25519, the flatbuffer's identifier) and activates models, and announces
 * caps.inference = "none"; inference on a device is the ESP32 firmware's
 * TensorFlow Lite Micro runtime (firmware/esp32, not buildable here).
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage, type DeviceStatus, type Progress } from '../../src/fleet/messages';
import { connectBroker, endClient, subscribe, type MqttClient } from '../../src/fleet/mqtt';
import { Topics } from '../../src/fleet/topics';
import { ROOT } from '../helpers/paths';
import { startMosquitto, type TestBroker } from '../fleet/brokers';
import { describeModel } from '../../src/fleet/model-info';
import { sineModel } from '../fleet/models';
import { buildHost, sanitizerEnv, SANITIZER_REPORT, type HostPrograms } from './host-build';
import { TcpProxy } from './tcp-proxy';

const BIN = join(ROOT, 'bin', 'tinyml.js');
const topics = new Topics();

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function tinyml(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

class HostDevice {
  log = '';
  private exited!: Promise<number | null>;
  private child!: ChildProcess;

  constructor(
    private readonly binary: string,
    readonly args: string[],
  ) {}

  start(): this {
    this.child = spawn(this.binary, this.args, { env: sanitizerEnv });
    this.child.stdout!.on('data', (d) => (this.log += d));
    this.child.stderr!.on('data', (d) => (this.log += d));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
    return this;
  }

  /** A power cut: no goodbye, the broker publishes the Last Will. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop: offline status, disconnect, exit 0 with no sanitizer report. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const code = await this.exited;
    assert.doesNotMatch(this.log, SANITIZER_REPORT, this.log);
    assert.equal(code, 0, `host device exited with ${code}:\n${this.log}`);
  }
}

/** Watches a device's retained status and progress reports on the broker. */
class Watcher {
  statuses: DeviceStatus[] = [];
  progress: Progress[] = [];
  private constructor(readonly client: MqttClient) {}

  static async start(url: string, id: string): Promise<Watcher> {
    const w = new Watcher(await connectBroker(url, { reconnectPeriod: 0 }));
    w.client.on('message', (topic, payload) => {
      if (topic === topics.status(id)) w.statuses.push(parseMessage('status', payload));
      if (topic === topics.progress(id)) w.progress.push(parseMessage('progress', payload));
    });
    await subscribe(w.client, [topics.status(id), topics.progress(id)], 1);
    return w;
  }

  async until<T>(what: string, get: () => T | undefined, timeoutMs = 20000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  online(): Promise<DeviceStatus> {
    return this.until('an online status', () => {
      const s = this.statuses.at(-1);
      return s?.online ? s : undefined;
    });
  }

  stop(): Promise<void> {
    return endClient(this.client);
  }
}

describe('firmware host device on Mosquitto, deployed to by `tinyml deploy`', function () {
  this.timeout(180000);
  let p: HostPrograms;
  let broker: TestBroker;
  let dir: string;
  let publicHex: string;
  let keyPath: string;
  // ~43 KB: about 230 chunks of 192 bytes at a 256-byte packet limit.
  const model = sineModel('7', 40000, 5);
  const modelSha = createHash('sha256').update(model).digest('hex');
  let modelPath: string;
  const devices: HostDevice[] = [];
  let watcher: Watcher | undefined;
  let proxy: TcpProxy | undefined;

  before(async () => {
    p = await buildHost();
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'tinyml-fw-host-'));
    modelPath = join(dir, 'sine-7.tflite');
    writeFileSync(modelPath, model);
    const keygen = await tinyml(['keygen', '--out', join(dir, 'keys')]).done;
    assert.equal(keygen.code, 0, keygen.err);
    publicHex = /[0-9a-f]{64}/.exec(keygen.out)![0];
    keyPath = join(dir, 'keys', 'tinyml.key');
  });
  afterEach(async () => {
    for (const d of devices.splice(0)) await d.stop();
    await watcher?.stop();
    watcher = undefined;
    await proxy?.stop();
    proxy = undefined;
  });
  after(async () => {
    await broker?.stop();
  });

  const device = (id: string, data: string, url: string) =>
    new HostDevice(p.device, [
      '--broker', url,
      '--id', id,
      '--data', data,
      '--max-packet', '256',
      '--ops', 'FULLY_CONNECTED',
      '--public-key', publicHex,
      '--reconnect-ms', '200',
    ]);

  const deploy = (id: string) =>
    tinyml(['deploy', modelPath, '--broker', broker.url, '--device', id, '--key', keyPath, '--timeout', '90']);

  it('receives the model through a network cut mid-transfer and reports its sha256', async () => {
    proxy = await new TcpProxy(broker.port).start();
    const id = 'esp-host-1';
    const data = join(dir, id);
    watcher = await Watcher.start(broker.url, id);
    const d = device(id, data, `mqtt://127.0.0.1:${proxy.port}`).start();
    devices.push(d);
    const status = await watcher.online();
    assert.equal((status.caps as unknown as { inference: string }).inference, 'none');
    assert.equal(status.caps!.maxPacket, 256);
    assert.equal(status.caps!.verify, 'ed25519');

    // Cut once about a third of the way through the model's ~48 KB of chunk traffic.
    proxy.cutAfter(16000);
    const run = await deploy(id).done;
    assert.equal(run.code, 0, `${run.out}\n${run.err}\n--- device:\n${d.log}`);
    assert.equal(proxy.cuts, 1, 'the connection was never cut');
    const line = run.out.split('\n').find((l) => l.startsWith(`${id}: active`));
    assert.ok(line, run.out);
    assert.ok(line.includes(modelSha), `${line} does not report ${modelSha}`);
    // Resumed, not restarted: far fewer chunks resent than a second transfer.
    const [, sent, resent] = /\((\d+) chunks sent, (\d+) resent/.exec(line)!.map(Number);
    assert.ok(resent < sent / 3, `${resent} of ${sent} chunks resent`);
    assert.match(d.log, /connection lost/);
    // One reconnect for one cut: the Last Will was published once, not in a reconnect storm.
    assert.equal((d.log.match(/host-device: connected/g) ?? []).length, 2, d.log);
    assert.equal(watcher.statuses.filter((s) => !s.online).length, 1);
    // The device's own report and its retained status name the model by its sha256.
    const active = watcher.progress.find((x) => x.state === 'active');
    assert.equal(active?.sha256, modelSha);
    const after = await watcher.until('the new model in the status', () =>
      watcher!.statuses.find((s) => s.online && s.model?.sha256 === modelSha),
    );
    assert.equal(after.model?.size, model.length);
    // What the slot holds is the model, byte for byte.
    assert.ok(readFileSync(join(data, 'slot-a.tflite')).equals(Buffer.from(model)));

    await d.stop();
    devices.pop();
    const offline = await watcher.until('the offline status', () => {
      const s = watcher!.statuses.at(-1);
      return s && !s.online ? s : undefined;
    });
    assert.equal(offline.id, id);
  });

  it('resumes from its saved state after a power cut mid-transfer', async () => {
    const id = 'esp-host-2';
    const data = join(dir, id);
    watcher = await Watcher.start(broker.url, id);
    const first = device(id, data, broker.url).start();
    await watcher.online();
    const running = deploy(id);
    const total = await watcher.until('a third of the chunks', () => {
      const x = watcher!.progress.at(-1);
      return x && x.have >= x.total / 3 ? x.total : undefined;
    });
    await first.kill();
    assert.doesNotMatch(first.log, SANITIZER_REPORT);
    const second = device(id, data, broker.url).start();
    devices.push(second);
    const run = await running.done;
    assert.equal(run.code, 0, `${run.out}\n${run.err}\n--- device:\n${first.log}\n${second.log}`);
    const line = run.out.split('\n').find((l) => l.startsWith(`${id}: active`))!;
    assert.ok(line.includes(modelSha), run.out);
    const resumed = /resuming transfer [0-9a-f]{8}: (\d+)\/(\d+) chunks held/.exec(second.log);
    assert.ok(resumed, second.log);
    assert.equal(Number(resumed[2]), total);
    assert.ok(Number(resumed[1]) >= total / 3 - 8, `only ${resumed[1]} chunks survived`);
    assert.ok(readFileSync(join(data, 'slot-a.tflite')).equals(Buffer.from(model)));
  });

  it("is checked against TFLite Micro's arena: one byte short is refused before anything is sent, the exact size taken", async () => {
    const small = sineModel('8');
    const smallPath = join(dir, 'sine-8.tflite');
    writeFileSync(smallPath, small);
    const { arenaBytes, tflmArenaBytes } = describeModel(small);
    const id = 'esp-host-3';
    watcher = await Watcher.start(broker.url, id);
    const withArena = (bytes: number) =>
      new HostDevice(p.device, [...device(id, join(dir, id), broker.url).args, '--arena', String(bytes)]);
    const short = withArena(tflmArenaBytes - 1).start();
    devices.push(short);
    const status = await watcher.online();
    assert.equal(status.caps!.runtime, 'tflm');
    // The planner's bytes alone would fit.
    assert.ok(arenaBytes <= status.caps!.arenaBytes);
    const args = ['deploy', smallPath, '--broker', broker.url, '--device', id, '--key', keyPath, '--timeout', '30'];
    const refused = await tinyml(args).done;
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out + refused.err, new RegExp(`${id}: refused E_ARENA.*needs a ${tflmArenaBytes}-byte tensor arena`));
    assert.equal(watcher.progress.length, 0, 'the device was sent an offer');
    await short.stop();
    devices.pop();
    watcher.statuses.length = 0;
    const exact = withArena(tflmArenaBytes).start();
    devices.push(exact);
    await watcher.online();
    const taken = await tinyml(args).done;
    assert.equal(taken.code, 0, `${taken.out}\n${taken.err}\n--- device:\n${exact.log}`);
    assert.match(taken.out, new RegExp(`${id}: active ${describeModel(small).sha256}`));
  });
});
