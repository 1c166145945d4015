/**
 * `npm start`: the whole product on one machine. Starts the embedded MQTT
 * broker on loopback (MQTT_PORT, default 1883), two simulated devices
 * (sim-1: Raspberry Pi profile, sim-esp32: ESP32 profile), and Node-RED
 * (PORT, default 1880) with this package's nodes and the sine demo flow, which
 * trains, converts, deploys to sim-1 and shows its results without a click.
 * The Node-RED user directory is .node-red/ in the project (git-ignored).
 */
import {
  existsSync,
  mkdirSync,
  copyFileSync,
  symlinkSync,
  writeFileSync,
  lstatSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { startBroker } from '../src/fleet/broker';
import { DeviceAgent } from '../src/device/agent';

const root = join(__dirname, '..', '..');
const userDir = process.env.TINYML_USER_DIR ?? join(root, '.node-red');

function prepareUserDir(): string {
  mkdirSync(join(userDir, 'node_modules'), { recursive: true });
  // Node-RED finds node packages in its user directory's node_modules: link
  // this project there, so the editor shows it as node-red-contrib-tinyml.
  const link = join(userDir, 'node_modules', 'node-red-contrib-tinyml');
  if (!existsSync(link)) {
    try {
      lstatSync(link);
    } catch {
      symlinkSync(root, link, 'dir');
    }
  }
  const pkg = join(userDir, 'package.json');
  if (!existsSync(pkg)) {
    writeFileSync(pkg, JSON.stringify({ name: 'tinyml-demo-userdir', private: true }, null, 2));
  }
  const flowFile = join(userDir, 'flows.json');
  if (!existsSync(flowFile) || process.env.TINYML_RESET_FLOWS) {
    copyFileSync(join(root, 'flows', 'sine-hello-world.json'), flowFile);
  }
  return flowFile;
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 1880);
  const mqttPort = Number(process.env.MQTT_PORT ?? 1883);
  const broker = await startBroker(mqttPort);
  process.env.TINYML_BROKER = broker.url;
  console.log(`tinyml: MQTT broker (aedes) at ${broker.url}`);

  const log = (line: string) => console.log(`tinyml: ${line}`);
  const devices = [
    new DeviceAgent({ broker: broker.url, id: 'sim-1', profile: 'rpi', group: 'demo', log }),
    new DeviceAgent({ broker: broker.url, id: 'sim-esp32', profile: 'esp32', group: 'demo', log }),
  ];
  for (const d of devices) await d.start();

  const flowFile = prepareUserDir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red');
  const app = express();
  const server = createServer(app);
  RED.init(server, {
    userDir,
    flowFile,
    uiPort: port,
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET ?? 'tinyml-demo',
    logging: {
      console: { level: process.env.NODE_RED_LOG ?? 'info', metrics: false, audit: false },
    },
    editorTheme: { projects: { enabled: false }, tours: false },
    // The demo runs offline: no first-start prompt to send telemetry and
    // check for updates (Node-RED 4's settings.js "telemetry" section).
    telemetry: { enabled: false },
  });
  app.use('/', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  // Listen only once the palette and flows are loaded, so the editor never
  // shows a half-loaded runtime.
  await RED.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  console.log(`tinyml: Node-RED editor at http://127.0.0.1:${port}/`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await RED.stop();
    server.close();
    for (const d of devices) await d.stop();
    await broker.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`tinyml: cannot start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
