/**
 * The demo as `npm start` runs it: Node-RED with this package's nodes and
 * flows/sine-hello-world.json, the embedded aedes broker and simulated
 * devices, started as a child process on free ports. With no click, a device
 * result must arrive on tinyml/devices/+/results within 60 s, within 0.1 of
 * sin(x); GET /nodes must list all six node types, and the flow must show
 * fleet events (a device-events node wired to a debug node).
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ROOT } from '../helpers/paths';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('demo: npm start runs the sine flow end to end', function () {
  this.timeout(120000);
  let child: ChildProcess;
  let output = '';

  after(() => {
    child?.kill('SIGTERM');
  });

  it('serves the editor, lists the nodes and a device result arrives within 60 s', async () => {
    const port = await freePort();
    const mqttPort = await freePort();
    const started = Date.now();
    child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js')], {
      env: {
        ...process.env,
        PORT: String(port),
        MQTT_PORT: String(mqttPort),
        TINYML_USER_DIR: mkdtempSync(join(tmpdir(), 'tinyml-nr-')),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));

    const client = await waitFor(
      () =>
        new Promise<mqtt.MqttClient | undefined>((resolve) => {
          const c = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, {
            reconnectPeriod: 0,
            connectTimeout: 1000,
          });
          c.once('connect', () => resolve(c));
          const giveUp = () => {
            c.end(true);
            resolve(undefined);
          };
          c.once('error', giveUp);
          c.once('close', giveUp);
        }),
      30000,
      `the broker (output: ${output})`,
    );
    try {
      const results: { x: number; y: number }[] = [];
      client.on('message', (_topic, payload) => {
        const r = JSON.parse(payload.toString());
        if (r.outputs) results.push({ x: r.input[0], y: r.outputs[0].data[0] });
      });
      await new Promise<void>((resolve, reject) =>
        client.subscribe('tinyml/devices/+/results', (err) => (err ? reject(err) : resolve())),
      );

      const nodes = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/nodes`, {
            headers: { Accept: 'application/json' },
          });
          if (!res.ok) return undefined;
          const list = (await res.json()) as { types: string[] }[];
          return list.some((m) => m.types.includes('tinyml-train')) ? list : undefined;
        },
        30000,
        'the editor',
      );
      const types = nodes.flatMap((m) => m.types);
      for (const t of [
        'tinyml-train',
        'tinyml-convert',
        'tinyml-optimize',
        'tinyml-deploy',
        'tinyml-infer',
        'tinyml-fleet',
      ]) {
        assert.ok(types.includes(t), `${t} missing from GET /nodes`);
      }
      // Presence and deploy progress are on show: a device-events node wired to a debug node.
      const res = await fetch(`http://127.0.0.1:${port}/flows`, {
        headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v1' },
      });
      const flow = (await res.json()) as { id: string; type: string; wires?: string[][] }[];
      const events = flow.find((n) => n.type === 'tinyml-device-events');
      assert.ok(events, 'the demo flow has no tinyml-device-events node');
      const wired = flow.filter((n) => events.wires?.[0]?.includes(n.id)).map((n) => n.type);
      assert.deepEqual(wired, ['debug']);

      await waitFor(
        async () => (results.length > 0 ? true : undefined),
        60000 - (Date.now() - started),
        `a result (output: ${output})`,
      );
      for (const r of results) {
        assert.ok(
          Math.abs(r.y - Math.sin(r.x)) < 0.1,
          `device said ${r.y} for x=${r.x}, sin(x)=${Math.sin(r.x)}`,
        );
      }
    } finally {
      client.end(true);
    }
  });
});
