/**
 * The brokers every fleet test runs against: aedes embedded in this process
 * (the project's default) and Mosquitto (Debian package `mosquitto`), started
 * on a free loopback port with its own config file and stopped afterwards.
 * Both can be restarted on the same port to test a broker outage. A missing
 * mosquitto binary fails the suite: it is never skipped silently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type EmbeddedBroker } from '../../src/fleet/broker';

export interface TestBroker {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops the broker, waits `downMs`, starts it again on the same port (no persistence). */
  restart(downMs?: number): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startAedes(): Promise<TestBroker> {
  let broker: EmbeddedBroker = await startBroker(0);
  const port = broker.port;
  return {
    name: 'aedes',
    url: broker.url,
    port,
    stop: () => broker.close(),
    async restart(downMs = 200) {
      await broker.close();
      await sleep(downMs);
      broker = await startBroker(port);
    },
  };
}

export function mosquittoBinary(): string {
  const found = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find(
    (p) => existsSync(p),
  );
  if (!found) {
    throw new Error(
      'mosquitto is not installed: apt-get install mosquitto (the fleet suite runs against it)',
    );
  }
  return found;
}

export async function startMosquitto(): Promise<TestBroker> {
  const bin = mosquittoBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // As in docs/fleet.md: small request/response packets must not wait for Nagle.
      'set_tcp_nodelay true',
      // Large enough for the test's publish bursts (default 1000 queued per client).
      'max_queued_messages 10000',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    output = '';
    proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 10000;
    while (!(await canConnect(port))) {
      if (proc.exitCode !== null) {
        throw new Error(`mosquitto exited with ${proc.exitCode}: ${output.trim()}`);
      }
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}: ${output}`);
      await sleep(25);
    }
  };
  const halt = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    await Promise.race([exited, sleep(3000).then(() => p.kill('SIGKILL'))]);
    await exited;
  };
  await launch();
  return {
    name: 'mosquitto',
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 200) {
      await halt();
      await sleep(downMs);
      await launch();
    },
  };
}

export const BROKERS: { name: string; start: () => Promise<TestBroker> }[] = [
  { name: 'aedes', start: startAedes },
  { name: 'mosquitto', start: startMosquitto },
];

/**
 * One contract suite, run once per broker (as MQTT.js runs abstract_client
 * for each protocol version): `body` declares the tests, `broker()` is the
 * running broker of the current run.
 */
export function forEachBroker(title: string, body: (broker: () => TestBroker) => void): void {
  for (const b of BROKERS) {
    describe(`${title} [${b.name}]`, function () {
      let broker: TestBroker | undefined;
      before(async () => {
        broker = await b.start();
      });
      body(() => {
        if (!broker) throw new Error(`${b.name} did not start`);
        return broker;
      });
      // Registered after the body's hooks, so it runs after them (mocha runs
      // `after` hooks in order): devices and clients go first.
      after(async () => {
        await broker?.stop();
      });
    });
  }
}
