/**
 * What a device reports about its transfers (docs/protocol.md §5.4, §7.2
 * rules 2 and 6), and what it remembers of them: the state of an unfinished
 * transfer is saved with every report, so a restart resumes it, and the
 * final reports of the last FINISHED_KEPT transfers are kept — on the store
 * too — so a repeated offer (the deployer's poll) of a finished transfer is
 * answered with its outcome, also after a restart.
 */
import {
  FINAL_STATES,
  PROTOCOL_VERSION,
  type ErrorCode,
  type ModelRef,
  type Offer,
  type Progress,
} from '../fleet/messages';
import { FINISHED_KEPT, type SlotStore } from './store';
import { missingOf, savedOf, type Transfer } from './transfer';

export class Reports {
  private readonly finished = new Map<string, Progress>();

  constructor(
    private readonly store: SlotStore,
    private readonly send: (p: Progress) => Promise<void>,
    /** The model serving now: every report names it. */
    private readonly serving: () => ModelRef | null,
  ) {}

  /** Reads the final reports kept before a restart. */
  async load(): Promise<void> {
    for (const p of await this.store.loadFinished()) this.finished.set(p.deployId, p);
  }

  /** Repeats the final report of `deployId` if it is one of the last kept; false otherwise. */
  async repeat(deployId: string): Promise<boolean> {
    const done = this.finished.get(deployId);
    if (!done) return false;
    await this.send({ ...done, serving: this.serving(), ts: Date.now() });
    return true;
  }

  /** An offer refused before anything was kept. */
  async refused(offer: Offer, code: ErrorCode, error: string): Promise<void> {
    const p: Progress = {
      ...this.progress(offer.deployId, 'refused'),
      next: 0,
      have: 0,
      high: 0,
      total: offer.mChunks + offer.chunks,
      code,
      error,
    };
    await this.remember(p);
    await this.send(p);
  }

  /**
   * Reports `t` (with `extra` fields): remembered when its state is final,
   * else saved for a restart when it is still the device's transfer (`live`).
   */
  async transfer(t: Transfer, live: boolean, extra: Partial<Progress> = {}): Promise<void> {
    t.counter = 0;
    const p: Progress = {
      ...this.progress(t.offer.deployId, t.state),
      next: t.next,
      have: t.have,
      high: t.high,
      total: t.layout.total,
    };
    const missing = missingOf(t);
    if (missing.length) p.missing = missing;
    Object.assign(p, extra);
    if (FINAL_STATES.includes(p.state)) await this.remember(p);
    else if (live) await this.store.saveTransfer(savedOf(t));
    await this.send(p);
  }

  private progress(
    deployId: string,
    state: Progress['state'],
  ): Pick<Progress, 'v' | 'deployId' | 'state' | 'serving' | 'ts'> {
    return { v: PROTOCOL_VERSION, deployId, state, serving: this.serving(), ts: Date.now() };
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
    await this.store.saveFinished([...this.finished.values()]);
  }
}
