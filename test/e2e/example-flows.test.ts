/**
 * The example flows run headless (node-red-node-test-helper, the real core
 * nodes and ours) and do what their descriptions promise. The browser suite
 * (editor.test.ts) checks that they import in the editor; this one checks
 * that they work, so no example ships that only looks right.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';
import trainNode from '../../nodes/train';
import convertNode from '../../nodes/convert';
import optimizeNode from '../../nodes/optimize';
import inferNode from '../../nodes/infer';
import fleetNode from '../../nodes/fleet';
import deployNode from '../../nodes/deploy';
import deviceEventsNode from '../../nodes/device-events';
import { startBroker, type EmbeddedBroker } from '../../src/fleet/broker';
import { DeviceAgent } from '../../src/device/agent';
import { ROOT } from '../helpers/paths';
import type { FleetNode } from '../../nodes/lib/fleet-node';

/* eslint-disable @typescript-eslint/no-require-imports */
const core = [
  require('@node-red/nodes/core/common/20-inject.js'),
  require('@node-red/nodes/core/common/21-debug.js'),
  require('@node-red/nodes/core/common/25-catch.js'),
  require('@node-red/nodes/core/common/90-comment.js'),
  require('@node-red/nodes/core/function/10-function.js'),
  require('@node-red/nodes/core/function/10-switch.js'),
  require('@node-red/nodes/core/sequence/17-split.js'),
];
/* eslint-enable @typescript-eslint/no-require-imports */

helper.init(require.resolve('node-red'));

type Flow = Record<string, unknown>[];
type Msg = NodeMessage & Record<string, unknown>;

function example(name: string): Flow {
  return JSON.parse(readFileSync(join(ROOT, 'flows', name), 'utf8')) as Flow;
}

/** Adds a helper node wired after `from`, and returns the messages it collects. */
function tap(flow: Flow, from: string, id: string): void {
  const n = flow.find((x) => x.id === from)!;
  (n.wires as string[][])[0].push(id);
  flow.push({ id, type: 'helper', z: n.z, x: 0, y: 0 });
}

function collect(id: string): Msg[] {
  const got: Msg[] = [];
  (helper.getNode(id) as unknown as { on: (e: string, f: (m: Msg) => void) => void }).on(
    'input',
    (m) => got.push(m),
  );
  return got;
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Loads an example with helper nodes tapped after the given nodes (and after
 * its catch node), clicks its inject, and returns what each tap collects.
 */
async function start(
  flow: Flow,
  nodes: unknown[],
  taps: Record<string, string>,
  catchId: string,
  injectId: string,
): Promise<{ got: Record<string, Msg[]>; errors: Msg[] }> {
  for (const [id, from] of Object.entries(taps)) tap(flow, from, id);
  tap(flow, catchId, 'errors');
  await helper.load([...core, ...nodes] as never, flow as never);
  const got: Record<string, Msg[]> = {};
  for (const id of Object.keys(taps)) got[id] = collect(id);
  const errors = collect('errors');
  helper.getNode(injectId).receive({ payload: Date.now() });
  return { got, errors };
}

/** Waits for `pred` or the first error; an error fails with its message. */
async function settle(errors: Msg[], pred: () => boolean, ms: number, what: string) {
  await until(() => pred() || errors.length > 0, ms, what);
  assert.deepEqual(
    errors.map((e) => (e.error as Error).message),
    [],
  );
}

describe('example flows run', function () {
  this.timeout(120000);
  afterEach(async () => {
    await helper.unload();
  });

  it('anomaly detection: the autoencoder flags every bearing fault and no healthy window', async () => {
    const flow = example('anomaly-detection-autoencoder.json');
    // The test drives the sensor itself instead of waiting for 1 s ticks.
    for (const n of flow) if (n.type === 'inject') n.repeat = '';
    const { got, errors } = await start(
      flow,
      [trainNode, convertNode, optimizeNode, inferNode],
      { out: 'tinyml_anomaly_error' },
      'tinyml_anomaly_catch',
      'tinyml_anomaly_inject',
    );
    const out = got.out;
    await settle(
      errors,
      () => out.some((m) => m.topic === 'threshold'),
      90000,
      'the calibrated threshold',
    );
    const sensor = helper.getNode('tinyml_anomaly_sensor');
    for (let i = 0; i < 60; i++) sensor.receive({ payload: i });
    await until(() => out.length >= 61, 20000, '60 scored windows');
    const scored = out
      .filter((m) => m.topic === 'reconstruction error')
      .map((m) => m.payload as { anomaly: boolean; truth: string; error: number });
    const faults = scored.filter((s) => s.truth === 'fault');
    const healthy = scored.filter((s) => s.truth === 'healthy');
    assert.ok(faults.length >= 5, `only ${faults.length} faults in 60 windows`);
    assert.deepEqual(
      faults.filter((s) => !s.anomaly).map((s) => s.error),
      [],
      'faults missed',
    );
    const falseAlarms = healthy.filter((s) => s.anomaly).length;
    assert.equal(falseAlarms, 0, `false alarms in ${healthy.length} healthy windows`);
  });

  it('digits CNN: int8 keeps the held-out accuracy within the 1 pp gate at about half the size', async () => {
    const flow = example('digits-cnn-int8.json');
    const { got, errors } = await start(
      flow,
      [trainNode, convertNode, optimizeNode, inferNode],
      { report: 'tinyml_digits_report', predictions: 'tinyml_digits_predict' },
      'tinyml_digits_catch',
      'tinyml_digits_inject',
    );
    const { report, predictions } = got;
    await settle(
      errors,
      () => report.length > 0 && predictions.length >= 5,
      110000,
      'the accuracy report and 5 predictions',
    );
    type Row = { accuracy: number; bytes: number; gzipBytes: number; arenaBytes: number };
    const r = report[0].payload as {
      heldOutSamples: number;
      float32: Row;
      int8: Row;
      accuracyDropPp: number;
      chosen: string;
    };
    // 20% of the 1797 digits, never trained on.
    assert.equal(r.heldOutSamples, 359);
    assert.ok(r.float32.accuracy > 90, `float32 ${r.float32.accuracy}%`);
    assert.ok(r.float32.accuracy - r.int8.accuracy <= 1, `int8 ${r.int8.accuracy}%`);
    assert.match(r.chosen, /int8/);
    assert.ok(r.int8.bytes < 0.6 * r.float32.bytes, `${r.int8.bytes} of ${r.float32.bytes} B`);
    assert.ok(r.int8.arenaBytes < r.float32.arenaBytes);
    const p = predictions.map((m) => m.payload as { predicted: number; truth: number });
    assert.equal(p.length, 5);
    const right = p.filter((x) => x.predicted === x.truth).length;
    assert.ok(right >= 4, `${right} of 5 held-out digits right: ${JSON.stringify(p)}`);
  });

  it('pruning vs distillation: one table with the teacher, the pruned model and both students', async () => {
    const flow = example('pruning-vs-distillation.json');
    const { got, errors } = await start(
      flow,
      [trainNode, convertNode, optimizeNode],
      { table: 'tinyml_compare_compare' },
      'tinyml_compare_catch',
      'tinyml_compare_inject',
    );
    const table = got.table;
    await settle(errors, () => table.length > 0, 110000, 'the comparison table');
    type Row = {
      technique: string;
      model: string;
      params: number;
      nonzeroParams: number;
      gzipBytes: number;
      accuracy: number;
    };
    // Rows built in the function node's sandbox: copy them into this realm.
    const rows = JSON.parse(JSON.stringify(table[0].payload)) as Row[];
    const by = (model: string) => rows.find((r) => r.model === model)!;
    assert.deepEqual(
      rows.map((r) => r.model),
      ['teacher', 'pruned', 'student alone', 'distilled'],
    );
    const teacher = by('teacher');
    const pruned = by('pruned');
    const student = by('distilled');
    assert.ok(teacher.accuracy > 90, `teacher ${teacher.accuracy}%`);
    // Pruning: same parameters, at most a fifth non-zero weights (biases stay), smaller when compressed.
    assert.equal(pruned.params, teacher.params);
    assert.ok(pruned.nonzeroParams < 0.25 * teacher.params, `${pruned.nonzeroParams} non-zero`);
    assert.ok(pruned.gzipBytes < 0.5 * teacher.gzipBytes);
    // Distillation: a 64-16-10 student has 1210 parameters.
    assert.equal(student.params, 1210);
    for (const r of [pruned, student]) {
      assert.ok(r.accuracy > teacher.accuracy - 5, `${r.model} ${r.accuracy}%`);
    }
    assert.match(String(table[0].summary), /pruned: .*distilled: .*teacher: /);
  });

  describe('with a broker and two simulated devices', () => {
    let broker: EmbeddedBroker;
    let devices: DeviceAgent[];
    before(async () => {
      broker = await startBroker(0);
      devices = [
        new DeviceAgent({ broker: broker.url, id: 'sim-1', profile: 'rpi' }),
        new DeviceAgent({ broker: broker.url, id: 'sim-esp32', profile: 'esp32' }),
      ];
      for (const d of devices) await d.start();
      process.env.TINYML_BROKER = broker.url;
    });
    after(async () => {
      delete process.env.TINYML_BROKER;
      for (const d of devices ?? []) await d.stop();
      await broker?.close();
    });

    it('mixed fleet: the Pi and the ESP32 both run the model and their chart points follow sin(x)', async () => {
      const flow = example('mixed-fleet-chart.json');
      const { got, errors } = await start(
        flow,
        [trainNode, convertNode, fleetNode, deployNode, inferNode, deviceEventsNode],
        { points: 'tinyml_mixed_point', presence: 'tinyml_mixed_events' },
        'tinyml_mixed_catch',
        'tinyml_mixed_inject',
      );
      const points = got.points;
      await settle(errors, () => points.length >= 64, 90000, '2 × 16 results');
      const byDevice = new Map<string, { x: number; y: number }[]>();
      for (const p of points) {
        const list = byDevice.get(p.topic as string) ?? [];
        list.push(p.payload as { x: number; y: number });
        byDevice.set(p.topic as string, list);
      }
      assert.deepEqual([...byDevice.keys()].sort(), ['sim-1', 'sim-esp32', 'sin(x)']);
      for (const id of ['sim-1', 'sim-esp32']) {
        const pts = byDevice.get(id)!;
        assert.equal(pts.length, 16, id);
        for (const { x, y } of pts) {
          assert.ok(Math.abs(y - Math.sin(x)) < 0.1, `${id}: y=${y} at x=${x}`);
        }
      }
      // The device events node saw both devices, each with its profile, and
      // each reporting the new model once it activated it.
      type Presence = { id: string; profile: string; model?: { name: string } | null };
      const presence = () => got.presence.map((m) => m.payload as Presence);
      for (const [id, profile] of [
        ['sim-1', 'rpi'],
        ['sim-esp32', 'esp32'],
      ]) {
        await until(
          () => presence().some((s) => s.id === id && s.model?.name === 'sine-fleet'),
          10000,
          `a presence event of ${id} running sine-fleet`,
        ).catch(async (err: Error) => {
          // Say what the node reported, what the fleet's registry holds and
          // what the device runs, so a failure can be diagnosed from the log.
          const seen = presence().map((s) => `${s.id}:${s.model?.name ?? 'none'}`);
          const fleet = (helper.getNode('tinyml_mixed_fleet') as unknown as FleetNode).fleet;
          const known = (await fleet.registry()).get(id);
          const device = devices.find((d) => d.id === id);
          throw new Error(
            `${err.message}; the node reported [${seen.join(', ')}]; the registry has ` +
              `${JSON.stringify(known?.model ?? null)} (online ${known?.online}); the device runs ` +
              `${device?.model?.name ?? 'none'} (connected ${device?.connected})`,
          );
        });
        const seen = presence().filter((s) => s.id === id);
        assert.ok(
          seen.every((s) => s.profile === profile),
          `${id}: ${seen.map((s) => s.profile)}`,
        );
      }
      assert.equal(devices[0].model?.name, 'sine-fleet');
      assert.equal(devices[1].model?.name, 'sine-fleet');
    });
  });
});
