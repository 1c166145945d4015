/**
 * A device's model storage: two slots (A/B) and a slot table saying which
 * one serves. A transfer writes only the slot that is not serving, so the
 * active model is never touched until the new one has been verified and
 * self-tested; switching is one atomic write of the table (as ESP-IDF's
 * otadata selects the boot slot). The table, an unfinished transfer's
 * state and the final reports of the last transfers are saved, so a
 * restarted device keeps its model, resumes, and still answers a deployer
 * that asks about a transfer it finished before the restart.
 *
 * MemoryStore is the ESP32 simulator's flash (it survives an agent restart
 * when the same store is given again); FileStore keeps everything in a
 * directory (the Raspberry Pi agent).
 */
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { progressSchema, type ModelRef, type Offer, type Progress } from '../fleet/messages';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';

export type SlotName = 'a' | 'b';

export interface SlotTable {
  active: SlotName | null;
  slots: { a: ModelRef | null; b: ModelRef | null };
}

/** An unfinished transfer: enough to resume after a restart. */
export interface SavedTransfer {
  offer: Offer;
  slot: SlotName;
  /** Bitmap of held chunks (bit i of byte i >> 3), base64. */
  held: string;
  /** The manifest section received so far, base64. */
  section: string;
}

export interface SlotStore {
  readTable(): Promise<SlotTable>;
  writeTable(table: SlotTable): Promise<void>;
  /** Prepares `slot` for `size` bytes (erases it). */
  erase(slot: SlotName, size: number): Promise<void>;
  write(slot: SlotName, offset: number, data: Uint8Array): Promise<void>;
  read(slot: SlotName, size: number): Promise<Uint8Array>;
  saveTransfer(t: SavedTransfer | null): Promise<void>;
  loadTransfer(): Promise<SavedTransfer | null>;
  /** The final reports of the last transfers, oldest first (docs/protocol.md §7.2 rule 2). */
  saveFinished(reports: Progress[]): Promise<void>;
  loadFinished(): Promise<Progress[]>;
}

/** Final reports a device keeps to answer a repeated offer (a poll) of a finished transfer. */
export const FINISHED_KEPT = 8;

export function emptyTable(): SlotTable {
  return { active: null, slots: { a: null, b: null } };
}

export function otherSlot(s: SlotName): SlotName {
  return s === 'a' ? 'b' : 'a';
}

export class MemoryStore implements SlotStore {
  private table = emptyTable();
  private readonly flash: Record<SlotName, Uint8Array> = {
    a: new Uint8Array(0),
    b: new Uint8Array(0),
  };
  private transfer: SavedTransfer | null = null;
  private finished: Progress[] = [];

  async readTable(): Promise<SlotTable> {
    return structuredClone(this.table);
  }
  async writeTable(table: SlotTable): Promise<void> {
    this.table = structuredClone(table);
  }
  async erase(slot: SlotName, size: number): Promise<void> {
    // NOR flash erases to 0xFF.
    this.flash[slot] = new Uint8Array(size).fill(0xff);
  }
  async write(slot: SlotName, offset: number, data: Uint8Array): Promise<void> {
    const f = this.flash[slot];
    if (offset + data.length > f.length) {
      throw new ValidationError(
        `write of ${data.length} bytes at ${offset} past the erased ${f.length} bytes of slot ${slot}`,
      );
    }
    f.set(data, offset);
  }
  async read(slot: SlotName, size: number): Promise<Uint8Array> {
    return this.flash[slot].slice(0, size);
  }
  async saveTransfer(t: SavedTransfer | null): Promise<void> {
    this.transfer = t ? structuredClone(t) : null;
  }
  async loadTransfer(): Promise<SavedTransfer | null> {
    return this.transfer ? structuredClone(this.transfer) : null;
  }
  async saveFinished(reports: Progress[]): Promise<void> {
    this.finished = structuredClone(reports);
  }
  async loadFinished(): Promise<Progress[]> {
    return structuredClone(this.finished);
  }
  /** Test hook: damage a stored slot as a flash fault would. */
  corrupt(slot: SlotName, offset: number): void {
    this.flash[slot][offset] ^= 0xff;
  }
}

const ref = {
  type: 'object',
  required: ['name', 'version', 'sha256', 'size'],
  properties: {
    name: { type: 'string' },
    version: { type: 'string' },
    sha256: { type: 'string' },
    size: { type: 'integer' },
  },
};
const slotRef = { anyOf: [{ type: 'null' }, ref] };
const validateTable = ajv.compile<SlotTable>({
  type: 'object',
  required: ['active', 'slots'],
  properties: {
    active: { enum: ['a', 'b', null] },
    slots: { type: 'object', required: ['a', 'b'], properties: { a: slotRef, b: slotRef } },
  },
});
const validateSaved = ajv.compile<SavedTransfer>({
  type: 'object',
  required: ['offer', 'slot', 'held', 'section'],
  properties: {
    offer: { type: 'object' },
    slot: { enum: ['a', 'b'] },
    held: { type: 'string' },
    section: { type: 'string' },
  },
});

const validateFinished = ajv.compile<Progress[]>({
  type: 'array',
  items: progressSchema,
  maxItems: FINISHED_KEPT,
});

export class FileStore implements SlotStore {
  constructor(readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, name);
  }
  private slotPath(slot: SlotName): string {
    return this.path(`slot-${slot}.tflite`);
  }

  /** Write-then-rename: a crash leaves the old file or the new one, never half of one. */
  private async atomicWrite(name: string, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = this.path(`${name}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path(name));
  }

  private async readJson<T>(name: string, validate: Parameters<typeof check<T>>[0]) {
    let text: string;
    try {
      text = await readFile(this.path(name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return check<T>(validate, JSON.parse(text), `${this.path(name)}`);
  }

  async readTable(): Promise<SlotTable> {
    try {
      return (await this.readJson<SlotTable>('slots.json', validateTable)) ?? emptyTable();
    } catch {
      // A damaged table cannot say which slot is good: start empty rather
      // than serve a model nobody can vouch for.
      return emptyTable();
    }
  }
  writeTable(table: SlotTable): Promise<void> {
    return this.atomicWrite('slots.json', JSON.stringify(table));
  }
  async erase(slot: SlotName, size: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const fh = await open(this.slotPath(slot), 'w');
    try {
      await fh.truncate(size);
    } finally {
      await fh.close();
    }
  }
  async write(slot: SlotName, offset: number, data: Uint8Array): Promise<void> {
    const fh = await open(this.slotPath(slot), 'r+');
    try {
      await fh.write(data, 0, data.length, offset);
    } finally {
      await fh.close();
    }
  }
  async read(slot: SlotName, size: number): Promise<Uint8Array> {
    const bytes = new Uint8Array(await readFile(this.slotPath(slot)));
    return bytes.subarray(0, size);
  }
  async saveTransfer(t: SavedTransfer | null): Promise<void> {
    if (t) await this.atomicWrite('transfer.json', JSON.stringify(t));
    else await rm(this.path('transfer.json'), { force: true });
  }
  async loadTransfer(): Promise<SavedTransfer | null> {
    try {
      return (await this.readJson<SavedTransfer>('transfer.json', validateSaved)) ?? null;
    } catch {
      return null; // an unreadable record only costs a restart of the transfer
    }
  }
  saveFinished(reports: Progress[]): Promise<void> {
    return this.atomicWrite('finished.json', JSON.stringify(reports));
  }
  async loadFinished(): Promise<Progress[]> {
    try {
      return (await this.readJson<Progress[]>('finished.json', validateFinished)) ?? [];
    } catch {
      // Unreadable: the device answers a poll of a finished transfer as a new
      // offer, which costs a transfer again, never a wrong outcome.
      return [];
    }
  }
  /** Test hook: damage a stored slot as a disk fault would. */
  async corrupt(slot: SlotName, offset: number): Promise<void> {
    const bytes = new Uint8Array(await readFile(this.slotPath(slot)));
    bytes[offset] ^= 0xff;
    await writeFile(this.slotPath(slot), bytes);
  }
}
