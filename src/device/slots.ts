/**
 * The device's A/B slots in use (docs/protocol.md §7.2 rules 4, 5 and 8):
 * which slot serves and its loaded model, activation after a sha256 check
 * and a self-test, the switch as one write of the slot table, giving up the
 * other slot for a transfer, rollback, and the fallback at boot when the
 * serving slot is damaged. The bytes live in a SlotStore (store.ts).
 */
import type { ModelRef } from '../fleet/messages';
import type { OpResolver } from '../runtime/resolver';
import { sha256Hex } from '../util/sha256';
import type { Profile } from './profiles';
import { ModelRunner } from './runner';
import { emptyTable, otherSlot, type SlotName, type SlotStore, type SlotTable } from './store';

interface Active {
  slot: SlotName;
  ref: ModelRef;
  runner: ModelRunner;
}

export class Slots {
  private table: SlotTable = emptyTable();
  private active: Active | undefined;
  /** Why the device fell back to the other slot at boot, if it did. */
  bootRollback: string | undefined;

  constructor(
    private readonly store: SlotStore,
    private readonly profile: Profile,
    private readonly resolver: OpResolver | undefined,
    private readonly log: (line: string) => void,
  ) {}

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

  /** The slot a new transfer writes: the one not serving. */
  get free(): SlotName {
    return this.active ? otherSlot(this.active.slot) : 'a';
  }

  get serving(): SlotName | undefined {
    return this.active?.slot;
  }

  holds(slot: SlotName): boolean {
    return this.table.slots[slot] !== null;
  }

  /** Loads the serving model from its slot, falling back to the other slot if it is damaged. */
  async boot(): Promise<void> {
    this.table = await this.store.readTable();
    const first = this.table.active;
    if (!first) return;
    const problem = await this.tryActivate(first);
    if (!problem) return;
    this.log(`slot ${first} cannot serve: ${problem}`);
    this.table.slots[first] = null;
    const other = otherSlot(first);
    const fallback = this.table.slots[other] ? await this.tryActivate(other) : 'empty';
    this.table.active = fallback ? null : other;
    await this.store.writeTable(this.table);
    if (!fallback) {
      this.bootRollback = `slot ${first} ${problem}; rolled back to ${this.active!.ref.name} ${this.active!.ref.version}`;
      this.log(this.bootRollback);
    }
  }

  /** Reads, verifies and self-tests a slot; on success it serves. Returns why not otherwise. */
  private async tryActivate(slot: SlotName): Promise<string | undefined> {
    const ref = this.table.slots[slot];
    if (!ref) return 'is empty';
    let bytes: Uint8Array;
    try {
      bytes = await this.store.read(slot, ref.size);
    } catch (err) {
      return `cannot be read: ${(err as Error).message}`;
    }
    const sha = sha256Hex(bytes);
    if (sha !== ref.sha256) return `has sha256 ${sha}, expected ${ref.sha256}`;
    let runner: ModelRunner;
    try {
      runner = this.load(bytes);
    } catch (err) {
      return `does not load: ${(err as Error).message}`;
    }
    const problem = runner.selfTest();
    if (problem) return problem;
    this.active = { slot, ref, runner };
    return undefined;
  }

  /** A runner with the device's arena; throws when the model does not load. */
  load(bytes: Uint8Array): ModelRunner {
    return new ModelRunner(bytes, this.profile.arenaBytes, this.resolver);
  }

  /**
   * Marks `slot` empty, persistently (a transfer's verified manifest gives up
   * the rollback target), and erases it for `eraseBytes` when given.
   */
  async giveUp(slot: SlotName, eraseBytes?: number): Promise<void> {
    this.table.slots[slot] = null;
    await this.store.writeTable(this.table);
    if (eraseBytes !== undefined) await this.store.erase(slot, eraseBytes);
  }

  /** The switch: one atomic write of the slot table makes `slot` serve `ref`. */
  async activate(slot: SlotName, ref: ModelRef, runner: ModelRunner): Promise<void> {
    this.table.slots[slot] = ref;
    this.table.active = slot;
    await this.store.writeTable(this.table);
    this.active = { slot, ref, runner };
    this.bootRollback = undefined;
  }

  /** Switches to the model in the other slot after verifying it; returns why not otherwise. */
  async switchBack(): Promise<string | undefined> {
    if (!this.active) return 'no model is active, nothing to roll back from';
    const current = this.active;
    const other = otherSlot(current.slot);
    const target = this.table.slots[other];
    if (!target) return 'the other slot holds no model to roll back to';
    const problem = await this.tryActivate(other);
    if (problem) {
      this.active = current;
      this.table.slots[other] = null;
      await this.store.writeTable(this.table);
      return `the previous model in slot ${other} ${problem}`;
    }
    this.table.active = other;
    await this.store.writeTable(this.table);
    this.log(`rolled back to ${target.name} ${target.version} (slot ${other})`);
    return undefined;
  }
}
