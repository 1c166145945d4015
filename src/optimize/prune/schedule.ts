/**
 * Gradual pruning schedule of Zhu & Gupta 2017, "To prune, or not to prune:
 * exploring the efficacy of pruning for model compression" (arXiv:1710.01878),
 * eq. 1: starting at step t0 with sparsity s_i, the masks are updated every
 * Δt steps over n updates to
 *
 *   s_t = s_f + (s_i − s_f) · (1 − (t − t0) / (n·Δt))³,   t ∈ {t0, t0 + Δt, …, t0 + n·Δt}
 *
 * so many weights go early, while redundant ones are plentiful, and fewer
 * near the end, when the network has less left to give. After t0 + n·Δt the
 * sparsity stays at s_f and training continues with the masks fixed, letting
 * the remaining weights recover the loss.
 */
import { ValidationError } from '../../errors';

export interface PruningSchedule {
  initialSparsity: number;
  finalSparsity: number;
  /** First step at which masks are computed (t0). */
  beginStep: number;
  /** Last mask update (t0 + n·Δt); from here the sparsity is final. */
  endStep: number;
  /** Steps between mask updates (Δt). */
  frequency: number;
  /** Exponent of the decay; 3 in the paper. */
  power: number;
}

export function checkSchedule(s: PruningSchedule): void {
  const bad = (msg: string) => new ValidationError(`pruning schedule: ${msg}`);
  if (!(s.initialSparsity >= 0 && s.initialSparsity < 1))
    throw bad(`initial sparsity must be in [0, 1), got ${s.initialSparsity}`);
  if (!(s.finalSparsity > 0 && s.finalSparsity < 1))
    throw bad(`final sparsity must be in (0, 1), got ${s.finalSparsity}`);
  if (s.initialSparsity > s.finalSparsity)
    throw bad(
      `initial sparsity ${s.initialSparsity} is above the final sparsity ${s.finalSparsity}`,
    );
  if (!Number.isInteger(s.beginStep) || s.beginStep < 0)
    throw bad(`begin step must be an integer ≥ 0, got ${s.beginStep}`);
  if (!Number.isInteger(s.endStep) || s.endStep < s.beginStep)
    throw bad(`end step must be an integer ≥ the begin step ${s.beginStep}, got ${s.endStep}`);
  if (!Number.isInteger(s.frequency) || s.frequency < 1)
    throw bad(`frequency must be an integer ≥ 1, got ${s.frequency}`);
  if (!(s.power > 0)) throw bad(`power must be positive, got ${s.power}`);
}

/** Target sparsity at step t (s_i before t0, s_f from the end step on). */
export function sparsityAt(s: PruningSchedule, step: number): number {
  if (step < s.beginStep) return s.initialSparsity;
  if (step >= s.endStep) return s.finalSparsity;
  const progress = (step - s.beginStep) / (s.endStep - s.beginStep);
  return s.finalSparsity + (s.initialSparsity - s.finalSparsity) * (1 - progress) ** s.power;
}

/**
 * Whether the masks are recomputed before step t: every Δt steps from t0,
 * and always at the end step, so the final sparsity is reached exactly even
 * when the ramp is not a multiple of Δt.
 */
export function isUpdateStep(s: PruningSchedule, step: number): boolean {
  if (step < s.beginStep || step > s.endStep) return false;
  return step === s.endStep || (step - s.beginStep) % s.frequency === 0;
}
