/**
 * The ESP32 simulator's limits are real (on aedes and on Mosquitto): a packet
 * above 256 bytes is dropped, and a flood of chunks without flow control
 * overflows its receive queue — which is why the deployer's window matters,
 * and why every deploy test asserts zero overflows. Flash writes take the
 * simulated time (80 KB/s), so an ESP32 deploy cannot finish sooner.
 */
import { strict as assert } from 'node:assert';
import { Bundle } from '../../src/fleet/bundle';
import { deploy } from '../../src/fleet/deploy';
import { chunkSizeFor } from '../../src/fleet/geometry';
import { parseMessage, type Progress } from '../../src/fleet/messages';
import { describeModel } from '../../src/fleet/model-info';
import { publish, subscribe } from '../../src/fleet/mqtt';
import { forEachBroker } from './brokers';
import { TestFleet } from './harness';
import { sineModel } from './models';

forEachBroker('ESP32 simulator limits', (broker) => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.stop();
  });

  it('drops packets above 256 bytes and overflows when flooded without flow control', async () => {
    fleet = await new TestFleet(broker()).start([{ id: 'esp-1', profile: 'esp32' }]);
    const esp = fleet.device('esp-1');
    const { client, topics } = fleet;

    await publish(client, topics.offer('esp-1'), JSON.stringify({ v: 1, pad: 'x'.repeat(260) }));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(esp.stats.oversize, 1);
    assert.equal(esp.stats.offers, 0);

    const model = sineModel('2', 20000);
    const chunkSize = chunkSizeFor(256, [topics.chunk('esp-1')]);
    const bundle = new Bundle({
      deployId: '0badf00d',
      model,
      info: describeModel(model),
      chunkSize,
      window: 8,
      fanout: false,
    });
    const reports: Progress[] = [];
    client.on('message', (topic, payload) => {
      if (topic === topics.progress('esp-1')) reports.push(parseMessage('progress', payload));
    });
    await subscribe(client, topics.progress('esp-1'));
    await publish(client, topics.offer('esp-1'), JSON.stringify(bundle.offer));
    while (!reports.some((p) => p.state === 'receiving')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // Every chunk at once, QoS 0, no window: what a naive sender does.
    for (let i = 0; i < bundle.total; i++) {
      client.publish(topics.chunk('esp-1'), bundle.chunk(i), { qos: 0 });
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(esp.stats.overflow > 0, `no overflow: ${JSON.stringify(esp.stats)}`);
    assert.ok(esp.stats.maxQueued <= 22);
    const last = reports[reports.length - 1];
    assert.ok(last.have < bundle.total, 'a flooded device cannot have received everything');
    assert.equal(esp.model, null, 'a partial transfer must not activate');
  });

  it('writes flash at the simulated 80 KB/s: a deploy cannot finish sooner', async () => {
    fleet = await new TestFleet(broker()).start([{ id: 'esp-1', profile: 'esp32' }]);
    const model = sineModel('2', 24000);
    const result = await deploy({
      client: fleet.client,
      registry: fleet.registry,
      model,
      target: { device: 'esp-1' },
    });
    const [o] = result.outcomes;
    assert.equal(o.state, 'active', o.error);
    const floor = (model.length / 80000) * 1000;
    assert.ok(o.durationMs >= floor, `${model.length} bytes in ${o.durationMs} ms < ${floor} ms`);
  });
});
