/**
 * Deploys a model to a device, a list of devices, a group or the whole
 * fleet (docs/protocol.md, "Delivery"):
 *
 * 1. resolve the targets from the registry (retained statuses);
 * 2. check each one's compatibility — flash, arena, ops, packet size,
 *    signature — and refuse the incompatible with the reason, sending them
 *    nothing;
 * 3. size chunks for the smallest packet limit among the rest, build the
 *    manifest (signed when a key is given) and the chunks once;
 * 4. deliver in waves (a staged rollout): each wave is offered, fanned out
 *    and repaired by Delivery; when more than `maxFailureRate` of a wave
 *    fails, the rollout stops and the remaining devices are skipped (they
 *    keep their model).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { ackEveryFor, Bundle } from './bundle';
import { checkCompatibility } from './compat';
import { Delivery, type DeployEvent, type DeviceOutcome, type Tamper } from './delivery';
import { chunkSizeFor, DEFAULT_MAX_CHUNK, publishPacketBytes } from './geometry';
import type { DeviceStatus, ModelRef, Offer } from './messages';
import { sectionOf, type DeployState } from './deploy-state';
import { describeModel, type ModelInfo } from './model-info';
import { subscribe } from './mqtt';
import { FleetRegistry } from './registry';
import { findTargets, validateTarget, waveSizes, type DeployTarget } from './targets';
import { Topics } from './topics';
import { FleetError } from '../errors';

export type { DeployEvent, DeviceOutcome, Tamper } from './delivery';

export interface DeployOptions {
  client: MqttClient;
  model: Uint8Array;
  target: DeployTarget;
  prefix?: string;
  /** A running registry on the same client (the fleet node shares one); else one is made. */
  registry?: FleetRegistry;
  name?: string;
  version?: string;
  /** Ed25519 private key: the manifest is signed. */
  key?: KeyObject;
  /** The whole deployment's deadline. Default 120 s. */
  timeoutMs?: number;
  /** Retransmission timeout for chunks and offers. Default 1000 ms. */
  rtoMs?: number;
  /** A device that answers nothing for this long is given up. Default 30 s. */
  stallMs?: number;
  /** How long at most to wait for retained statuses of a group or all. Default 3000 ms. */
  discoverMs?: number;
  /** Upper bound of chunk data bytes; the devices' packet limits may lower it. */
  maxChunk?: number;
  /** Upper bound of the window; each device's own window may lower it. */
  window?: number;
  /** Staged rollout: cumulative shares of the targets per wave, e.g. [0.1, 1]. Default [1]. */
  waves?: number[];
  /** Stop the rollout when more than this share of a wave fails. Default 0.25. */
  maxFailureRate?: number;
  onEvent?: (e: DeployEvent) => void;
  /** Fault injection for tests: rewrite what is published. */
  tamper?: Tamper;
  /**
   * Where unfinished deployments are remembered: a deployer restarted with
   * the same model and target continues the saved deployment (same deployId,
   * the same manifest bytes) and each device resumes from what it holds.
   */
  state?: DeployState;
  /**
   * With `state`: who owns the saved deployment (e.g. a Node-RED node id).
   * The model is then kept beside it, so that the owner can resume it by
   * itself after a restart (DeployState.owned, readModel).
   */
  stateOwner?: string;
  /**
   * Stops the deployment: devices keep their unfinished transfer, the saved
   * state is kept, and deploy() rejects. A later deploy() with the same state
   * continues it (Node-RED closing a node, a process shutting down).
   */
  signal?: AbortSignal;
}

export interface DeployResult {
  deployId: string;
  model: ModelRef;
  chunkSize: number;
  /** Chunks per device: manifest section + model. */
  chunks: number;
  signed: boolean;
  outcomes: DeviceOutcome[];
  /** Every target active. */
  ok: boolean;
  /** Why a staged rollout stopped early. */
  stopped?: string;
  /** This run continued a deployment saved by an earlier, interrupted one. */
  resumed: boolean;
  stats: { publishes: number; chunkPublishes: number; bytes: number };
  durationMs: number;
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  validateTarget(opts.target);
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 120000;
  const deadline = started + timeoutMs;
  const topics = new Topics(opts.prefix ?? opts.registry?.topics.prefix);
  const registry = opts.registry ?? new FleetRegistry(opts.client, topics);
  const info = describeModel(opts.model, { name: opts.name, version: opts.version });
  let deployId = randomBytes(4).toString('hex');
  const outcomes = new Map<string, DeviceOutcome>();
  const emit = (o: DeviceOutcome) => {
    outcomes.set(o.deviceId, o);
    opts.onEvent?.({ kind: 'outcome', outcome: o });
  };
  const bare = (deviceId: string, s?: DeviceStatus): Omit<DeviceOutcome, 'state'> => ({
    deviceId,
    serving: s?.model ?? null,
    chunksSent: 0,
    chunksResent: 0,
    durationMs: Date.now() - started,
  });

  // 1. Targets.
  await registry.start();
  await subscribe(opts.client, topics.allProgress(), 1);
  const t = opts.target;
  const { statuses, missing } = await findTargets(t, registry, timeoutMs, opts.discoverMs);
  for (const id of missing) {
    emit({
      ...bare(id, registry.get(id)),
      state: 'offline',
      code: 'E_OFFLINE',
      error: `device ${id} was not online within ${timeoutMs} ms; nothing was sent`,
    });
  }

  // 2. Compatibility, before anything is sent.
  const compatible = (s: DeviceStatus): boolean => {
    const problems = checkCompatibility(s, info, Boolean(opts.key));
    if (problems.length === 0) return true;
    emit({
      ...bare(s.id, s),
      state: 'refused',
      code: problems[0].code,
      error: `${problems.map((p) => p.reason).join('; ')}; nothing was sent`,
    });
    return false;
  };
  const members = 'group' in t || 'all' in t;
  const offlineMembers: DeviceStatus[] = [];
  const candidates: DeviceStatus[] = [];
  for (const s of statuses) {
    if (!s.online && members) {
      // Reported at the end, unless it comes back in time to join (step 5).
      offlineMembers.push(s);
      continue;
    }
    if (!s.online) {
      emit({
        ...bare(s.id, s),
        state: 'offline',
        code: 'E_OFFLINE',
        error: `device ${s.id} is offline; nothing was sent`,
      });
      continue;
    }
    if (compatible(s)) candidates.push(s);
  }

  // 3. Geometry and bundle.
  const fanout = candidates.length > 1;
  const chunkTopics = (id: string) =>
    fanout ? [topics.chunk(id), topics.fanout(deployId)] : [topics.chunk(id)];
  const chunkRoom = (s: DeviceStatus) =>
    chunkSizeFor(s.caps!.maxPacket, chunkTopics(s.id), opts.maxChunk ?? DEFAULT_MAX_CHUNK);
  const sized = candidates.map((s) => ({ s, size: chunkRoom(s) }));
  const tooSmall = (s: DeviceStatus, what: string) =>
    emit({
      ...bare(s.id, s),
      state: 'refused',
      code: 'E_PACKET',
      error: `a ${s.caps!.maxPacket}-byte packet limit leaves no room for ${what} on ${chunkTopics(s.id)[0]}; nothing was sent`,
    });
  for (const { s } of sized.filter((x) => x.size === 0)) tooSmall(s, 'a chunk');
  let ready = sized.filter((x) => x.size > 0);
  let chunkSize = ready.length ? Math.min(...ready.map((x) => x.size)) : 16;
  // A saved run of this deployment (the deployer was restarted): continue it
  // with the same id and manifest bytes if its chunks still fit every device.
  const saved =
    opts.state && ready.length
      ? await opts.state.find(
          info.sha256,
          opts.target,
          opts.key,
          (s) => s.fanout === fanout && s.chunkSize <= chunkSize,
        )
      : undefined;
  if (saved) {
    deployId = saved.deployId;
    chunkSize = saved.chunkSize;
    opts.onEvent?.({ kind: 'resume', deployId });
  }
  const bundle = new Bundle({
    deployId,
    model: opts.model,
    info,
    chunkSize,
    window: 1,
    fanout,
    key: opts.key,
    resume: saved ? sectionOf(saved) : undefined,
  });
  if (opts.state && ready.length && !saved) {
    const section = Buffer.concat([bundle.manifestBytes, bundle.signature]);
    await opts.state.save({
      deployId,
      sha256: info.sha256,
      target: opts.target,
      chunkSize,
      fanout,
      mSize: bundle.manifestBytes.length,
      section: section.toString('base64'),
      savedAt: Date.now(),
      ...(opts.stateOwner ? { owner: opts.stateOwner } : {}),
    });
    if (opts.stateOwner) await opts.state.saveModel(deployId, opts.model);
  }
  const offers = new Map<string, Offer>();
  const offerFor = (s: DeviceStatus): Offer | undefined => {
    const window = Math.max(1, Math.min(s.caps!.window, opts.window ?? 64));
    const offer: Offer = {
      ...bundle.offer,
      window,
      ackEvery: ackEveryFor(window, bundle.total),
    };
    const bytes = publishPacketBytes(topics.offer(s.id), Buffer.byteLength(JSON.stringify(offer)));
    if (bytes > s.caps!.maxPacket) {
      emit({
        ...bare(s.id, s),
        state: 'refused',
        code: 'E_PACKET',
        error: `the offer makes a ${bytes}-byte packet; the device takes ${s.caps!.maxPacket}; nothing was sent`,
      });
      return undefined;
    }
    offers.set(s.id, offer);
    return offer;
  };
  ready = ready.filter(({ s }) => offerFor(s) !== undefined);

  // 4. Waves.
  const stats = { publishes: 0, chunkPublishes: 0, bytes: 0 };
  const order = ready.map((x) => x.s.id).sort();
  const sizes = waveSizes(order.length, opts.waves);
  const maxFailureRate = opts.maxFailureRate ?? 0.25;
  let stopped: string | undefined;
  let at = 0;
  const runWave = (wave: string[]) =>
    new Delivery({
      client: opts.client,
      topics,
      registry,
      bundle,
      offers,
      rtoMs: opts.rtoMs ?? 1000,
      stallMs: opts.stallMs ?? 30000,
      deadline,
      stats,
      onEvent: opts.onEvent,
      tamper: opts.tamper,
      signal: opts.signal,
    })
      .run(wave)
      .then((results) => {
        if (opts.signal?.aborted) {
          throw new FleetError(
            `deployment ${deployId} stopped before it ended; devices keep what they received${opts.state ? ', and it continues when started again' : ''}`,
          );
        }
        return results;
      });
  for (let w = 0; w < sizes.length; w++) {
    const wave = order.slice(at, at + sizes[w]);
    at += sizes[w];
    opts.onEvent?.({ kind: 'wave', index: w, devices: wave });
    const results = await runWave(wave);
    for (const o of results) outcomes.set(o.deviceId, o);
    const failed = results.filter((o) => o.state !== 'active' && o.state !== 'cancelled');
    if (w < sizes.length - 1 && failed.length / wave.length > maxFailureRate) {
      stopped = `wave ${w + 1}: ${failed.length} of ${wave.length} devices failed (more than ${Math.round(maxFailureRate * 100)}%); the rollout stopped`;
      opts.onEvent?.({ kind: 'stopped', reason: stopped });
      for (const id of order.slice(at)) {
        emit({
          ...bare(id, registry.get(id)),
          state: 'skipped',
          code: 'E_STOPPED',
          error: `${stopped}; nothing was sent`,
        });
      }
      break;
    }
  }

  /** A late member passes the checks of steps 2 and 3 against the bundle already built. */
  const admit = (s: DeviceStatus): boolean => {
    if (!compatible(s)) return false;
    if (chunkRoom(s) >= bundle.offer.chunkSize) return true;
    tooSmall(s, `this deployment's ${bundle.offer.chunkSize}-byte chunks`);
    return false;
  };

  // 5. Late members of a group (or of all): a device whose online status
  // arrived after the targets were fixed — it came online while the
  // deployment was planned or running, or was offline at discovery and came
  // back — gets this same deployment in one more wave, once: every id is
  // served at most once per deployment (docs/protocol.md §8.9).
  if (members) {
    const considered = new Set([...order, ...outcomes.keys()]);
    const latecomers = () =>
      ('group' in t ? registry.group(t.group) : registry.list()).filter(
        (s) => s.online && !considered.has(s.id),
      );
    let index = sizes.length;
    for (let late = latecomers(); late.length && !stopped && Date.now() < deadline;) {
      const wave: string[] = [];
      for (const s of late) {
        considered.add(s.id);
        if (admit(s) && offerFor(s)) wave.push(s.id);
      }
      if (wave.length) {
        opts.onEvent?.({ kind: 'wave', index: index++, devices: wave, late: true });
        for (const o of await runWave(wave)) outcomes.set(o.deviceId, o);
      }
      late = latecomers();
    }
    // Members that came online too late to be served still get one outcome
    // each: a deploy result never leaves a member of its target unaccounted.
    for (const s of latecomers()) {
      emit({
        ...bare(s.id, s),
        ...(stopped
          ? {
              state: 'skipped',
              code: 'E_STOPPED',
              error: `came online late; ${stopped}; nothing was sent`,
            }
          : {
              state: 'timeout',
              code: 'E_TIMEOUT',
              error: `came online after the deployment's ${timeoutMs} ms deadline; nothing was sent`,
            }),
      });
    }
    for (const s of offlineMembers.filter((x) => !outcomes.has(x.id))) {
      emit({
        ...bare(s.id, registry.get(s.id)),
        state: 'offline',
        code: 'E_OFFLINE',
        error: `device ${s.id} was offline during the deployment; nothing was sent`,
      });
    }
  }

  // Every device reached its end (or the deadline): nothing is left to resume.
  await opts.state?.remove(deployId);
  const all = [...outcomes.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  const result: DeployResult = {
    deployId,
    model: modelRef(info),
    chunkSize,
    chunks: bundle.total,
    signed: bundle.offer.signed,
    outcomes: all,
    ok: all.length > 0 && all.every((o) => o.state === 'active'),
    resumed: saved !== undefined,
    stats,
    durationMs: Date.now() - started,
  };
  if (stopped) result.stopped = stopped;
  return result;
}

function modelRef(info: ModelInfo): ModelRef {
  return { name: info.name, version: info.version, sha256: info.sha256, size: info.size };
}
