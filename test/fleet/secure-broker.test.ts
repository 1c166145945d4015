/**
 * The production Mosquitto set-up of docs/fleet.md, run as written (paths and
 * port substituted): TLS with a CA made here by openssl, passwords by
 * mosquitto_passwd, and the per-device ACL. A signed deploy over mqtts
 * works; anonymous and wrong-password clients are refused; a device cannot
 * command another device, read its offers, or forge its status.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceAgent } from '../../src/device/agent';
import { MemoryStore } from '../../src/device/store';
import { sendCommand } from '../../src/fleet/commands';
import { deploy } from '../../src/fleet/deploy';
import { connectBroker, endClient, publish, type MqttClient } from '../../src/fleet/mqtt';
import { FleetRegistry } from '../../src/fleet/registry';
import { Topics } from '../../src/fleet/topics';
import { ROOT } from '../helpers/paths';
import { freePort, mosquittoBinary } from './brokers';
import { preload } from './harness';
import { sineModel } from './models';

/** The fenced block after `<!-- test:NAME -->` in docs/fleet.md. */
function docBlock(name: string): string {
  const doc = readFileSync(join(ROOT, 'docs', 'fleet.md'), 'utf8');
  const m = new RegExp(
    `<!-- test:${name.replace('.', '\\.')} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``,
  ).exec(doc);
  if (!m) throw new Error(`docs/fleet.md has no block marked test:${name}`);
  return m[1];
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

describe('the secure Mosquitto set-up of docs/fleet.md', function () {
  this.timeout(30000);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-secure-'));
  let proc: ChildProcess | undefined;
  let port = 0;
  let url = '';
  const clients: MqttClient[] = [];
  const devices: DeviceAgent[] = [];
  let ca: Buffer;

  before(async () => {
    const certs = join(dir, 'certs');
    mkdirSync(certs);
    openssl(
      certs,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=tinyml test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    openssl(
      certs,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(certs, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl(
      certs,
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
    ca = readFileSync(join(certs, 'ca.crt'));
    const passwd = join(dir, 'tinyml.passwd');
    writeFileSync(passwd, '');
    for (const [user, pw] of [
      ['nodered', 'nr-secret'],
      ['dev-1', 'pw-1'],
      ['dev-2', 'pw-2'],
    ]) {
      execFileSync('mosquitto_passwd', ['-b', passwd, user, pw], { stdio: 'pipe' });
    }
    writeFileSync(join(dir, 'tinyml.acl'), docBlock('tinyml.acl'));
    port = await freePort();
    const conf = docBlock('mosquitto.conf')
      .replaceAll('/etc/mosquitto/', `${dir}/`)
      .replace(/^listener 8883$/m, `listener ${port} 127.0.0.1`);
    writeFileSync(join(dir, 'mosquitto.conf'), conf);
    // Started as root, mosquitto drops to its own user, which must read these
    // (in production: /etc/mosquitto readable by the mosquitto group).
    for (const p of [dir, certs]) chmodSync(p, 0o755);
    for (const f of [
      'tinyml.passwd',
      'tinyml.acl',
      'certs/ca.crt',
      'certs/server.crt',
      'certs/server.key',
    ]) {
      chmodSync(join(dir, f), 0o644);
    }
    let output = '';
    proc = spawn(mosquittoBinary(), ['-c', join(dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 10000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (up) break;
      if (proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`mosquitto did not start with the documented config: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    url = `mqtts://localhost:${port}`;
  });

  after(async () => {
    await Promise.all(devices.map((d) => d.stop()));
    await Promise.all(clients.map((c) => endClient(c)));
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const login = async (username: string, password: string) => {
    const c = await connectBroker(url, { ca, username, password, reconnectPeriod: 0 }, 5000);
    clients.push(c);
    return c;
  };

  it('refuses anonymous clients and wrong passwords', async () => {
    await assert.rejects(connectBroker(url, { ca, reconnectPeriod: 0 }, 5000), /cannot connect/);
    await assert.rejects(
      connectBroker(url, { ca, username: 'dev-1', password: 'wrong', reconnectPeriod: 0 }, 5000),
      /cannot connect/,
    );
  });

  it('deploys a model over TLS with passwords, and a device cannot touch another device', async () => {
    const topics = new Topics();
    for (const [id, pw] of [
      ['dev-1', 'pw-1'],
      ['dev-2', 'pw-2'],
    ]) {
      const store = new MemoryStore();
      await preload(store, sineModel('1'), '1');
      const d = new DeviceAgent({
        broker: url,
        id,
        username: id,
        password: pw,
        mqtt: { ca },
        store,
        reconnectMs: 200,
      });
      await d.start();
      devices.push(d);
    }
    const nodered = await login('nodered', 'nr-secret');
    const registry = new FleetRegistry(nodered, topics);
    const v2 = sineModel('2', 2000);
    const result = await deploy({
      client: nodered,
      registry,
      model: v2,
      target: { device: 'dev-1' },
    });
    assert.equal(result.outcomes[0].state, 'active', result.outcomes[0].error);

    // dev-2 tries to roll dev-1 back, to read its offers and to forge its status.
    const intruder = await login('dev-2', 'pw-2');
    const overheard: string[] = [];
    intruder.on('message', (topic) => overheard.push(topic));
    await intruder.subscribeAsync([topics.offer('dev-1'), topics.cmd('dev-1')]);
    await publish(
      intruder,
      topics.cmd('dev-1'),
      JSON.stringify({ v: 1, cmd: 'rollback', requestId: 'evil' }),
    );
    await publish(
      intruder,
      topics.status('dev-1'),
      JSON.stringify({ v: 1, id: 'dev-1', online: false, ts: 1 }),
      { retain: true },
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(devices[0].model?.version, '2', 'the rollback from dev-2 was obeyed');
    assert.equal(registry.get('dev-1')?.online, true, 'dev-2 forged the status of dev-1');
    const third = await deploy({
      client: nodered,
      registry,
      model: sineModel('3', 100),
      target: { device: 'dev-1' },
    });
    assert.equal(third.outcomes[0].state, 'active');
    assert.deepEqual(overheard, [], 'dev-2 read the offers or commands of dev-1');

    // The same command from the deployer's user is obeyed.
    const reply = await sendCommand(nodered, topics, 'dev-1', 'rollback');
    assert.equal(reply.ok, true);
    assert.equal(reply.model?.version, '2');
    assert.equal(reply.previous?.version, '3');
  });
});
