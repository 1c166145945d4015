/**
 * The C device core's state machine (firmware/core/tm_device.c), run through
 * the host simulator with the POSIX platform layer under ASan/UBSan, fed the
 * messages the real deployer builds (src/fleet/bundle.ts: offers, signed
 * manifests, CRC-checked chunks). Every message the device publishes is
 * validated with the protocol's JSON Schemas, and each case mirrors a rule
 * of the Node.js device (src/device/core.ts): A/B slots, resume after a power
 * cut, signatures, sha256, refusals, rollback, cancel, fan-out.
 */
import { strict as assert } from 'node:assert';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bundle } from '../../src/fleet/bundle';
import { encodeChunk, decodeChunk } from '../../src/fleet/chunk';
import { chunkSizeFor } from '../../src/fleet/geometry';
import { describeModel } from '../../src/fleet/model-info';
import { parseMessage, type DeviceStatus, type Progress, type Reply } from '../../src/fleet/messages';
import { generateSigningKeys, loadPrivateKey } from '../../src/fleet/signing';
import { Topics } from '../../src/fleet/topics';
import { mulberry32 } from '../../src/model/random';
import { sineModel } from '../fleet/models';
import { buildHost, type HostPrograms } from './host-build';
import { Sim, type SimOutput } from './sim';

const ID = 'esp-c';
const topics = new Topics();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Seen {
  progress: Progress[];
  status: DeviceStatus[];
  replies: Reply[];
}

/** Parses (and so validates) everything the device published. */
function seen(out: SimOutput): Seen {
  const s: Seen = { progress: [], status: [], replies: [] };
  for (const p of out.published) {
    const kind = topics.kindOf(p.topic);
    assert.equal(topics.deviceOf(p.topic), ID, `published on ${p.topic}`);
    if (kind === 'progress') s.progress.push(parseMessage('progress', p.payload));
    else if (kind === 'status') s.status.push(parseMessage('status', p.payload));
    else if (kind === 'reply') s.replies.push(parseMessage('reply', p.payload));
    else if (kind === 'results') parseMessage('inferResult', p.payload);
    else assert.fail(`unexpected publish on ${p.topic}`);
  }
  return s;
}

function merge(outs: SimOutput[]): SimOutput {
  return {
    published: outs.flatMap((o) => o.published),
    subscribed: outs.flatMap((o) => o.subscribed),
    unsubscribed: outs.flatMap((o) => o.unsubscribed),
    other: outs.flatMap((o) => o.other),
  };
}

function bundle(
  model: Uint8Array,
  deployId: string,
  opts: { key?: KeyObject; fanout?: boolean; window?: number } = {},
): Bundle {
  const chunkTopics = [topics.chunk(ID)];
  if (opts.fanout) chunkTopics.push(topics.fanout(deployId));
  return new Bundle({
    deployId,
    model,
    info: describeModel(model),
    chunkSize: chunkSizeFor(256, chunkTopics),
    window: opts.window ?? 8,
    fanout: opts.fanout ?? false,
    key: opts.key,
  });
}

async function offer(sim: Sim, b: Bundle): Promise<SimOutput> {
  return sim.msg(topics.offer(ID), JSON.stringify(b.offer));
}

/** Offers, then sends chunks `indices` (default: all, in order); everything the device said. */
async function deliver(sim: Sim, b: Bundle, indices?: number[]): Promise<SimOutput> {
  const outs = [await offer(sim, b)];
  for (const i of indices ?? [...Array(b.total).keys()]) {
    outs.push(await sim.msg(topics.chunk(ID), b.chunk(i)));
  }
  return merge(outs);
}

function last(progress: Progress[]): Progress {
  assert.ok(progress.length > 0, 'the device reported no progress');
  return progress[progress.length - 1];
}

describe('firmware device core (C state machine, host sim under ASan/UBSan)', function () {
  this.timeout(120000);
  let p: HostPrograms;
  const keys = generateSigningKeys();
  const key = loadPrivateKey(keys.privatePem);
  const otherKey = loadPrivateKey(generateSigningKeys().privatePem);
  const v1 = sineModel('1');
  const v2 = sineModel('2', 3000, 2);
  const ops = describeModel(v1).ops.join(',');
  let sim: Sim | undefined;
  let dir: string;

  before(async () => {
    p = await buildHost();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyml-fw-sim-'));
  });
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  const start = async (extra: string[] = []) => {
    sim = await Sim.start(p.sim, ['--id', ID, '--data', dir, '--max-packet', '256', '--ops', ops, ...extra]);
    return sim;
  };
  const withKey = ['--public-key', keys.publicHex];

  it('announces itself: status with caps (inference "none") and a Last Will that says offline', async () => {
    const s = await start([...withKey, '--group', 'line-1']);
    const out = await s.send('connect');
    assert.deepEqual(
      out.subscribed.map((x) => `${x.topic}@${x.qos}`).sort(),
      [`${topics.chunk(ID)}@0`, `${topics.cmd(ID)}@1`, `${topics.infer(ID)}@1`, `${topics.offer(ID)}@1`],
    );
    const status = seen(out).status[0];
    assert.equal(out.published[0].retain, true);
    assert.equal(status.online, true);
    assert.deepEqual(
      { ...status.caps, ops: status.caps!.ops },
      {
        maxPacket: 256,
        arenaBytes: 102400,
        flashBytes: 524288,
        slots: 2,
        window: 8,
        ops: ops.split(','),
        verify: 'ed25519',
        runtime: 'tflm',
        inference: 'none',
      },
    );
    assert.equal(status.model, null);
    const will = (await s.send('will')).other[0].split(' ');
    assert.equal(will[1], topics.status(ID));
    const w = parseMessage('status', will[2]);
    assert.equal(w.online, false);
    // It names the group, so a group deploy can report the member offline.
    assert.equal(w.group, 'line-1');
    assert.equal(status.group, 'line-1');
  });

  it('receives a signed model into slot a, verifies it, reports the sha256 and serves it', async () => {
    const s = await start(withKey);
    const b = bundle(v1, '0000a001', { key });
    const out = await deliver(s, b);
    const { progress, status } = seen(out);
    assert.equal(progress[0].state, 'receiving');
    assert.deepEqual(
      progress.slice(-3).map((x) => x.state),
      ['verifying', 'testing', 'active'],
    );
    const done = last(progress);
    assert.equal(done.sha256, sha(v1));
    assert.equal(done.have, b.total);
    assert.equal(done.serving?.sha256, sha(v1));
    assert.equal(status.at(-1)!.model?.sha256, sha(v1));
    // Acknowledgements came every ackEvery chunks, as the offer asked.
    const receiving = progress.filter((x) => x.state === 'receiving');
    assert.ok(receiving.length >= Math.floor(b.total / b.offer.ackEvery));
    assert.ok(readFileSync(join(dir, 'slot-a.tflite')).subarray(0, v1.length).equals(Buffer.from(v1)));
  });

  it('takes chunks in any order, counts duplicates, damaged and foreign ones, lists what is missing', async () => {
    const s = await start();
    const b = bundle(v2, '0000a002', { window: 8 });
    const rand = mulberry32(3);
    const order = [...Array(b.total).keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    // The manifest first, then the model shuffled, holding two chunks back.
    const manifestChunks = order.filter((i) => i < b.offer.mChunks);
    const modelChunks = order.filter((i) => i >= b.offer.mChunks);
    const held = modelChunks.slice(0, 2);
    await deliver(s, b, [...manifestChunks, ...modelChunks.slice(2)]);
    await s.msg(topics.chunk(ID), b.chunk(order[5])); // duplicate
    const good = decodeChunk(b.chunk(held[0]));
    const damaged = Buffer.from(b.chunk(held[0]));
    damaged[20] ^= 1; // CRC no longer matches
    await s.msg(topics.chunk(ID), damaged);
    await s.msg(topics.chunk(ID), encodeChunk('0badcafe', held[0], good.data)); // another transfer's
    const poll = seen(await offer(s, b)).progress[0]; // a repeated offer is a poll
    assert.equal(poll.state, 'receiving');
    assert.deepEqual(poll.missing, [...held].sort((x, y) => x - y).filter((i) => i < poll.high));
    assert.equal(poll.have, b.total - 2);
    const stats = JSON.parse((await s.send('stats')).other[0].slice(6));
    assert.equal(stats.duplicates, 1);
    assert.equal(stats.damaged, 1);
    assert.equal(stats.foreign, 1);
    const end = seen(merge([await s.msg(topics.chunk(ID), b.chunk(held[0])), await s.msg(topics.chunk(ID), b.chunk(held[1]))]));
    assert.equal(last(end.progress).state, 'active');
    assert.equal(last(end.progress).sha256, sha(v2));
  });

  it('resumes after a power cut from the saved bitmap: only the missing chunks are needed', async () => {
    const s = await start(withKey);
    const b = bundle(v2, '0000a003', { key });
    const half = Math.floor(b.total / 2);
    await deliver(s, b, [...Array(half).keys()]);
    await s.send('reboot'); // RAM gone; slots and records stay
    const boot = seen(await s.send('connect'));
    assert.equal(boot.status[0].model, null);
    const poll = seen(await offer(s, b)).progress[0];
    assert.equal(poll.state, 'receiving');
    // What was acknowledged before the cut is still held (reports are saved every ackEvery chunks).
    assert.ok(poll.have >= half - b.offer.ackEvery && poll.have <= half, `${poll.have} of ${half}`);
    const rest = [...Array(b.total).keys()].filter((i) => i >= poll.next);
    const outs: SimOutput[] = [];
    for (const i of rest) outs.push(await s.msg(topics.chunk(ID), b.chunk(i)));
    const end = seen(merge(outs));
    assert.equal(last(end.progress).state, 'active');
    assert.equal(last(end.progress).sha256, sha(v2));
  });

  it('answers a poll after a reboot with the final reports it saved, not with a new transfer', async () => {
    const s = await start(withKey);
    const b = bundle(v2, '0000a00a', { key });
    const done = seen(await deliver(s, b));
    assert.equal(last(done.progress).state, 'active');
    const refusedOffer = { ...bundle(v2, '0000a00b').offer };
    const refusal = seen(await s.msg(topics.offer(ID), JSON.stringify(refusedOffer))).progress[0];
    assert.equal(refusal.code, 'E_SIGNATURE');
    await s.send('reboot'); // RAM gone; slots and records stay
    seen(await s.send('connect'));
    const poll = seen(await offer(s, b)).progress;
    assert.equal(poll.length, 1);
    assert.equal(poll[0].state, 'active', JSON.stringify(poll[0]));
    assert.equal(poll[0].sha256, sha(v2));
    assert.equal(poll[0].have, b.total);
    assert.equal(poll[0].serving?.sha256, sha(v2));
    const again = seen(await s.msg(topics.offer(ID), JSON.stringify(refusedOffer))).progress;
    assert.deepEqual(
      again.map((x) => [x.state, x.code, x.error]),
      [['refused', 'E_SIGNATURE', refusal.error]],
    );
    // No transfer was started again: a late chunk of it is foreign.
    const late = seen(await s.msg(topics.chunk(ID), b.chunk(0)));
    assert.equal(late.progress.length, 0);
    const stats = JSON.parse((await s.send('stats')).other[0].slice(6));
    assert.equal(stats.foreign, 1, JSON.stringify(stats));
  });

  it('refuses a manifest signed with another key and keeps serving the old model untouched', async () => {
    const s = await start(withKey);
    await deliver(s, bundle(v1, '0000b001', { key }));
    const out = seen(await deliver(s, bundle(v2, '0000b002', { key: otherKey })));
    const refused = last(out.progress);
    assert.equal(refused.state, 'refused');
    assert.equal(refused.code, 'E_SIGNATURE');
    assert.equal(refused.serving?.sha256, sha(v1));
    // Unsigned: refused at the offer, before any chunk.
    const unsigned = seen(await offer(s, bundle(v2, '0000b003')));
    assert.equal(unsigned.progress[0].state, 'refused');
    assert.equal(unsigned.progress[0].code, 'E_SIGNATURE');
    assert.equal(JSON.parse((await s.send('model')).other[0].slice(6)).sha256, sha(v1));
  });

  it('fails on a sha256 mismatch (a chunk altered with a valid CRC) and the old model serves on', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '0000c001'));
    const b = bundle(v2, '0000c002');
    const victim = b.offer.mChunks + 3;
    const data = Buffer.from(decodeChunk(b.chunk(victim)).data);
    data[0] ^= 0xff;
    const indices = [...Array(b.total).keys()].filter((i) => i !== victim);
    await deliver(s, b, indices);
    const out = seen(await s.msg(topics.chunk(ID), encodeChunk(b.offer.deployId, victim, data)));
    const failed = last(out.progress);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.code, 'E_SHA256');
    assert.notEqual(failed.sha256, sha(v2));
    assert.equal(failed.serving?.sha256, sha(v1));
    assert.equal(out.status.at(-1)!.model?.sha256, sha(v1));
  });

  it('fails to load what is not a TFLite flatbuffer (E_LOAD), and refuses what it cannot take', async () => {
    const s = await start();
    const junk = Buffer.alloc(3000, 7);
    const b = new Bundle({
      deployId: '0000d001',
      model: junk,
      info: { ...describeModel(v1), size: junk.length, sha256: sha(junk) },
      chunkSize: chunkSizeFor(256, [topics.chunk(ID)]),
      window: 8,
      fanout: false,
    });
    const failed = last(seen(await deliver(s, b)).progress);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.code, 'E_LOAD');
    assert.match(failed.error!, /TFL3/);

    const info = describeModel(v1);
    const refusals: [string, Partial<typeof info>, number][] = [
      ['E_OPS', { ops: ['FULLY_CONNECTED', 'CONV_2D'] }, 192],
      ['E_ARENA', { tflmArenaBytes: 200000 }, 192],
      // A manifest without tflmArenaBytes (an older deployer): the planner's bytes are checked.
      ['E_ARENA', { arenaBytes: 200000, tflmArenaBytes: undefined }, 192],
    ];
    for (const [n, [code, change, chunkSize]] of refusals.entries()) {
      const deployId = `0000d0${n + 10}`;
      const r = new Bundle({ deployId, model: v1, info: { ...info, ...change }, chunkSize, window: 8, fanout: false });
      const out = last(seen(await deliver(s, r)).progress);
      assert.equal(out.state, 'refused');
      assert.equal(out.code, code, out.error);
    }
    const tooBigChunk = bundle(v1, '0000d004');
    const big = seen(await s.msg(topics.offer(ID), JSON.stringify({ ...tooBigChunk.offer, chunkSize: 256, chunks: Math.ceil(v1.length / 256), mChunks: Math.ceil(tooBigChunk.offer.mSize / 256) })));
    assert.equal(big.progress[0].code, 'E_PACKET');
    const huge = seen(await s.msg(topics.offer(ID), JSON.stringify({ ...tooBigChunk.offer, deployId: '0000d005', size: 600000, chunks: Math.ceil(600000 / tooBigChunk.offer.chunkSize) })));
    assert.equal(huge.progress[0].code, 'E_TOO_BIG');
    assert.equal(JSON.parse((await s.send('model')).other[0].slice(6)), null);
  });

  it('rolls back to the other slot on command, and forward again', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '0000e001'));
    await deliver(s, bundle(v2, '0000e002'));
    const cmd = (c: string, requestId: string) =>
      s.msg(topics.cmd(ID), JSON.stringify({ v: 1, cmd: c, requestId }));
    const back = seen(await cmd('rollback', 'r1'));
    assert.equal(back.replies[0].ok, true);
    assert.equal(back.replies[0].model?.sha256, sha(v1));
    assert.equal(back.replies[0].previous?.sha256, sha(v2));
    assert.equal(back.status.at(-1)!.model?.sha256, sha(v1));
    const forward = seen(await cmd('rollback', 'r2'));
    assert.equal(forward.replies[0].model?.sha256, sha(v2));
    const status = seen(await cmd('status', 'r3')).replies[0];
    assert.equal(status.ok, true);
    assert.equal(status.requestId, 'r3');
  });

  it("checks TFLite Micro's arena (the manifest's tflmArenaBytes), not the planner's, at the byte boundary", async () => {
    const info = describeModel(v1);
    // The planner's bytes alone would fit; TFLM's persistent structures do not.
    assert.ok(info.arenaBytes < info.tflmArenaBytes - 1, `${info.arenaBytes} vs ${info.tflmArenaBytes}`);
    const short = await start(['--arena', String(info.tflmArenaBytes - 1)]);
    const refused = last(seen(await deliver(short, bundle(v1, '0000a101'))).progress);
    assert.equal(refused.state, 'refused');
    assert.equal(refused.code, 'E_ARENA');
    assert.match(refused.error!, new RegExp(`needs a ${info.tflmArenaBytes}-byte arena`));
    await short.stop();
    dir = mkdtempSync(join(tmpdir(), 'tinyml-fw-sim-'));
    const exact = await start(['--arena', String(info.tflmArenaBytes)]);
    const active = last(seen(await deliver(exact, bundle(v1, '0000a102'))).progress);
    assert.equal(active.state, 'active', active.error);
  });

  it('a rollback during a transfer whose manifest is unverified cancels it, rolls back, and a later deploy works', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '0000e101')); // slot a
    await deliver(s, bundle(v2, '0000e102')); // slot b serves, a is the rollback target
    const v3 = sineModel('3', 3000, 3);
    const b3 = bundle(v3, '0000e103');
    // Part of the manifest section only: the transfer still aims at slot a.
    await deliver(s, b3, [0]);
    const out = seen(await s.msg(topics.cmd(ID), JSON.stringify({ v: 1, cmd: 'rollback', requestId: 'rb1' })));
    assert.deepEqual(
      out.progress.map((x) => `${x.deployId} ${x.state} ${x.code}`),
      ['0000e103 cancelled E_CANCELLED'],
    );
    // Reported after the switch: it names the model serving then.
    assert.equal(out.progress[0].serving?.sha256, sha(v1));
    assert.equal(out.replies[0].ok, true, out.replies[0].error);
    assert.equal(out.replies[0].model?.sha256, sha(v1));
    assert.equal(out.replies[0].previous?.sha256, sha(v2));
    assert.equal(out.status.at(-1)!.model?.sha256, sha(v1));
    // The rest of the cancelled transfer is foreign now: nothing reaches the serving slot.
    const late = seen(await deliver(s, b3, [...Array(b3.total).keys()].slice(1)));
    assert.equal(late.progress[0].state, 'cancelled'); // the repeated offer hears the final state
    assert.ok(readFileSync(join(dir, 'slot-a.tflite')).subarray(0, v1.length).equals(Buffer.from(v1)));
    await s.send('reboot');
    const boot = seen(await s.send('connect')).status[0];
    assert.equal(boot.model?.sha256, sha(v1));
    assert.doesNotMatch(s.stderr, /resuming transfer 0000e103/);
    // A later deploy goes to the other slot and serves.
    const again = last(seen(await deliver(s, bundle(v3, '0000e104'))).progress);
    assert.equal(again.state, 'active', again.error);
    assert.equal(again.serving?.sha256, sha(v3));
    const status = seen(await s.send('connect')).status[0];
    assert.equal(status.model?.sha256, sha(v3));
    assert.equal(status.previous?.sha256, sha(v1));
  });

  it('a rollback after the manifest verified cancels the transfer and fails: the serving model stays', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '0000e201'));
    await deliver(s, bundle(v2, '0000e202'));
    const b3 = bundle(sineModel('3', 3000, 3), '0000e203');
    // The manifest verified (slot a given up) and a few model chunks written.
    await deliver(s, b3, [...Array(b3.offer.mChunks + 3).keys()]);
    const out = seen(await s.msg(topics.cmd(ID), JSON.stringify({ v: 1, cmd: 'rollback', requestId: 'rb2' })));
    assert.equal(out.progress[0].state, 'cancelled');
    assert.equal(out.progress[0].code, 'E_CANCELLED');
    assert.equal(out.replies[0].ok, false);
    assert.match(out.replies[0].error!, /no model to roll back to/);
    assert.equal(out.replies[0].model?.sha256, sha(v2));
    assert.equal(out.replies[0].previous, null);
    // The retained status says so too.
    assert.equal(out.status.at(-1)!.model?.sha256, sha(v2));
    assert.equal(out.status.at(-1)!.previous, null);
    const after = last(seen(await deliver(s, bundle(v1, '0000e204'))).progress);
    assert.equal(after.state, 'active', after.error);
  });

  it('falls back to the other slot at boot when the serving one is damaged', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '0000f001'));
    await deliver(s, bundle(v2, '0000f002'));
    const slotB = join(dir, 'slot-b.tflite');
    const bytes = readFileSync(slotB);
    bytes[100] ^= 0xff;
    writeFileSync(slotB, bytes);
    await s.send('reboot');
    const status = seen(await s.send('connect')).status[0];
    assert.equal(status.model?.sha256, sha(v1));
    assert.match(s.stderr, /slot b cannot serve: has sha256/);
  });

  it('cancels on command and when a new offer supersedes the transfer', async () => {
    const s = await start();
    const a = bundle(v2, '00001001');
    await deliver(s, a, [0, 1, 2, 3]);
    const superseded = seen(await offer(s, bundle(v1, '00001002')));
    assert.deepEqual(
      superseded.progress.map((x) => `${x.deployId} ${x.state} ${x.code ?? ''}`.trim()),
      ['00001001 cancelled E_SUPERSEDED', '00001002 receiving'],
    );
    const cancel = seen(await s.msg(topics.cmd(ID), JSON.stringify({ v: 1, cmd: 'cancel', requestId: 'c1', deployId: '00001002' })));
    assert.equal(cancel.progress[0].state, 'cancelled');
    assert.equal(cancel.progress[0].code, 'E_CANCELLED');
    assert.equal(cancel.replies[0].ok, true);
    const none = seen(await s.msg(topics.cmd(ID), JSON.stringify({ v: 1, cmd: 'cancel', requestId: 'c2' })));
    assert.equal(none.replies[0].ok, false);
    // A finished transfer answers a repeated offer with its final report.
    const again = seen(await offer(s, bundle(v1, '00001002')));
    assert.equal(again.progress[0].state, 'cancelled');
  });

  it('group deploys: subscribes the fan-out topic for the transfer and takes chunks from it', async () => {
    const s = await start();
    const b = bundle(v1, '00002001', { fanout: true });
    const first = await offer(s, b);
    assert.deepEqual(first.subscribed, [{ topic: topics.fanout('00002001'), qos: 0 }]);
    const outs: SimOutput[] = [];
    for (let i = 0; i < b.total; i++) outs.push(await s.msg(topics.fanout('00002001'), b.chunk(i)));
    const out = merge(outs);
    assert.equal(last(seen(out).progress).state, 'active');
    assert.deepEqual(out.unsubscribed, [topics.fanout('00002001')]);
  });

  it('installs a built-in model on a first boot only, verified like a deployed one', async () => {
    const s = await start();
    const file = join(dir, 'builtin.tflite');
    writeFileSync(file, v1);
    assert.equal((await s.send(`install ${file} sine 1`)).other[0], 'installed 0');
    assert.equal(JSON.parse((await s.send('model')).other[0].slice(6)).sha256, sha(v1));
    // Slots are no longer empty: a second install (the next boot) changes nothing.
    await deliver(s, bundle(v2, '00004001'));
    await s.send('reboot');
    assert.equal((await s.send(`install ${file} sine 1`)).other[0], 'installed 1');
    const status = seen(await s.send('connect')).status[0];
    assert.equal(status.model?.sha256, sha(v2));
    assert.equal(status.previous?.sha256, sha(v1));
  });

  it('drops packets above its limit and answers inference requests with an honest error', async () => {
    const s = await start();
    await deliver(s, bundle(v1, '00003001'));
    const oversize = await s.msg(topics.offer(ID), JSON.stringify({ v: 1, pad: 'x'.repeat(300) }));
    assert.equal(oversize.published.length, 0);
    assert.equal(JSON.parse((await s.send('stats')).other[0].slice(6)).oversize, 1);
    const out = await s.msg(topics.infer(ID), JSON.stringify({ v: 1, requestId: 'q1', input: [1.5] }));
    const result = parseMessage('inferResult', out.published[0].payload);
    assert.equal(out.published[0].topic, topics.results(ID));
    assert.equal(result.requestId, 'q1');
    assert.equal(result.model?.sha256, sha(v1));
    assert.equal(result.outputs, undefined);
    assert.match(result.error!, /runs no inference/);
    assert.equal(result.source, 'mqtt');
    // The device's own sensor: source "sensor", no request id.
    const sensed = await s.send('sense 0.5');
    const own = parseMessage('inferResult', sensed.published[0].payload);
    assert.equal(own.source, 'sensor');
    assert.equal(own.requestId, undefined);
    assert.match(own.error!, /runs no inference/);
  });
});
