/**
 * A deployer restart mid-transfer, on aedes and on Mosquitto: `tinyml
 * deploy --state FILE` is killed with SIGKILL while an ESP32-profile device
 * is receiving, then the same command runs again. It finds the saved
 * deployment, polls the device with the same deployId, and sends only what
 * the device does not hold: the device ends on the new model (never
 * without one), the deployer reports it active, and far fewer chunks are
 * sent than a full deploy needs. A damaged state file is one clear error.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployState } from '../../src/fleet/deploy-state';
import { chunkSizeFor } from '../../src/fleet/geometry';
import { Topics } from '../../src/fleet/topics';
import { sha256Hex } from '../../src/util/sha256';
import { ROOT } from '../helpers/paths';
import { forEachBroker } from './brokers';
import { TestFleet } from './harness';
import { sineModel } from './models';

const BIN = join(ROOT, 'bin', 'tinyml.js');
const v1 = sineModel('1');
/** ~43 KB: about 230 chunks of 192 bytes, long enough to be interrupted. */
const big = sineModel('3', 40000, 3);
const modelChunks = Math.ceil(big.length / chunkSizeFor(256, [new Topics().chunk('esp-1')]));

function tinyml(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
  return { child, done };
}

forEachBroker('deployer restart', (broker) => {
  let fleet: TestFleet;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyml-deployer-'));
    writeFileSync(join(dir, 'big.tflite'), big);
  });
  afterEach(async () => {
    await fleet?.stop();
  });
  const args = (state: string) => [
    'deploy',
    join(dir, 'big.tflite'),
    '--broker',
    broker().url,
    '--device',
    'esp-1',
    '--state',
    state,
    '--timeout',
    '60',
  ];

  it('a deployer killed mid-transfer continues where the device is when started again', async function () {
    this.timeout(60000);
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', preload: { bytes: v1, version: '1' } },
    ]);
    const device = fleet.device('esp-1');
    const state = join(dir, 'state', 'deploys.json');
    const first = tinyml(args(state));
    const cut = Math.floor(modelChunks / 2);
    while (device.stats.chunks < cut) {
      if (first.child.exitCode !== null)
        assert.fail(`deploy ended early: ${(await first.done).err}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    first.child.kill('SIGKILL');
    await first.done;
    // The old model serves meanwhile; the deployment is on disk.
    assert.equal(device.model?.sha256, sha256Hex(v1));
    const saved = await new DeployState(state).load();
    assert.equal(saved.length, 1);
    assert.equal(saved[0].sha256, sha256Hex(big));
    const receivedBefore = device.stats.chunks;

    const second = await tinyml(args(state)).done;
    assert.equal(second.code, 0, `${second.out}\n${second.err}`);
    assert.match(second.err, new RegExp(`continuing deployment ${saved[0].deployId} saved in`));
    const line = second.out.split('\n').find((l) => l.startsWith('esp-1: active'));
    assert.ok(line?.includes(sha256Hex(big)), second.out);
    const sent = Number(/\((\d+) chunks sent/.exec(line!)![1]);
    // A full deploy sends every chunk once at least; the restarted one sends
    // about what the device did not hold when the first was killed.
    assert.ok(sent < modelChunks - cut / 2, `${sent} chunks sent again, of ${modelChunks}`);
    const receivedAfter = device.stats.chunks - receivedBefore;
    assert.ok(receivedAfter < modelChunks - cut / 2, `the device received ${receivedAfter} again`);
    await fleet.assertServing([big]);
    assert.deepEqual(await new DeployState(state).load(), [], 'the ended deployment was kept');
  });

  it('a damaged state file is refused with one line naming it, and nothing is sent', async () => {
    fleet = await new TestFleet(broker()).start([
      { id: 'esp-1', profile: 'esp32', preload: { bytes: v1, version: '1' } },
    ]);
    const state = join(dir, 'deploys.json');
    writeFileSync(state, JSON.stringify({ v: 1, deployments: [{ deployId: 'xyz' }] }));
    const run = await tinyml(args(state)).done;
    assert.notEqual(run.code, 0);
    const lines = run.err.trim().split('\n');
    assert.equal(lines.length, 1, run.err);
    assert.match(lines[0], /deploy state file .*deploys\.json.*deployments\[0\]/);
    assert.doesNotMatch(run.err, /\n\s+at /, 'a stack trace');
    assert.equal(fleet.device('esp-1').stats.offers, 0);
    assert.equal(readFileSync(state, 'utf8').includes('xyz'), true, 'the file was rewritten');
    // A path that cannot be a file (under a regular file): one line as well.
    const unusable = await tinyml(args(join(dir, 'big.tflite', 'deploys.json'))).done;
    assert.notEqual(unusable.code, 0);
    assert.match(
      unusable.err.trim(),
      /^tinyml deploy: cannot read the deploy state file .*ENOTDIR/,
    );
    assert.equal(unusable.err.trim().split('\n').length, 1, unusable.err);
    assert.equal(fleet.device('esp-1').stats.offers, 0);
  });
});
