/**
 * The transfer engine of one deployment wave: offers to every device, chunks
 * fanned out once to all of them through the broker, per-device repair of
 * what each one misses, and the wait for each device's final state.
 *
 * Flow control: a chunk goes out only while every pacing device has fewer
 * than its window of unconfirmed chunks in flight, so the slowest
 * responsive device sets the pace and none is flooded. A device that stops
 * confirming for two retransmission timeouts stops pacing the group (one
 * stuck device must not stall a hundred) and is served by repairs on its own
 * topic instead. Repairs always go first: they are what devices wait for.
 *
 * Who retries: the deployer, always. A repeated offer is a poll — the device
 * answers with what it holds, which is how a transfer resumes after either
 * side lost its connection. Devices never retry; they only answer.
 */
import type { MqttClient } from 'mqtt';
import type { Bundle } from './bundle';
import { Link } from './link';
import {
  PROTOCOL_VERSION,
  parseMessage,
  type ErrorCode,
  type ModelRef,
  type Offer,
  type Progress,
  type TransferState,
} from './messages';
import type { FleetRegistry } from './registry';
import type { Topics } from './topics';

export type OutcomeState =
  'active' | 'failed' | 'refused' | 'cancelled' | 'timeout' | 'offline' | 'skipped';

export interface DeviceOutcome {
  deviceId: string;
  state: OutcomeState;
  code?: ErrorCode | 'E_TIMEOUT' | 'E_OFFLINE' | 'E_STOPPED';
  error?: string;
  /** sha256 the device computed (when it got that far). */
  sha256?: string;
  /** The model the device last said it serves. */
  serving: ModelRef | null;
  chunksSent: number;
  chunksResent: number;
  durationMs: number;
}

export type DeployEvent =
  /** late: members of a group that came online after the targets were fixed. */
  | { kind: 'wave'; index: number; devices: string[]; late?: boolean }
  | {
      kind: 'progress';
      deviceId: string;
      state: TransferState | 'offered';
      have: number;
      total: number;
    }
  | { kind: 'outcome'; outcome: DeviceOutcome }
  /** The deployment continues a saved one (deploy-state.ts) under its deployId. */
  | { kind: 'resume'; deployId: string }
  | { kind: 'stopped'; reason: string };

/** A test or proxy may change what is published: return the payloads to send instead. */
export type Tamper = (topic: string, payload: Buffer) => Buffer[];

export interface DeliveryStats {
  publishes: number;
  chunkPublishes: number;
  /** Payload bytes of every publish (offers, chunks, commands). */
  bytes: number;
}

export interface DeliveryContext {
  client: MqttClient;
  topics: Topics;
  registry: FleetRegistry;
  bundle: Bundle;
  /** The offer for each device (its own window). */
  offers: Map<string, Offer>;
  rtoMs: number;
  stallMs: number;
  deadline: number;
  /** Aborted: stop at once, leaving devices their unfinished transfer (a restart resumes it). */
  signal?: AbortSignal;
  stats: DeliveryStats;
  onEvent?: (e: DeployEvent) => void;
  tamper?: Tamper;
}

type Phase = 'offering' | 'receiving' | 'finishing' | 'done';

interface Target {
  id: string;
  offer: Offer;
  link: Link;
  phase: Phase;
  started: number;
  lastOffer: number;
  lastHeard: number;
  serving: ModelRef | null;
  outcome?: DeviceOutcome;
}

/** How long the first broadcast waits for every online device to answer its offer. */
const GATHER_MS = 3000;

/** Publishes the broker has not acknowledged yet, at most (MQTT.js queues the rest in memory). */
const MAX_PENDING = 128;

export class Delivery {
  private readonly targets = new Map<string, Target>();
  private bcastHigh = 0;
  private pending = 0;
  private offeredAt = 0;
  private pumpQueued = false;

  constructor(private readonly c: DeliveryContext) {}

  run(ids: string[]): Promise<DeviceOutcome[]> {
    const c = this.c;
    const now = Date.now();
    for (const id of ids) {
      const offer = c.offers.get(id)!;
      this.targets.set(id, {
        id,
        offer,
        link: new Link(c.bundle.total, offer.window, now, c.rtoMs, offer.ackEvery),
        phase: 'offering',
        started: now,
        lastOffer: 0,
        lastHeard: now,
        serving: c.registry.get(id)?.model ?? null,
      });
    }
    return new Promise((resolve) => {
      const onMessage = (topic: string, payload: Buffer) => {
        if (c.topics.kindOf(topic) !== 'progress') return;
        const t = this.targets.get(c.topics.deviceOf(topic)!);
        if (!t || t.phase === 'done') return;
        let p: Progress;
        try {
          p = parseMessage('progress', payload);
        } catch {
          return;
        }
        if (p.deployId !== c.bundle.offer.deployId) return;
        this.onProgress(t, p);
      };
      const onStatus = (s: { id: string; online: boolean }) => {
        const t = this.targets.get(s.id);
        // Back online (or reconnected): poll at once, the device resumes from what it has.
        if (t && t.phase !== 'done' && s.online) this.sendOffer(t);
      };
      const finishAll = () => {
        clearInterval(timer);
        c.client.off('message', onMessage);
        c.registry.off('status', onStatus);
        resolve(ids.map((id) => this.targets.get(id)!.outcome!));
      };
      const tick = () => {
        this.tick();
        if ([...this.targets.values()].every((t) => t.phase === 'done')) finishAll();
      };
      c.client.on('message', onMessage);
      c.registry.on('status', onStatus);
      const timer = setInterval(tick, Math.max(20, Math.min(100, c.rtoMs / 4)));
      for (const t of this.targets.values()) this.sendOffer(t);
      this.offeredAt = Date.now();
      tick();
    });
  }

  private online(t: Target): boolean {
    return this.c.registry.get(t.id)?.online !== false;
  }

  private tick(): void {
    const c = this.c;
    const now = Date.now();
    for (const t of this.targets.values()) {
      if (t.phase === 'done') continue;
      if (c.signal?.aborted) {
        // No cancel: the device keeps what it has for the deployer's restart.
        this.finish(t, {
          state: 'skipped',
          code: 'E_STOPPED',
          error: `the deployer stopped (${t.link.confirmed}/${t.link.total} chunks confirmed)`,
        });
        continue;
      }
      if (now > c.deadline) {
        this.finish(t, {
          state: this.online(t) ? 'timeout' : 'offline',
          code: this.online(t) ? 'E_TIMEOUT' : 'E_OFFLINE',
          error: `${this.online(t) ? 'not finished' : 'offline'} when the deployment timed out (${t.link.confirmed}/${t.link.total} chunks confirmed)`,
        });
        continue;
      }
      if (!this.online(t)) {
        t.lastHeard = now; // silence while offline is not a stall
        continue;
      }
      if (now - t.lastHeard > c.stallMs) {
        this.finish(t, {
          state: 'timeout',
          code: 'E_TIMEOUT',
          error: `no answer for ${c.stallMs} ms (${t.link.confirmed}/${t.link.total} chunks confirmed)`,
        });
        continue;
      }
      // Offer again while unanswered; poll when reports stopped coming.
      const rto = t.link.rto;
      if (now - t.lastOffer > rto && (t.phase === 'offering' || now - t.lastHeard > rto)) {
        this.sendOffer(t);
      }
    }
    this.pump();
  }

  private sendOffer(t: Target): void {
    t.lastOffer = Date.now();
    this.publish(this.c.topics.offer(t.id), Buffer.from(JSON.stringify(t.offer)), false);
    this.c.onEvent?.({
      kind: 'progress',
      deviceId: t.id,
      state: 'offered',
      have: t.link.confirmed,
      total: t.link.total,
    });
  }

  private onProgress(t: Target, p: Progress): void {
    const now = Date.now();
    t.lastHeard = now;
    t.serving = p.serving;
    const before = t.link.confirmed;
    const prevPhase = t.phase;
    switch (p.state) {
      case 'receiving':
        t.phase = 'receiving';
        t.link.update(p, now);
        break;
      case 'verifying':
      case 'testing':
        t.phase = 'finishing';
        t.link.update(p, now);
        break;
      case 'active': {
        const expected = this.c.bundle.manifest.sha256;
        if (p.sha256 !== expected) {
          this.finish(t, {
            state: 'failed',
            code: 'E_SHA256',
            error: `device reported sha256 ${p.sha256 ?? 'none'}, expected ${expected}`,
            sha256: p.sha256,
          });
        } else this.finish(t, { state: 'active', sha256: p.sha256 });
        return;
      }
      default:
        this.finish(t, {
          state: p.state,
          code: p.code,
          error: p.error ?? `device reported ${p.state}`,
          sha256: p.sha256,
        });
        return;
    }
    if (t.phase !== prevPhase || t.link.confirmed !== before) {
      this.c.onEvent?.({
        kind: 'progress',
        deviceId: t.id,
        state: p.state,
        have: t.link.confirmed,
        total: t.link.total,
      });
    }
    this.schedulePump();
  }

  private finish(t: Target, o: Partial<DeviceOutcome> & Pick<DeviceOutcome, 'state'>): void {
    if (t.phase === 'done') return;
    t.phase = 'done';
    t.outcome = {
      deviceId: t.id,
      serving: t.serving,
      chunksSent: t.link.sent,
      chunksResent: t.link.resent,
      durationMs: Date.now() - t.started,
      ...o,
    };
    if (o.state === 'timeout' && this.online(t)) {
      // Best effort: the device drops the unfinished transfer and keeps serving.
      const cmd = {
        v: PROTOCOL_VERSION,
        cmd: 'cancel',
        requestId: `cancel-${this.c.bundle.offer.deployId}`,
        deployId: this.c.bundle.offer.deployId,
      };
      this.publish(this.c.topics.cmd(t.id), Buffer.from(JSON.stringify(cmd)), false);
    }
    this.c.onEvent?.({ kind: 'outcome', outcome: t.outcome });
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    const c = this.c;
    const now = Date.now();
    const receiving: Target[] = [];
    for (const t of this.targets.values()) {
      if (t.phase !== 'receiving' || !this.online(t)) continue;
      t.link.expire(now);
      receiving.push(t);
    }
    // Repairs first. A chunk one device misses goes on its own topic; a
    // chunk several miss (devices that accepted the offer after the first
    // broadcast, a burst lost at the broker) goes once more on the fan-out
    // topic, as reliable multicast repairs do: holders count a duplicate.
    const wants = receiving.map((t) => ({ t, chunks: t.link.wanted(this.bcastHigh) }));
    const missing = new Map<number, number>();
    if (c.bundle.offer.fanout) {
      for (const w of wants) for (const i of w.chunks) missing.set(i, (missing.get(i) ?? 0) + 1);
    }
    const rebroadcast = new Set<number>();
    for (const { t, chunks } of wants) {
      for (const i of chunks) {
        if ((missing.get(i) ?? 0) < 2) {
          if (this.pending >= MAX_PENDING) return;
          this.publish(c.topics.chunk(t.id), c.bundle.chunk(i), true);
        } else if (!rebroadcast.has(i)) {
          if (this.pending >= MAX_PENDING) return;
          this.publish(c.topics.fanout(c.bundle.offer.deployId), c.bundle.chunk(i), true);
          rebroadcast.add(i);
        }
        t.link.markSent(i, now);
      }
    }
    // New chunks: once for everyone, when every pacing device has room.
    const gathering = [...this.targets.values()].some(
      (t) => t.phase === 'offering' && this.online(t),
    );
    // Let every device accept (and subscribe to the fan-out topic) first: one
    // that joins late gets everything already broadcast as repairs.
    if (gathering && now - this.offeredAt < GATHER_MS) return;
    const pacing = receiving.filter(
      (t) => t.link.inflight.size === 0 || now - t.link.lastAdvance < 2 * t.link.rto,
    );
    if (pacing.length === 0) return;
    const topic = c.bundle.offer.fanout
      ? c.topics.fanout(c.bundle.offer.deployId)
      : c.topics.chunk(pacing[0].id);
    while (
      this.bcastHigh < c.bundle.total &&
      this.pending < MAX_PENDING &&
      pacing.every((t) => t.link.room > 0)
    ) {
      const i = this.bcastHigh++;
      // A resumed transfer: what every pacing device already holds is not sent again.
      const need = pacing.filter((t) => !t.link.isHeld(i));
      if (need.length === 0) continue;
      this.publish(topic, c.bundle.chunk(i), true);
      for (const t of need) t.link.markSent(i, now);
    }
  }

  private publish(topic: string, payload: Buffer, isChunk: boolean): void {
    const c = this.c;
    const payloads = c.tamper ? c.tamper(topic, payload) : [payload];
    for (const p of payloads) {
      c.stats.publishes++;
      c.stats.bytes += p.length;
      if (isChunk) c.stats.chunkPublishes++;
      this.pending++;
      c.client.publish(topic, p, { qos: 1 }, () => {
        this.pending--;
        this.schedulePump();
      });
    }
  }
}
