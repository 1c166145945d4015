/**
 * The deployer's view of one device during a transfer: which chunks the
 * device has confirmed, which are in flight, and which to send next —
 * selective repeat with a window (as TCP with SACK, RFC 2018): the device's
 * progress report says `next` (everything below is stored), `high` and up to
 * 32 `missing` indices; a chunk not confirmed within the retransmission
 * timeout (rto) is sent again, on the device's own topic. Pure bookkeeping,
 * no MQTT: deploy.ts drives it.
 */
import { MAX_MISSING, type Progress } from './messages';

export class Link {
  private readonly held: Uint8Array;
  private readonly sentOnce: Uint8Array;
  private heldCount = 0;
  /** Lowest index not confirmed. */
  next = 0;
  /** Chunk index → when it was last sent. */
  readonly inflight = new Map<number, number>();
  /** When the confirmed count last grew. */
  lastAdvance: number;
  sent = 0;
  resent = 0;

  constructor(
    readonly total: number,
    readonly window: number,
    now: number,
  ) {
    this.held = new Uint8Array(total);
    this.sentOnce = new Uint8Array(total);
    this.lastAdvance = now;
  }

  get confirmed(): number {
    return this.heldCount;
  }

  get complete(): boolean {
    return this.heldCount === this.total;
  }

  isHeld(i: number): boolean {
    return this.held[i] === 1;
  }

  private mark(i: number): void {
    if (this.held[i]) return;
    this.held[i] = 1;
    this.heldCount++;
    this.inflight.delete(i);
  }

  /** Takes in a progress report; returns true when it confirmed new chunks. */
  update(p: Progress, now: number): boolean {
    if (p.total !== this.total) return false;
    if (p.have < this.heldCount || p.next < this.next) {
      // The device lost what it had (a restart without its saved state):
      // believe this report alone.
      this.held.fill(0);
      this.heldCount = 0;
      this.next = 0;
      this.inflight.clear();
    }
    const before = this.heldCount;
    for (let i = this.next; i < p.next; i++) this.mark(i);
    const missing = p.missing ?? [];
    // A full list may have been cut at MAX_MISSING: past its last entry we know nothing.
    const known = missing.length >= MAX_MISSING ? missing[missing.length - 1] : p.high;
    let m = 0;
    for (let i = p.next; i < known; i++) {
      while (m < missing.length && missing[m] < i) m++;
      if (missing[m] === i) continue;
      this.mark(i);
    }
    while (this.next < this.total && this.held[this.next]) this.next++;
    if (this.heldCount > before) {
      this.lastAdvance = now;
      return true;
    }
    return false;
  }

  /** Forgets chunks sent longer than `rtoMs` ago and still unconfirmed: they are lost. */
  expire(now: number, rtoMs: number): void {
    for (const [i, at] of this.inflight) if (now - at > rtoMs) this.inflight.delete(i);
  }

  get room(): number {
    return this.window - this.inflight.size;
  }

  /** Up to `room` indices below `limit` that are neither confirmed nor in flight. */
  wanted(limit: number): number[] {
    const out: number[] = [];
    let room = this.room;
    for (let i = this.next; i < limit && room > 0; i++) {
      if (this.held[i] || this.inflight.has(i)) continue;
      out.push(i);
      room--;
    }
    return out;
  }

  markSent(i: number, now: number): void {
    this.inflight.set(i, now);
    this.sent++;
    if (this.sentOnce[i]) this.resent++;
    this.sentOnce[i] = 1;
  }
}
