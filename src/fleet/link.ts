/**
 * The deployer's view of one device during a transfer: which chunks the
 * device has confirmed, which are in flight, and which to send next —
 * selective repeat with a window (as TCP with SACK, RFC 2018): the device's
 * progress report says `next` (everything below is stored), `high` and up to
 * 32 `missing` indices; a chunk not confirmed within the retransmission
 * timeout is sent again, on the device's own topic.
 *
 * The timeout adapts to each device as TCP's does (RFC 6298): a smoothed
 * round trip and its variation from chunks sent once (Karn's algorithm: a
 * resent chunk's confirmation says nothing about which copy arrived),
 * rto = srtt + 4·rttvar, doubled after a timeout. A hundred devices sharing
 * one CPU answer slower than one; a fixed timeout would resend to all of
 * them for nothing.
 *
 * And as TCP after a timeout (RFC 5681 §3.1), the window collapses and grows
 * back by one per confirmed chunk up to half the old window, then by one per
 * window: a device that fell behind still has the originals queued, and a
 * full window of resends on top would overflow its buffer. It collapses to
 * `ackEvery` chunks, not one: a device reports after every ackEvery chunk
 * messages and has no timer, so a smaller window would never be answered.
 * Pure bookkeeping, no MQTT: delivery.ts drives it.
 */
import { MAX_MISSING, type Progress } from './messages';

/** Bounds of the adaptive timeout, ms. */
export const MIN_RTO = 200;
export const MAX_RTO = 10000;

export class Link {
  private readonly held: Uint8Array;
  private readonly sends: Uint8Array;
  private heldCount = 0;
  /** Lowest index not confirmed. */
  next = 0;
  /** Chunk index → when it was last sent. */
  readonly inflight = new Map<number, number>();
  /** When the confirmed count last grew. */
  lastAdvance: number;
  sent = 0;
  resent = 0;
  /** Current retransmission timeout, ms. */
  rto: number;
  /** Congestion window (chunks), at most the device's window. */
  private cwnd: number;
  private ssthresh: number;
  private srtt: number | undefined;
  private rttvar = 0;

  constructor(
    readonly total: number,
    readonly window: number,
    now: number,
    initialRto = 1000,
    /** The device reports after this many chunk messages: the smallest useful window. */
    readonly ackEvery = 1,
  ) {
    this.held = new Uint8Array(total);
    this.sends = new Uint8Array(total);
    this.lastAdvance = now;
    this.rto = initialRto;
    // The device announced its buffer, so start with the whole window.
    this.cwnd = window;
    this.ssthresh = window;
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

  /** Marks `i` held; returns its round trip when it is a valid sample (sent once, in flight). */
  private mark(i: number, now: number): number | undefined {
    if (this.held[i]) return undefined;
    this.held[i] = 1;
    this.heldCount++;
    const at = this.inflight.get(i);
    this.inflight.delete(i);
    return at !== undefined && this.sends[i] === 1 ? now - at : undefined;
  }

  private sample(rtt: number): void {
    // RFC 6298 §2.2–2.3 with alpha = 1/8, beta = 1/4, K = 4.
    if (this.srtt === undefined) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.rto = Math.min(MAX_RTO, Math.max(MIN_RTO, this.srtt + 4 * this.rttvar));
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
    let rtt: number | undefined;
    const take = (i: number) => {
      const r = this.mark(i, now);
      // The oldest chunk a report confirms waited longest for it (the device
      // reports every ackEvery chunks): the timeout must cover that wait.
      if (r !== undefined) rtt = rtt === undefined ? r : Math.max(rtt, r);
    };
    for (let i = this.next; i < p.next; i++) take(i);
    const missing = p.missing ?? [];
    // A full list may have been cut at MAX_MISSING: past its last entry we know nothing.
    const known = missing.length >= MAX_MISSING ? missing[missing.length - 1] : p.high;
    let m = 0;
    for (let i = p.next; i < known; i++) {
      while (m < missing.length && missing[m] < i) m++;
      if (missing[m] === i) continue;
      take(i);
    }
    while (this.next < this.total && this.held[this.next]) this.next++;
    if (rtt !== undefined) this.sample(rtt);
    const gained = this.heldCount - before;
    for (let k = 0; k < gained && this.cwnd < this.window; k++) {
      this.cwnd += this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd;
    }
    this.cwnd = Math.min(this.cwnd, this.window);
    if (this.heldCount > before) {
      this.lastAdvance = now;
      return true;
    }
    return false;
  }

  /** Forgets chunks unconfirmed for longer than the timeout: they are lost, and the timeout backs off. */
  expire(now: number): void {
    const flight = this.inflight.size;
    let expired = false;
    for (const [i, at] of this.inflight) {
      if (now - at > this.rto) {
        this.inflight.delete(i);
        expired = true;
      }
    }
    if (!expired) return;
    // RFC 6298 §5.5: back off the timer; RFC 5681 §3.1 (eq. 4): halve the
    // threshold, restart from the smallest window the device answers.
    this.rto = Math.min(MAX_RTO, this.rto * 2);
    this.ssthresh = Math.max(this.ackEvery, Math.floor(flight / 2));
    this.cwnd = Math.min(this.window, this.ackEvery);
  }

  get room(): number {
    return Math.floor(this.cwnd) - this.inflight.size;
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
    if (this.sends[i] > 0) this.resent++;
    if (this.sends[i] < 255) this.sends[i]++;
  }
}
