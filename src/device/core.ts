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
 */
import type { KeyObject } from 'node:crypto';
import { decodeChunk } from '../fleet/chunk';
import { publishPacketBytes } from '../fleet/geometry';
import { TransferLayout } from '../fleet/layout';
import {
  FINAL_STATES,
  MAX_MISSING,
  PROTOCOL_VERSION,
  parseMessage,
  validateMessage,
  type Command,
  type ErrorCode,
  type Manifest,
  type ModelRef,
  type Offer,
  type Progress,
  type Reply,
  type TransferState,
} from '../fleet/messages';
import { verifyBytes } from '../fleet/signing';
import type { Topics } from '../fleet/topics';
import type { OpResolver } from '../runtime/resolver';
import { sha256Hex } from '../util/sha256';
import type { Profile } from './profiles';
import { ModelRunner } from './runner';
import {
  FINISHED_KEPT,
  otherSlot,
  type SavedTransfer,
  type SlotName,
  type SlotStore,
  type SlotTable,
} from './store';

export interface CoreOptions {
  id: string;
  profile: Profile;
  store: SlotStore;
  topics: Topics;
  /** Ops the device's interpreter registers. */
  ops: string[];
  resolver?: OpResolver;
  /** When set, only manifests signed with the matching private key are accepted. */
  publicKey?: KeyObject;
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

interface Active {
  slot: SlotName;
  ref: ModelRef;
  runner: ModelRunner;
}

interface Transfer {
  offer: Offer;
  layout: TransferLayout;
  slot: SlotName;
  held: Uint8Array;
  have: number;
  next: number;
  high: number;
  section: Uint8Array;
  manifest?: Manifest;
  state: TransferState;
  /** Chunk messages since the last report. */
  counter: number;
}

export class DeviceCore {
  private table: SlotTable = { active: null, slots: { a: null, b: null } };
  private active: Active | undefined;
  private transfer: Transfer | undefined;
  private readonly finished = new Map<string, Progress>();
  readonly stats: DeviceStats = {
    chunks: 0,
    duplicates: 0,
    damaged: 0,
    foreign: 0,
    early: 0,
    offers: 0,
  };
  private flashFreeAt = 0;
  /** Why the device fell back to the other slot at boot, if it did. */
  bootRollback: string | undefined;

  constructor(private readonly o: CoreOptions) {}

  private log(line: string): void {
    this.o.log?.(`device ${this.o.id}: ${line}`);
  }

  get model(): ModelRef | null {
    return this.active?.ref ?? null;
  }

  get previous(): ModelRef | null {
    if (!this.active) return null;
    return this.table.slots[otherSlot(this.active.slot)];
  }

  get runner(): ModelRunner | undefined {
    return this.active?.runner;
  }

  get transferring(): { deployId: string; fanout: boolean } | undefined {
    const t = this.transfer;
    return t ? { deployId: t.offer.deployId, fanout: t.offer.fanout } : undefined;
  }

  // ---- boot ---------------------------------------------------------------

  /** Loads the serving model from its slot, falling back to the other slot if it is damaged. */
  async boot(): Promise<void> {
    this.table = await this.o.store.readTable();
    const first = this.table.active;
    if (first) {
      const problem = await this.tryActivate(first);
      if (problem) {
        this.log(`slot ${first} cannot serve: ${problem}`);
        this.table.slots[first] = null;
        const other = otherSlot(first);
        const fallback = this.table.slots[other] ? await this.tryActivate(other) : 'empty';
        this.table.active = fallback ? null : other;
        await this.o.store.writeTable(this.table);
        if (!fallback) {
          this.bootRollback = `slot ${first} ${problem}; rolled back to ${this.active!.ref.name} ${this.active!.ref.version}`;
          this.log(this.bootRollback);
        }
      }
    }
    for (const p of await this.o.store.loadFinished()) this.finished.set(p.deployId, p);
    await this.restoreTransfer();
  }

  /** Reads, verifies and self-tests a slot; on success it serves. Returns why not otherwise. */
  private async tryActivate(slot: SlotName): Promise<string | undefined> {
    const ref = this.table.slots[slot];
    if (!ref) return 'is empty';
    let bytes: Uint8Array;
    try {
      bytes = await this.o.store.read(slot, ref.size);
    } catch (err) {
      return `cannot be read: ${(err as Error).message}`;
    }
    const sha = sha256Hex(bytes);
    if (sha !== ref.sha256) return `has sha256 ${sha}, expected ${ref.sha256}`;
    let runner: ModelRunner;
    try {
      runner = new ModelRunner(bytes, this.o.profile.arenaBytes, this.o.resolver);
    } catch (err) {
      return `does not load: ${(err as Error).message}`;
    }
    const problem = runner.selfTest();
    if (problem) return problem;
    this.active = { slot, ref, runner };
    return undefined;
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
    const t = this.newTransfer(offer, saved.slot);
    const held = Buffer.from(saved.held, 'base64');
    const section = Buffer.from(saved.section, 'base64');
    if (held.length !== t.held.length || section.length !== t.section.length) {
      await this.o.store.saveTransfer(null);
      return;
    }
    t.held.set(held);
    t.section.set(section);
    for (let i = 0; i < t.layout.total; i++) {
      if (isHeld(t.held, i)) {
        t.have++;
        t.high = i + 1;
      }
    }
    if (this.active?.slot === t.slot) {
      // Written into the slot that serves now (a rollback in between): never resume into it.
      this.log(`dropped the saved transfer ${offer.deployId}: its slot ${t.slot} serves`);
      await this.o.store.saveTransfer(null);
      return;
    }
    advanceNext(t);
    this.transfer = t;
    if (t.next >= offer.mChunks) {
      const refusal = this.checkManifest(t);
      if (refusal) {
        this.transfer = undefined;
        await this.o.store.saveTransfer(null);
        return;
      }
      // The slot was given up when the manifest was first verified; if the
      // device stopped right then, give it up now.
      if (this.table.slots[t.slot] || t.have === offer.mChunks) {
        this.table.slots[t.slot] = null;
        await this.o.store.writeTable(this.table);
        if (t.have === offer.mChunks) await this.o.store.erase(t.slot, offer.size);
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
    const done = this.finished.get(offer.deployId);
    if (done) return this.o.report({ ...done, serving: this.model, ts: Date.now() });

    const refusal = this.checkOffer(offer);
    if (refusal) return this.refuse(offer, refusal.code, refusal.error);
    if (current) await this.cancel(current, 'E_SUPERSEDED', `superseded by ${offer.deployId}`);

    const slot = this.active ? otherSlot(this.active.slot) : 'a';
    const t = this.newTransfer(offer, slot);
    this.transfer = t;
    this.log(
      `offer ${offer.deployId}: ${offer.size} bytes in ${offer.chunks} chunks of ${offer.chunkSize} (+${offer.mChunks} manifest)`,
    );
    await this.o.transferChanged?.(offer.deployId, offer.fanout, true);
    await this.report(t);
  }

  private newTransfer(offer: Offer, slot: SlotName): Transfer {
    const layout = new TransferLayout(offer);
    return {
      offer,
      layout,
      slot,
      held: new Uint8Array(Math.ceil(layout.total / 8)),
      have: 0,
      next: 0,
      high: 0,
      section: new Uint8Array(layout.manifestSectionBytes),
      state: 'receiving',
      counter: 0,
    };
  }

  private checkOffer(offer: Offer): { code: ErrorCode; error: string } | undefined {
    const p = this.o.profile;
    const inconsistent = TransferLayout.problem(offer);
    if (inconsistent) return { code: 'E_PROTOCOL', error: inconsistent };
    if (offer.window > p.window) {
      return {
        code: 'E_PROTOCOL',
        error: `window of ${offer.window} chunks exceeds the device's ${p.window}`,
      };
    }
    const topics = [this.o.topics.chunk(this.o.id)];
    if (offer.fanout) topics.push(this.o.topics.fanout(offer.deployId));
    for (const topic of topics) {
      const bytes = publishPacketBytes(topic, 16 + offer.chunkSize);
      if (bytes > p.maxPacket) {
        return {
          code: 'E_PACKET',
          error: `a ${offer.chunkSize}-byte chunk on ${topic} makes a ${bytes}-byte packet; the device takes ${p.maxPacket}`,
        };
      }
    }
    if (offer.size > p.flashBytes) {
      return {
        code: 'E_TOO_BIG',
        error: `model of ${offer.size} bytes does not fit the ${p.flashBytes}-byte model slot`,
      };
    }
    if (this.o.publicKey && !offer.signed) {
      return {
        code: 'E_SIGNATURE',
        error: 'the device accepts only signed manifests; this offer is unsigned',
      };
    }
    return undefined;
  }

  private async refuse(offer: Offer, code: ErrorCode, error: string): Promise<void> {
    this.log(`refused ${offer.deployId}: ${error}`);
    const p = this.progressOf(offer.deployId, 'refused', {
      next: 0,
      have: 0,
      high: 0,
      total: offer.mChunks + offer.chunks,
    });
    await this.remember({ ...p, code, error });
    await this.o.report({ ...p, code, error });
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
    if (isHeld(t.held, index)) {
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
      if (this.o.profile.writeBps && this.o.sleep) {
        // A virtual flash clock: each write ends writeMs after the previous
        // one, so timer granularity does not slow the simulated flash down.
        const now = Date.now();
        this.flashFreeAt =
          Math.max(now, this.flashFreeAt) + (data.length / this.o.profile.writeBps) * 1000;
        if (this.flashFreeAt - now >= 1) await this.o.sleep(this.flashFreeAt - now);
      }
      try {
        await this.o.store.write(t.slot, t.layout.sectionOffset(index), data);
      } catch (err) {
        return this.fail(t, 'E_STORAGE', `cannot write chunk ${index}: ${(err as Error).message}`);
      }
      if (this.transfer !== t) return; // superseded while writing
    }
    markHeld(t.held, index);
    t.have++;
    t.high = Math.max(t.high, index + 1);
    advanceNext(t);

    if (!t.manifest && t.next >= t.offer.mChunks) {
      const refusal = this.checkManifest(t);
      if (refusal) {
        this.transfer = undefined;
        await this.o.store.saveTransfer(null);
        await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
        return this.refuse(t.offer, refusal.code, refusal.error);
      }
      // Only now is the other slot given up: a refused manifest leaves the
      // rollback target intact.
      this.table.slots[t.slot] = null;
      await this.o.store.writeTable(this.table);
      await this.o.store.erase(t.slot, t.offer.size);
    }
    if (t.have === t.layout.total) return this.finish(t);
    return this.maybeReport(t);
  }

  /** Parses and checks the manifest section; sets t.manifest when it is good. */
  private checkManifest(t: Transfer): { code: ErrorCode; error: string } | undefined {
    const { offer } = t;
    const json = t.section.subarray(0, offer.mSize);
    let manifest: Manifest;
    try {
      manifest = parseMessage('manifest', json);
    } catch (err) {
      return { code: 'E_MANIFEST', error: (err as Error).message };
    }
    for (const k of ['deployId', 'size', 'chunkSize', 'chunks'] as const) {
      if (manifest[k] !== offer[k]) {
        return {
          code: 'E_MANIFEST',
          error: `manifest ${k} ${manifest[k]} differs from the offer's ${offer[k]}`,
        };
      }
    }
    if (this.o.publicKey) {
      const sig = t.section.subarray(offer.mSize, offer.mSize + 64);
      if (!offer.signed || !verifyBytes(this.o.publicKey, json, sig)) {
        return {
          code: 'E_SIGNATURE',
          error: "manifest signature does not verify with the device's public key",
        };
      }
    }
    const p = this.o.profile;
    if (manifest.arenaBytes > p.arenaBytes) {
      return {
        code: 'E_ARENA',
        error: `model needs a ${manifest.arenaBytes}-byte arena; the device has ${p.arenaBytes}`,
      };
    }
    const unsupported = manifest.ops.filter((op) => !this.o.ops.includes(op));
    if (unsupported.length) {
      return {
        code: 'E_OPS',
        error: `ops not supported by the device: ${unsupported.join(', ')}`,
      };
    }
    t.manifest = manifest;
    return undefined;
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
      runner = new ModelRunner(bytes, this.o.profile.arenaBytes, this.o.resolver);
    } catch (err) {
      return this.fail(t, 'E_LOAD', `model does not load: ${(err as Error).message}`, sha);
    }
    const problem = runner.selfTest();
    if (problem) return this.fail(t, 'E_SELFTEST', problem, sha);

    const ref: ModelRef = { name: m.name, version: m.version, sha256: sha, size: m.size };
    const before = this.active?.ref;
    this.table.slots[t.slot] = ref;
    this.table.active = t.slot;
    await this.o.store.writeTable(this.table); // the switch: one atomic write
    this.active = { slot: t.slot, ref, runner };
    this.bootRollback = undefined;
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
    t.state = 'failed';
    if (this.transfer === t) this.transfer = undefined;
    await this.o.store.saveTransfer(null);
    await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
    await this.report(t, { code, error, ...(sha256 ? { sha256 } : {}) });
    await this.o.changed();
  }

  private async cancel(t: Transfer, code: ErrorCode, error: string, report = true): Promise<void> {
    this.log(`transfer ${t.offer.deployId} cancelled: ${error}`);
    t.state = 'cancelled';
    if (this.transfer === t) this.transfer = undefined;
    await this.o.store.saveTransfer(null);
    await this.o.transferChanged?.(t.offer.deployId, t.offer.fanout, false);
    if (report) await this.report(t, { code, error });
  }

  // ---- reports ----------------------------------------------------------------

  private maybeReport(t: Transfer): Promise<void> {
    return t.counter >= t.offer.ackEvery ? this.report(t) : Promise.resolve();
  }

  private progressOf(
    deployId: string,
    state: TransferState,
    n: Pick<Progress, 'next' | 'have' | 'high' | 'total'>,
  ): Progress {
    return {
      v: PROTOCOL_VERSION,
      deployId,
      state,
      ...n,
      serving: this.model,
      ts: Date.now(),
    };
  }

  private async report(t: Transfer, extra: Partial<Progress> = {}): Promise<void> {
    t.counter = 0;
    const p = this.progressOf(t.offer.deployId, t.state, {
      next: t.next,
      have: t.have,
      high: t.high,
      total: t.layout.total,
    });
    const missing: number[] = [];
    for (let i = t.next; i < t.high && missing.length < MAX_MISSING; i++) {
      if (!isHeld(t.held, i)) missing.push(i);
    }
    if (missing.length) p.missing = missing;
    Object.assign(p, extra);
    if (FINAL_STATES.includes(p.state)) await this.remember(p);
    else if (this.transfer === t) await this.o.store.saveTransfer(saved(t));
    await this.o.report(p);
  }

  /**
   * Keeps a final report, on the store too: a deployer that polls after the
   * device restarted (its final report was lost, or the deployer itself was
   * restarted, §8.8) hears the real outcome instead of starting a new
   * transfer of a model that may already serve. Saved before it is sent.
   */
  private async remember(p: Progress): Promise<void> {
    this.finished.delete(p.deployId);
    this.finished.set(p.deployId, p);
    if (this.finished.size > FINISHED_KEPT) {
      this.finished.delete(this.finished.keys().next().value as string);
    }
    await this.o.store.saveFinished([...this.finished.values()]);
  }

  // ---- commands ----------------------------------------------------------------

  async onCommand(payload: Uint8Array): Promise<Reply | undefined> {
    let cmd: Command;
    try {
      cmd = parseMessage('command', payload);
    } catch (err) {
      this.log(`ignored invalid command: ${(err as Error).message}`);
      return undefined;
    }
    const reply = (ok: boolean, error?: string): Reply => ({
      v: PROTOCOL_VERSION,
      requestId: cmd.requestId,
      cmd: cmd.cmd,
      ok,
      ...(error ? { error } : {}),
      model: this.model,
      previous: this.previous,
      ts: Date.now(),
    });
    switch (cmd.cmd) {
      case 'status':
        return reply(true);
      case 'cancel': {
        const t = this.transfer;
        if (!t || (cmd.deployId && cmd.deployId !== t.offer.deployId)) {
          return reply(false, `no transfer${cmd.deployId ? ` ${cmd.deployId}` : ''} in progress`);
        }
        await this.cancel(t, 'E_CANCELLED', 'cancelled on command');
        return reply(true);
      }
      case 'rollback': {
        const transferring = this.transfer !== undefined;
        const error = await this.rollback();
        // A failed rollback that cancelled a transfer still changed what the status says.
        if (error && transferring) await this.o.changed();
        return reply(!error, error);
      }
    }
  }

  /** Switches to the model in the other slot after verifying it; returns why not otherwise. */
  async rollback(): Promise<string | undefined> {
    if (!this.active) return 'no model is active, nothing to roll back from';
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
    const current = this.active!;
    const other = otherSlot(current.slot);
    const target = this.table.slots[other];
    if (!target) return 'the other slot holds no model to roll back to';
    const problem = await this.tryActivate(other);
    if (problem) {
      this.active = current;
      this.table.slots[other] = null;
      await this.o.store.writeTable(this.table);
      return `the previous model in slot ${other} ${problem}`;
    }
    this.table.active = other;
    await this.o.store.writeTable(this.table);
    this.log(`rolled back to ${target.name} ${target.version} (slot ${other})`);
    await this.o.changed();
    return undefined;
  }
}

function isHeld(bits: Uint8Array, i: number): boolean {
  return (bits[i >> 3] & (1 << (i & 7))) !== 0;
}

function markHeld(bits: Uint8Array, i: number): void {
  bits[i >> 3] |= 1 << (i & 7);
}

function advanceNext(t: Transfer): void {
  while (t.next < t.layout.total && isHeld(t.held, t.next)) t.next++;
}

function saved(t: Transfer): SavedTransfer {
  return {
    offer: t.offer,
    slot: t.slot,
    held: Buffer.from(t.held).toString('base64'),
    section: Buffer.from(t.section).toString('base64'),
  };
}
