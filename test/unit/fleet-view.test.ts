/**
 * The TinyML sidebar's view of a fleet, built from device messages as
 * docs/protocol.md defines them: presence, model, deploy progress and
 * results; malformed or foreign messages are dropped, never shown.
 */
import { strict as assert } from 'node:assert';
import { FleetView, RESULTS_KEPT } from '../../nodes/lib/fleet-view';
import { TrainingFeed } from '../../nodes/lib/training-feed';

const status = (over: object = {}) =>
  JSON.stringify({
    id: 'pi-1',
    online: true,
    profile: 'rpi',
    group: 'line-2',
    capabilities: { maxPacket: 65536, arenaBytes: 1024, flashBytes: 4096, ops: [] },
    model: { name: 'sine', version: '3', sha256: 'a'.repeat(64), size: 2688 },
    ts: 1,
    ...over,
  });

describe('sidebar fleet view', () => {
  it('shows a device from its retained status: online, profile, group, model and version', () => {
    const v = new FleetView('f1', 'plant', 'mqtt://b:1883', 'tinyml/', () => 1000);
    assert.equal(v.apply('tinyml/devices/pi-1/status', status()), true);
    const s = v.snapshot();
    assert.deepEqual(s.counts, { devices: 1, online: 1 });
    const d = s.devices[0];
    assert.equal(d.id, 'pi-1');
    assert.equal(d.profile, 'rpi');
    assert.equal(d.group, 'line-2');
    assert.deepEqual(d.model, { name: 'sine', version: '3', sha256: 'a'.repeat(64), size: 2688 });
    assert.equal(d.arenaBytes, 1024);
  });

  it('marks the device offline on its Last Will and forgets it on an empty retained status', () => {
    const v = new FleetView('f1', 'plant', 'b', 'tinyml/');
    v.apply('tinyml/devices/pi-1/status', status());
    v.apply('tinyml/devices/pi-1/status', JSON.stringify({ id: 'pi-1', online: false, ts: 2 }));
    assert.deepEqual(v.snapshot().counts, { devices: 1, online: 0 });
    assert.equal(v.snapshot().devices[0].model?.name, 'sine', 'the Will does not erase the model');
    assert.equal(v.apply('tinyml/devices/pi-1/status', Buffer.alloc(0)), true);
    assert.equal(v.snapshot().devices.length, 0);
  });

  it('tracks deploy progress and keeps the latest results, newest first', () => {
    const v = new FleetView('f1', 'plant', 'b', 'tinyml/');
    v.apply(
      'tinyml/devices/esp-1/deploy/state',
      JSON.stringify({ deployId: 'd1', state: 'receiving', received: 4, chunks: 11, ts: 1 }),
    );
    assert.deepEqual(
      { ...v.snapshot().devices[0].deploy, ts: 0 },
      { state: 'receiving', received: 4, chunks: 11, ts: 0 },
    );
    for (let i = 0; i < RESULTS_KEPT + 3; i++) {
      v.apply(
        'tinyml/devices/esp-1/results',
        JSON.stringify({
          deviceId: 'esp-1',
          model: { name: 'sine', version: '1', sha256: 'b'.repeat(64), size: 10 },
          outputs: [{ name: 'y', shape: [1, 1], dtype: 'float32', data: [i / 10] }],
          latencyMs: 0.5,
          ts: i,
        }),
      );
    }
    const d = v.snapshot().devices[0];
    assert.equal(d.results.length, RESULTS_KEPT);
    assert.equal(d.results[0].value, String((RESULTS_KEPT + 2) / 10));
    assert.equal(d.results[0].latencyMs, 0.5);
    assert.equal(d.model?.version, '1');
    v.apply('tinyml/devices/esp-1/results', JSON.stringify({ label: 'fault', score: 0.93 }));
    assert.equal(v.snapshot().devices[0].results[0].value, 'fault');
  });

  it('drops malformed payloads, foreign prefixes and unknown subtopics', () => {
    const v = new FleetView('f1', 'plant', 'b', 'tinyml/');
    assert.equal(v.apply('tinyml/devices/pi-1/status', 'not json'), false);
    assert.equal(v.apply('tinyml/devices/pi-1/status', JSON.stringify({ online: 'yes' })), false);
    assert.equal(
      v.apply('tinyml/devices/pi-1/results', JSON.stringify({ latencyMs: 'fast' })),
      false,
    );
    assert.equal(v.apply('other/devices/pi-1/status', status()), false);
    assert.equal(v.apply('tinyml/devices/pi-1/infer', JSON.stringify({ input: [1] })), false);
    assert.equal(v.apply('tinyml/devices/bad+id/status', status()), false);
    const s = v.snapshot();
    assert.equal(s.devices.length, 0);
    assert.equal(s.dropped, 3);
  });

  it('subscribes under its own prefix', () => {
    assert.deepEqual(new FleetView('f', 'n', 'b', 'plant7').filters(), [
      'plant7/devices/+/status',
      'plant7/devices/+/deploy/state',
      'plant7/devices/+/results',
    ]);
  });
});

describe('training feed', () => {
  it('publishes the whole curve, at most once per interval, and the final state at once', async () => {
    const sent: { topic: string; data: { loss: number[]; state: string }; retain: boolean }[] = [];
    const feed = new TrainingFeed(
      (topic, data, retain) => sent.push({ topic, data: data as never, retain }),
      'n1',
      'train sine',
      50,
    );
    feed.start();
    for (let e = 1; e <= 20; e++) feed.epoch({ epoch: e, epochs: 20, loss: 1 / e });
    assert.ok(sent.length <= 3, `${sent.length} updates for 20 epochs within one interval`);
    feed.finish();
    const last = sent[sent.length - 1];
    assert.equal(last.topic, 'tinyml/training/n1');
    assert.equal(last.retain, true);
    assert.equal(last.data.state, 'done');
    assert.equal(last.data.loss.length, 20);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(sent[sent.length - 1], last, 'no update after the final one');
    feed.remove();
    assert.equal(sent[sent.length - 1].retain, false, 'removal clears the retained curve');
  });
});
