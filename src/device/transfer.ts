/**
 * One transfer as the device holds it (docs/protocol.md §7): the offer, the
 * slot it writes, the bitmap of held chunks with its `next`/`have`/`high`
 * counters, the manifest section received so far, and what survives a
 * restart of it (store.ts SavedTransfer). No I/O here: core.ts drives it.
 */
import { TransferLayout } from '../fleet/layout';
import { MAX_MISSING, type Manifest, type Offer, type TransferState } from '../fleet/messages';
import type { SavedTransfer, SlotName } from './store';

export interface Transfer {
  offer: Offer;
  layout: TransferLayout;
  slot: SlotName;
  /** Bit i of byte i >> 3: chunk i is held. */
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

export function newTransfer(offer: Offer, slot: SlotName): Transfer {
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

export function isHeld(t: Transfer, i: number): boolean {
  return (t.held[i >> 3] & (1 << (i & 7))) !== 0;
}

/** Marks chunk `index` held and moves the counters. */
export function markHeld(t: Transfer, index: number): void {
  t.held[index >> 3] |= 1 << (index & 7);
  t.have++;
  t.high = Math.max(t.high, index + 1);
  advanceNext(t);
}

function advanceNext(t: Transfer): void {
  while (t.next < t.layout.total && isHeld(t, t.next)) t.next++;
}

/** Up to MAX_MISSING ascending indices in [next, high) not held (the selective acknowledgement). */
export function missingOf(t: Transfer): number[] {
  const missing: number[] = [];
  for (let i = t.next; i < t.high && missing.length < MAX_MISSING; i++) {
    if (!isHeld(t, i)) missing.push(i);
  }
  return missing;
}

export function savedOf(t: Transfer): SavedTransfer {
  return {
    offer: t.offer,
    slot: t.slot,
    held: Buffer.from(t.held).toString('base64'),
    section: Buffer.from(t.section).toString('base64'),
  };
}

/** A saved transfer back in memory, or undefined when its bitmap or section do not fit its offer. */
export function restoredTransfer(offer: Offer, saved: SavedTransfer): Transfer | undefined {
  const t = newTransfer(offer, saved.slot);
  const held = Buffer.from(saved.held, 'base64');
  const section = Buffer.from(saved.section, 'base64');
  if (held.length !== t.held.length || section.length !== t.section.length) return undefined;
  t.held.set(held);
  t.section.set(section);
  for (let i = 0; i < t.layout.total; i++) {
    if (isHeld(t, i)) {
      t.have++;
      t.high = i + 1;
    }
  }
  advanceNext(t);
  return t;
}
