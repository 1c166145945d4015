/**
 * The device side of protocol v1 without MQTT: the transfer state machine,
 * A/B slots, signature and compatibility checks, activation after a
 * self-test, rollback, and what the device reports. The agent (agent.ts)
 * feeds it messages one at a time and publishes what it reports; the ESP32
 * firmware implements the same machine (docs/protocol.md, "Device").
 *
 *   offer ─▶ receiving ─(manifest verified)─▶ receiving ─(all chunks)─▶ verifying
 *     │          │                                              │ sha256 ok
 *     ▼          ▼                                              ▼
 *   refused   refused (signature, compatibility)            testing ─(load + self-test)─▶ active
 *                                                               │
 *                                                               └─▶ failed (old model serves)
 *   a new offer, a cancel or a rollback in any unfinished state ─▶ cancelled
 *
 * What it refuses is in checks.ts, a transfer's chunk bookkeeping in
 * transfer.ts, and the A/B slots (activation, rollback, boot fallback) in
 * slots.ts; this file is the state machine that ties them together.
 */
import { decodeChunk } from '../fleet/chunk';
import {
  parseMessage,
  validateMessage,
  type ErrorCode,
  type ModelRef,
  type Offer,
  type Progress,
  type Reply,
} from '../fleet/messages';
import type { OpResolver } from '../runtime/resolver';
import { sha256Hex } from '../util/sha256';
import { answerCommand, type CommandHandlers } from './commands';
import { checkManifest, checkOffer, isRefusal, type DeviceLimits } from './checks';
import type { ModelRunner } from './runner';
import { Slots } from './slots';
import { Reports } from './reports';
import type { SlotStore } from './store';
import { isHeld, markHeld, newTransfer, restoredTransfer, type Transfer } from './transfer';

/** The device's limits (id, profile, topics, ops, public key: checks.ts) and its I/O. */
export interface CoreOptions extends DeviceLimits {
  store: SlotStore;
  resolver?: OpResolver;
  report: (p: Progress) => Promise<void>;
  /** Called after the serving model changed (the agent re-announces its status). */
  changed: () => Promise<void>;
  /** Called when a transfer starts or ends (the agent (un)subscribes the fan-out topic). */
  transferChanged?: (deployId: string, fanout: boolean, active: boolean) => Promise<void>;
  log?: (line: string) => void;
  /** Simulated flash write time (the ESP32 profile); resolves after `ms`. */
  sleep?: (ms: number) => Promise<void>;
}

export interface DeviceStats {
  chunks: number;
  duplicates: number;
  damaged: number;
  foreign: number;
  early: number;
  offers: number;
}

export class DeviceCore {
  private readonly slots: Slots;
  private transfer: Transfer | undefined;
  private readonly reports: Reports;
  readonly stats: DeviceStats = {
    chunks: 0,
    duplicates: 0,
    damaged: 0,
    foreign: 0,
    early: 0,
    offers: 0,
  };
  private flashFreeAt = 0;

  constructor(private readonly o: CoreOptions) {
    this.slots = new Slots(o.store, o.profile, o.resolver, (line) => this.log(line));
    this.reports = new Reports(o.store, o.report, () => this.model);
  }

  private log(line: string): void {
    this.o.log?.(`device ${this.o.id}: ${line}`);
  }

  get model(): ModelRef | null {
    return this.slots.model;
  }

  get previous(): ModelRef | null {
    return this.slots.previous;
  }

  get runner(): ModelRunner | undefined {
    return this.slots.runner;
  }

  /** Why the device fell back to the other slot at boot, if it did. */
  get bootRollback(): string | undefined {
    return this.slots.bootRollback;
  }

  get transferring(): { deployId: string; fanout: boolean } | undefined {
    const t = this.transfer;
    return t ? { deployId: t.offer.deployId, fanout: t.offer.fanout } : undefined;
  }

  // ---- boot ---------------------------------------------------------------

  /** Loads the serving model (or falls back), the final reports kept, and an unfinished transfer. */
  async boot(): Promise<void> {
    await this.slots.boot();
    await this.reports.load();
    await this.restoreTransfer();
  }

  private async restoreTransfer(): Promise<void> {
    const saved = await this.o.store.loadTransfer();
    if (!saved) return;
    let offer: Offer;
    try {
      offer = validateMessage('offer', saved.offer);
    } catch {
      await this.o.store.saveTransfer(null);
      return;
    }
    const t = restoredTransfer(offer, saved);
    if (!t) {
      await this.o.store.saveTransfer(null);
      return;
    }
    if (this.slots.serving === t.slot) {
      // Written into the slot that serves now (a rollback in between): never resume into it.
      this.log(`dropped the saved transfer ${offer.deployId}: its slot ${t.slot} serves`);
      await this.o.store.saveTransfer(null);
      return;
    }
    this.transfer = t;
    if (t.next >= offer.mChunks) {
      const manifest = checkManifest(offer, t.section, this.o);
      if (isRefusal(manifest)) {
        this.transfer = undefined;
        await this.o.store.saveTransfer(null);
        return;
      }
      t.manifest = manifest;
      // The slot was given up when the manifest was first verified; if the
      // device stopped right then, give it up now.
      if (this.slots.holds(t.slot) || t.have === offer.mChunks) {
        await this.slots.giveUp(t.slot, t.have === offer.mChunks ? offer.size : undefined);
      }
    }
    this.log(`resuming transfer ${offer.deployId}: ${t.have}/${t.layout.total} chunks held`);
    await this.o.transferChanged?.(offer.deployId, offer.fanout, true);
  }

  // ---- offers ---------------------------------------------------------------

  async onOffer(payload: Uint8Array): Promise<void> {
    let offer: Offer;
    try {
      offer = parseMessage('offer', payload);
    } catch (err) {
      this.log(`ignored invalid offer: ${(err as Error).message}`);
      return;
    }
    this.stats.offers++;
    const current = this.transfer;
    if (current && current.offer.deployId === offer.deployId) {
      // A repeated offer is the deployer's poll: say what we have (resume).
      return this.report(current);
    }
    if (await this.reports.repeat(offer.deployId)) return;

    const refusal = checkOffer(offer, this.o);
    if (refusal) return this.refuse(offer, refusal.code, refusal.error);
    if (current) await this.cancel(current, 'E_SUPERSEDED', `superseded by ${offer.deployId}`);

    const t = newTransfer(offer, this.slots.free);
    this.transfer = t;
    this.log(
      `offer ${offer.deployId}: ${offer.size} bytes in ${offer.chunks} chunks of ${offer.chunkSize} (+${offer.mChunks} manifest)`,
    );
    await this.o.transferChanged?.(offer.deployId, offer.fanout, true);
    await this.report(t);
  }

  private async refuse(offer: Offer, code: ErrorCode, error: string): Promise<void> {
    this.log(`refused ${offer.deployId}: ${error}`);
    await this.reports.refused(offer, code, error);
  }

  // ---- chunks ---------------------------------------------------------------

  async onChunk(payload: Uint8Array): Promise<void> {
    const t = this.transfer;
    this.stats.chunks++;
    if (!t || t.state !== 'receiving') {
      this.stats.foreign++;
      return;
    }
    t.counter++;
    let chunk;
    try {
      chunk = decodeChunk(payload);
    } catch (err) {
      this.stats.damaged++;
      this.log(`dropped a chunk: ${(err as Error).message}`);
      return this.maybeReport(t);
    }
    const { index, data } = chunk;
    if (chunk.deployId !== t.offer.deployId) {
      this.stats.foreign++;
      return this.maybeReport(t);
    }
    if (index >= t.layout.total || data.length !== t.layout.expectedLength(index)) {
      this.stats.damaged++;
      this.log(
        `dropped chunk ${index}: ${data.length} bytes, expected ${index < t.layout.total ? t.layout.expectedLength(index) : 'an index below ' + t.layout.total}`,
      );
      return this.maybeReport(t);
    }
    if (isHeld(t, index)) {
      this.stats.duplicates++;
      return this.maybeReport(t);
    }
    if (t.layout.isManifest(index)) {
      t.section.set(data, t.layout.sectionOffset(index));
    } else {
      // Model chunks wait for a verified manifest: nothing of an unsigned or
      // incompatible model is written to flash.
      if (!t.manifest) {
        this.stats.early++;
        return this.maybeReport(t);
      }
      await this.flashDelay(data.length);
      try {
        await this.o.store.write(t.slot, t.layout.sectionOffset(index), data);
      } catch (err) {
        return this.fail(t, 'E_STORAGE', `cannot write chunk ${index}: ${(err as Error).message}`);
      }
      if (this.transfer !== t) return; // superseded while writing
    }
    markHeld(t, index);

    if (!t.manifest && t.next >= t.offer.mChunks) {
      const manifest = checkManifest(t.offer, t.section, this.o);
      if (isRefusal(manifest)) {
        this.transfer = undefined;
        await this.o.store.saveTransfer(null);
        await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
        return this.refuse(t.offer, manifest.code, manifest.error);
      }
      t.manifest = manifest;
      // Only now is the other slot given up: a refused manifest leaves the
      // rollback target intact.
      await this.slots.giveUp(t.slot, t.offer.size);
    }
    if (t.have === t.layout.total) return this.finish(t);
    return this.maybeReport(t);
  }

  /**
   * The ESP32 profile's flash write time. A virtual flash clock: each write
   * ends writeMs after the previous one, so timer granularity does not slow
   * the simulated flash down.
   */
  private async flashDelay(bytes: number): Promise<void> {
    if (!this.o.profile.writeBps || !this.o.sleep) return;
    const now = Date.now();
    this.flashFreeAt = Math.max(now, this.flashFreeAt) + (bytes / this.o.profile.writeBps) * 1000;
    if (this.flashFreeAt - now >= 1) await this.o.sleep(this.flashFreeAt - now);
  }

  /** All chunks are here: verify, load, self-test, then switch slots. */
  private async finish(t: Transfer): Promise<void> {
    const m = t.manifest!;
    t.state = 'verifying';
    await this.report(t);
    const bytes = await this.o.store.read(t.slot, m.size);
    const sha = sha256Hex(bytes);
    if (sha !== m.sha256) {
      return this.fail(
        t,
        'E_SHA256',
        `sha256 of the received model is ${sha}, manifest says ${m.sha256}`,
        sha,
      );
    }
    t.state = 'testing';
    await this.report(t, { sha256: sha });
    let runner: ModelRunner;
    try {
      runner = this.slots.load(bytes);
    } catch (err) {
      return this.fail(t, 'E_LOAD', `model does not load: ${(err as Error).message}`, sha);
    }
    const problem = runner.selfTest();
    if (problem) return this.fail(t, 'E_SELFTEST', problem, sha);

    const ref: ModelRef = { name: m.name, version: m.version, sha256: sha, size: m.size };
    const before = this.slots.model;
    await this.slots.activate(t.slot, ref, runner);
    t.state = 'active';
    this.transfer = undefined;
    await this.o.store.saveTransfer(null);
    this.log(
      `model ${m.name} ${m.version} (${m.size} bytes) active in slot ${t.slot}` +
        (before ? `, replacing ${before.name} ${before.version}` : ''),
    );
    await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
    await this.report(t, { sha256: sha });
    await this.o.changed();
  }

  private async fail(t: Transfer, code: ErrorCode, error: string, sha256?: string): Promise<void> {
    this.log(`transfer ${t.offer.deployId} failed: ${error}; the serving model stays`);
    await this.end(t, 'failed');
    await this.report(t, { code, error, ...(sha256 ? { sha256 } : {}) });
    await this.o.changed();
  }

  private async cancel(t: Transfer, code: ErrorCode, error: string, report = true): Promise<void> {
    this.log(`transfer ${t.offer.deployId} cancelled: ${error}`);
    await this.end(t, 'cancelled');
    if (report) await this.report(t, { code, error });
  }

  /** Ends `t` in a final state, persistently, without reporting it yet. */
  private async end(t: Transfer, state: 'failed' | 'cancelled'): Promise<void> {
    t.state = state;
    if (this.transfer === t) this.transfer = undefined;
    await this.o.store.saveTransfer(null);
    await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
  }

  // ---- reports ----------------------------------------------------------------

  private maybeReport(t: Transfer): Promise<void> {
    return t.counter >= t.offer.ackEvery ? this.report(t) : Promise.resolve();
  }

  private report(t: Transfer, extra: Partial<Progress> = {}): Promise<void> {
    return this.reports.transfer(t, this.transfer === t, extra);
  }

  // ---- commands ----------------------------------------------------------------

  onCommand(payload: Uint8Array): Promise<Reply | undefined> {
    const log = (line: string) => this.log(line);
    return answerCommand(payload, this.commandHandlers, log);
  }

  private readonly commandHandlers: CommandHandlers = {
    model: () => this.model,
    previous: () => this.previous,
    cancel: async (deployId) => {
      const t = this.transfer;
      if (!t || (deployId && deployId !== t.offer.deployId)) {
        return `no transfer${deployId ? ` ${deployId}` : ''} in progress`;
      }
      await this.cancel(t, 'E_CANCELLED', 'cancelled on command');
      return undefined;
    },
    rollback: async () => {
      const transferring = this.transfer !== undefined;
      const error = await this.rollback();
      // A failed rollback that cancelled a transfer still changed what the status says.
      if (error && transferring) await this.o.changed();
      return error;
    },
  };

  /** Switches to the model in the other slot after verifying it; returns why not otherwise. */
  async rollback(): Promise<string | undefined> {
    if (!this.slots.model) return 'no model is active, nothing to roll back from';
    // An unfinished transfer writes the slot a rollback switches to, and would
    // replace the model the operator asked for moments later: the command
    // cancels it first, persistently, before the slot table changes — a crash
    // between the two then cannot leave a saved transfer aimed at the serving
    // slot. If its manifest had verified, the other slot was already given up
    // and the rollback itself fails, with the current model serving.
    // Its final report goes out after the switch, so that it names the model serving then.
    const pending = this.transfer;
    if (!pending) return this.switchBack();
    await this.cancel(pending, 'E_CANCELLED', 'cancelled by a rollback command', false);
    try {
      return await this.switchBack();
    } finally {
      await this.report(pending, { code: 'E_CANCELLED', error: 'cancelled by a rollback command' });
    }
  }

  private async switchBack(): Promise<string | undefined> {
    const error = await this.slots.switchBack();
    if (!error) await this.o.changed();
    return error;
  }
}
