/**
 * Protocol v1 pieces without a broker: the chunk header against a
 * hand-assembled vector (CRC from node:zlib, independent of ours), packet
 * sizes against mqtt-packet's encoder (what MQTT.js puts on the wire), the
 * schemas, the offer's size, selective acknowledgements, waves, signatures,
 * and the device's refusals of bad offers.
 */
import { strict as assert } from 'node:assert';
import { crc32 as zlibCrc32 } from 'node:zlib';
import mqttPacket from 'mqtt-packet';
import { CHUNK_HEADER_BYTES, decodeChunk, encodeChunk } from '../../src/fleet/chunk';
import { chunkSizeFor, publishPacketBytes } from '../../src/fleet/geometry';
import { Link } from '../../src/fleet/link';
import { Bundle } from '../../src/fleet/bundle';
import { describeModel } from '../../src/fleet/model-info';
import { parseMessage, type Progress } from '../../src/fleet/messages';
import { waveSizes } from '../../src/fleet/targets';
import {
  generateSigningKeys,
  loadPrivateKey,
  loadPublicKey,
  signBytes,
  verifyBytes,
} from '../../src/fleet/signing';
import { Topics } from '../../src/fleet/topics';
import { crc32 } from '../../src/fleet/crc32';
import { DeviceCore } from '../../src/device/core';
import { PROFILES } from '../../src/device/profiles';
import { MemoryStore } from '../../src/device/store';
import { sineModel } from './models';

/** Bytes of a PUBLISH as MQTT.js's encoder writes it (QoS 1, MQTT 5). */
function wireBytes(topic: string, payloadBytes: number): number {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic,
      payload: Buffer.alloc(payloadBytes),
      qos: 1,
      messageId: 1,
      dup: false,
      retain: false,
    },
    { protocolVersion: 5 },
  ).length;
}

describe('fleet protocol v1', () => {
  it('CRC-32 is the IEEE/zlib one (check value 0xCBF43926)', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    assert.equal(crc32(data), zlibCrc32(data));
  });

  it('encodes the chunk header as docs/protocol.md lays it out', () => {
    const data = Buffer.from('hello, device');
    const expected = Buffer.alloc(16 + data.length);
    expected[0] = 1; // version
    expected[1] = 16; // header length
    expected.writeUInt16LE(data.length, 2);
    expected.writeUInt32LE(0x9f3a1c07, 4);
    expected.writeUInt32LE(42, 8);
    expected.writeUInt32LE(zlibCrc32(data), 12);
    data.copy(expected, 16);
    const chunk = encodeChunk('9f3a1c07', 42, data);
    assert.equal(chunk.toString('hex'), expected.toString('hex'));
    const back = decodeChunk(chunk);
    assert.deepEqual(
      [back.deployId, back.index, Buffer.from(back.data).toString()],
      ['9f3a1c07', 42, 'hello, device'],
    );
  });

  it('rejects damaged chunks, naming what is wrong', () => {
    const chunk = encodeChunk('00000001', 0, Buffer.from('payload bytes'));
    const flipped = Buffer.from(chunk);
    flipped[20] ^= 1;
    assert.throws(() => decodeChunk(flipped), /CRC-32 is [0-9a-f]{8}, header says [0-9a-f]{8}/);
    assert.throws(
      () => decodeChunk(chunk.subarray(0, 20)),
      /says 16\+13 bytes, the message has 20/,
    );
    assert.throws(() => decodeChunk(chunk.subarray(0, 8)), /shorter than the 16-byte header/);
    const v2 = Buffer.from(chunk);
    v2[0] = 2;
    assert.throws(() => decodeChunk(v2), /chunk version 2, expected 1/);
  });

  it('sizes chunks to a 256-byte packet as MQTT.js encodes it, for the longest topics', () => {
    const topics = new Topics();
    const id = 'x'.repeat(64);
    const topic = topics.chunk(id);
    const size = chunkSizeFor(256, [topic, topics.fanout('9f3a1c07')]);
    assert.equal(size % 16, 0);
    assert.ok(size >= 128, `only ${size} bytes of data per chunk`);
    assert.equal(
      publishPacketBytes(topic, CHUNK_HEADER_BYTES + size),
      wireBytes(topic, CHUNK_HEADER_BYTES + size),
    );
    assert.ok(wireBytes(topic, CHUNK_HEADER_BYTES + size) <= 256);
    assert.ok(wireBytes(topic, CHUNK_HEADER_BYTES + size + 16) > 256);
    // A short topic leaves room for more.
    assert.ok(chunkSizeFor(256, [topics.chunk('esp-1')]) > size);
    // Nothing fits 64 bytes with a long topic.
    assert.equal(chunkSizeFor(64, [topic]), 0);
  });

  it('keeps an offer within a 256-byte packet for the largest model an ESP32 takes, with a 64-character id', () => {
    const topics = new Topics();
    const id = 'x'.repeat(64);
    const chunkSize = chunkSizeFor(256, [topics.chunk(id), topics.fanout('ffffffff')]);
    const model = sineModel('1', PROFILES.esp32.flashBytes - 4000);
    const info = describeModel(model, { name: 'n'.repeat(128), version: 'v'.repeat(64) });
    const b = new Bundle({ deployId: 'ffffffff', model, info, chunkSize, window: 8, fanout: true });
    const offer = JSON.stringify({ ...b.offer, signed: false, size: PROFILES.esp32.flashBytes });
    assert.ok(
      wireBytes(topics.offer(id), Buffer.byteLength(offer)) <= 256,
      `offer is ${offer.length} bytes: ${offer}`,
    );
  });

  it('validates every message with its schema and names the field', () => {
    const offer = {
      v: 1,
      deployId: '9f3a1c07',
      size: 100,
      chunkSize: 8,
      chunks: 13,
      mSize: 300,
      mChunks: 38,
      signed: false,
      window: 4,
      ackEvery: 2,
      fanout: false,
    };
    assert.throws(
      () => parseMessage('offer', JSON.stringify(offer)),
      /offer\.chunkSize must be >= 16/,
    );
    assert.throws(() => parseMessage('offer', '{"v":1'), /offer message is not valid JSON/);
    assert.throws(
      () => parseMessage('progress', JSON.stringify({ v: 1, deployId: 'XYZ' })),
      /progress\.(deployId|state|next)/,
    );
    assert.throws(
      () => parseMessage('command', JSON.stringify({ v: 2, cmd: 'rollback', requestId: 'r' })),
      /command\.v must be equal to constant/,
    );
    // A status of another protocol version is still readable, so the registry can show it.
    assert.equal(
      parseMessage('status', JSON.stringify({ v: 2, id: 'd', online: true, ts: 1 })).v,
      2,
    );
  });

  it('takes in selective acknowledgements: next, high and missing', () => {
    const link = new Link(100, 8, 0);
    const report = (p: Partial<Progress>): Progress => ({
      v: 1,
      deployId: '00000001',
      state: 'receiving',
      next: 0,
      have: 0,
      high: 0,
      total: 100,
      serving: null,
      ts: 0,
      ...p,
    });
    for (let i = 0; i < 8; i++) link.markSent(i, 0);
    assert.equal(link.room, 0);
    assert.ok(link.update(report({ next: 3, high: 8, have: 6, missing: [3, 5] }), 1));
    assert.deepEqual(
      Array.from({ length: 8 }, (_, i) => link.isHeld(i)),
      [true, true, true, false, true, false, true, true],
    );
    assert.equal(link.next, 3);
    assert.deepEqual(link.wanted(12), [8, 9, 10, 11].slice(0, link.room));
    // Lost in flight: after the retransmission timeout they are wanted again,
    // one at a time (the window restarts at ackEvery chunks — 1 here —
    // RFC 5681 §3.1)...
    link.expire(10000);
    assert.equal(link.rto, 400); // 2 × the 200 ms floor (the sample was 1 ms)
    assert.deepEqual(link.wanted(8), [3]);
    link.markSent(3, 10000);
    // ...and grows by one per confirmed chunk.
    link.update(report({ next: 5, high: 8, have: 7, missing: [5] }), 10100);
    assert.deepEqual(link.wanted(12), [5, 8]);
    // A device reporting every 4 chunks gets a window of at least 4.
    const four = new Link(100, 8, 0, 1000, 4);
    for (let i = 0; i < 8; i++) four.markSent(i, 0);
    four.expire(5000);
    assert.deepEqual(four.wanted(100), [0, 1, 2, 3]);
    // A cut list (32 entries) says nothing past its last entry.
    const cut = new Link(100, 8, 0);
    const missing = Array.from({ length: 32 }, (_, i) => 10 + 2 * i);
    cut.update(report({ next: 10, high: 99, have: 50, missing }), 1);
    assert.equal(cut.isHeld(11), true);
    assert.equal(cut.isHeld(71), true);
    assert.equal(cut.isHeld(72), false);
    assert.equal(cut.isHeld(73), false); // past the last listed index: unknown, so not held
    // A device that lost its partial transfer is believed.
    cut.update(report({ next: 0, high: 2, have: 1, missing: [0] }), 2);
    assert.equal(cut.confirmed, 1);
    assert.equal(cut.isHeld(11), false);
  });

  it('splits targets into waves by cumulative share, at least one device each', () => {
    assert.deepEqual(waveSizes(10, [0.1, 1]), [1, 9]);
    assert.deepEqual(waveSizes(8, [0.25, 1]), [2, 6]);
    assert.deepEqual(waveSizes(3, [0.1, 0.5, 1]), [1, 1, 1]);
    assert.deepEqual(waveSizes(1, [0.5, 1]), [1]);
    assert.deepEqual(waveSizes(5), [5]);
  });

  it('signs and verifies with Ed25519 keys from PEM, one-line PEM and raw hex', () => {
    const keys = generateSigningKeys();
    assert.match(keys.publicHex, /^[0-9a-f]{64}$/);
    const priv = loadPrivateKey(keys.privatePem.replace(/\n/g, ' '));
    const msg = Buffer.from('{"v":1}');
    const sig = signBytes(priv, msg);
    assert.equal(sig.length, 64);
    assert.ok(verifyBytes(loadPublicKey(keys.publicPem), msg, sig));
    assert.ok(verifyBytes(loadPublicKey(keys.publicHex), msg, sig));
    assert.ok(!verifyBytes(loadPublicKey(generateSigningKeys().publicHex), msg, sig));
    assert.ok(!verifyBytes(loadPublicKey(keys.publicHex), Buffer.from('{"v":2}'), sig));
    assert.throws(() => loadPublicKey('abc'), /neither a PEM public key nor 64 hex digits/);
  });

  it('the device refuses offers it cannot take, each with its code and reason', async () => {
    const reports: Progress[] = [];
    const core = new DeviceCore({
      id: 'esp-1',
      profile: PROFILES.esp32,
      store: new MemoryStore(),
      topics: new Topics(),
      ops: ['FULLY_CONNECTED'],
      report: async (p) => {
        reports.push(p);
      },
      changed: async () => undefined,
      publicKey: loadPublicKey(generateSigningKeys().publicHex),
    });
    const base = {
      v: 1,
      deployId: '00000001',
      size: 1000,
      chunkSize: 192,
      chunks: 6,
      mSize: 300,
      mChunks: 2,
      signed: true,
      window: 8,
      ackEvery: 4,
      fanout: false,
    };
    const offer = async (o: object) => {
      await core.onOffer(Buffer.from(JSON.stringify(o)));
      return reports[reports.length - 1];
    };
    const cases: [object, string, RegExp][] = [
      [
        { deployId: '00000002', window: 16 },
        'E_PROTOCOL',
        /window of 16 chunks exceeds the device's 8/,
      ],
      [
        { deployId: '00000003', chunkSize: 1024, chunks: 1, mChunks: 1 },
        'E_PACKET',
        /makes a \d+-byte packet; the device takes 256/,
      ],
      [
        { deployId: '00000004', size: 600000, chunks: 3125 },
        'E_TOO_BIG',
        /600000 bytes does not fit the 524288-byte model slot/,
      ],
      [{ deployId: '00000005', signed: false, mChunks: 2 }, 'E_SIGNATURE', /only signed manifests/],
      [
        { deployId: '00000006', chunks: 7 },
        'E_PROTOCOL',
        /7 chunks of 192 bytes cannot hold 1000 bytes/,
      ],
    ];
    for (const [change, code, reason] of cases) {
      const p = await offer({ ...base, ...change });
      assert.equal(p.state, 'refused', JSON.stringify(change));
      assert.equal(p.code, code);
      assert.match(p.error!, reason);
    }
    assert.equal(core.transferring, undefined);
  });
});
