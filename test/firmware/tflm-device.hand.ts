/**
 * The ESP32 firmware's model runtime (firmware/runtime/tm_tflm_runtime.cpp)
 * with TensorFlow Lite Micro, run inside the host device: the op resolver is
 * the one `tinyml export --symbol g_model` generates, the model arrives by
 * `tinyml deploy`, and results must equal the outputs TFLM's reference kernels
 * gave for the same inputs (test/fixtures/tflm-goldens) exactly.
 *
 * TFLM is not part of this project, so this suite is not in `npm test`: it
 * runs by hand (`npm run test:tflm`) with a host build of TFLM made outside
 * the project, named by TINYML_TFLM_DIR (libtflm.a, third_party/) and
 * TINYML_TFLM_SRC (the tflite-micro checkout it was built from); without
 * them it fails, saying so.
 */
import { strict as assert } from 'node:assert';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseMessage, type InferResult } from '../../src/fleet/messages';
import { connectBroker, endClient, subscribe, type MqttClient } from '../../src/fleet/mqtt';
import { Topics } from '../../src/fleet/topics';
import { readModel } from '../../src/tflite/reader';
import { ROOT, sharedModel } from '../helpers/paths';
import { startMosquitto, type TestBroker } from '../fleet/brokers';
import { nanModel } from '../fleet/models';
import { FIRMWARE_DIR, sanitizerEnv, SANITIZER_REPORT } from './host-build';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'tinyml.js');
const GOLDENS = join(ROOT, 'test', 'fixtures', 'tflm-goldens');
const TFLM_DIR = process.env.TINYML_TFLM_DIR;
const TFLM_SRC = process.env.TINYML_TFLM_SRC;
const topics = new Topics();
const ID = 'tflm-host-1';

interface Golden {
  runs: { inputs: number[][]; outputs: { shape: number[]; data: number[] }[] }[];
}

function deploy(broker: TestBroker, path: string) {
  return spawnSync(
    process.execPath,
    [BIN, 'deploy', path, '--broker', broker.url, '--device', ID, '--timeout', '60'],
    { encoding: 'utf8' },
  );
}

describe('firmware TFLite Micro runtime in the host device (needs a host TFLM build)', function () {
  this.timeout(240000);
  let broker: TestBroker;
  let device: ChildProcess;
  let log = '';
  let client: MqttClient;
  const results = new Map<string, InferResult>();
  const sensorResults: InferResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-fw-tflm-'));

  before(async function () {
    if (!TFLM_DIR || !TFLM_SRC) {
      throw new Error('set TINYML_TFLM_DIR and TINYML_TFLM_SRC to a host build of TFLite Micro');
    }
    // The op resolver and arena the firmware would get for hello_world (FULLY_CONNECTED).
    const exp = join(dir, 'export');
    const e = spawnSync(
      process.execPath,
      [BIN, 'export', sharedModel('hello_world_int8.tflite'), '--symbol', 'g_model', '--out', exp],
      { encoding: 'utf8' },
    );
    assert.equal(e.status, 0, e.stderr);
    const out = join(ROOT, 'dist', 'firmware', 'tflm');
    await run(
      'make',
      ['-C', join(FIRMWARE_DIR, 'host'), '-s', '-j2', `OUT=${out}`, 'SAN=1', `TFLM_DIR=${TFLM_DIR}`,
        `TFLM_SRC=${TFLM_SRC}`, `EXPORT_DIR=${exp}`, join(out, 'tinyml-host-device')],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    broker = await startMosquitto();
    device = spawn(
      join(out, 'tinyml-host-device'),
      ['--broker', broker.url, '--id', ID, '--data', join(dir, 'data'), '--max-packet', '1024',
        '--stdin-sensor', '1'],
      { env: sanitizerEnv },
    );
    device.stderr!.on('data', (d) => (log += d));
    client = await connectBroker(broker.url);
    client.on('message', (topic, payload) => {
      if (topic !== topics.results(ID)) return;
      const r = parseMessage('inferResult', payload);
      if (r.requestId === undefined) sensorResults.push(r);
      else results.set(r.requestId, r);
    });
    await subscribe(client, topics.results(ID));
  });

  after(async () => {
    if (!device) return;
    await endClient(client);
    device.kill('SIGTERM');
    const code = await new Promise((r) => device.on('close', r));
    await broker.stop();
    assert.doesNotMatch(log, SANITIZER_REPORT, log);
    assert.equal(code, 0, log);
  });

  async function infer(requestId: string, input: number[]): Promise<InferResult> {
    client.publish(topics.infer(ID), JSON.stringify({ v: 1, requestId, input }), { qos: 1 });
    const end = Date.now() + 10000;
    while (!results.has(requestId)) {
      if (Date.now() > end) throw new Error(`no result for ${requestId}:\n${log}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return results.get(requestId)!;
  }

  for (const name of ['hello_world_int8', 'hello_world_float']) {
    it(`${name}: deployed, then every golden input gives TFLM's output exactly`, async () => {
      const d = deploy(broker, sharedModel(`${name}.tflite`));
      assert.equal(d.status, 0, `${d.stdout}${d.stderr}\n${log}`);
      const golden = JSON.parse(readFileSync(join(GOLDENS, `real_${name}.json`), 'utf8')) as Golden;
      for (const [i, r] of golden.runs.entries()) {
        const result = await infer(`${name}-${i}`, r.inputs[0]);
        assert.equal(result.error, undefined);
        assert.deepEqual(result.outputs![0].shape, r.outputs[0].shape);
        // float32 travels as 9 significant digits, which round-trips exactly.
        assert.deepEqual(
          result.outputs![0].data.map((x) => Math.fround(x)),
          r.outputs[0].data.map((x) => Math.fround(x)),
        );
      }
    });
  }

  it('sensor readings are quantized with the input scale and zero point (TFLite spec)', async () => {
    const bytes = readFileSync(sharedModel('hello_world_int8.tflite'));
    const d = deploy(broker, sharedModel('hello_world_int8.tflite'));
    assert.equal(d.status, 0, `${d.stdout}${d.stderr}\n${log}`);
    const sg = readModel(new Uint8Array(bytes)).subgraphs[0];
    const qin = sg.tensors[sg.inputs[0]].quantization!;
    const qout = sg.tensors[sg.outputs[0]].quantization!;
    // TFLM's hello_world_test: for x near 0.77, 1.57, 2.3, 3.14 the dequantized output is within
    // 0.05 of sin(x). The reading x must run as q = round(x / scale) + zero_point would.
    for (const x of [0.77, 1.57, 2.3, 3.14]) {
      sensorResults.length = 0;
      device.stdin!.write(`[${x}]\n`);
      const end = Date.now() + 10000;
      while (sensorResults.length === 0) {
        if (Date.now() > end) throw new Error(`no sensor result for ${x}:\n${log}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const sensed = sensorResults[0];
      assert.equal(sensed.source, 'sensor');
      const q = Math.max(-128, Math.min(127, Math.round(x / qin.scale[0]) + qin.zeroPoint[0]));
      const raw = await infer(`raw-${q}`, [q]);
      assert.deepEqual(sensed.outputs![0].data, raw.outputs![0].data, `x=${x} (q=${q})`);
      const y = qout.scale[0] * (sensed.outputs![0].data[0] - qout.zeroPoint[0]);
      assert.ok(Math.abs(y - Math.sin(x)) <= 0.05, `x=${x}: ${y} vs sin ${Math.sin(x)}`);
    }
  });

  it('a model whose self-test gives NaN fails (E_SELFTEST) and the previous one serves on', async () => {
    const path = join(dir, 'nan.tflite');
    writeFileSync(path, nanModel('9'));
    const d = deploy(broker, path);
    assert.notEqual(d.status, 0);
    assert.match(d.stdout, /failed E_SELFTEST: self-test inference gave nan/);
    // 0 is a valid input of the int8 and the float model alike.
    const again = await infer('after-nan', [0]);
    assert.equal(again.error, undefined);
    assert.equal(again.outputs![0].dtype, 'int8'); // hello_world_int8, deployed last
  });
});
