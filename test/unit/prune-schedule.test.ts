/**
 * The gradual pruning schedule (Zhu & Gupta 2017, eq. 1) and magnitude masks.
 * Expected values are worked from the paper's formula by hand.
 */
import { strict as assert } from 'node:assert';
import {
  checkSchedule,
  isUpdateStep,
  sparsityAt,
  type PruningSchedule,
} from '../../src/optimize/prune/schedule';
import { globalMagnitudeMasks, magnitudeMask, prunedCount } from '../../src/optimize/prune/mask';
import { defaultSchedule } from '../../src/optimize/prune/magnitude';
import { ValidationError } from '../../src/errors';

const schedule: PruningSchedule = {
  initialSparsity: 0,
  finalSparsity: 0.8,
  beginStep: 0,
  endStep: 100,
  frequency: 10,
  power: 3,
};

describe('pruning schedule (Zhu & Gupta 2017, eq. 1)', () => {
  it('starts at s_i, ends at s_f and follows the cubic in between', () => {
    assert.equal(sparsityAt(schedule, 0), 0);
    // s_t = 0.8 + (0 − 0.8)(1 − 50/100)³ = 0.8 − 0.1 = 0.7
    assert.ok(Math.abs(sparsityAt(schedule, 50) - 0.7) < 1e-12);
    // t = 10: 0.8 − 0.8 · 0.9³ = 0.8 − 0.5832 = 0.2168
    assert.ok(Math.abs(sparsityAt(schedule, 10) - 0.2168) < 1e-12);
    assert.equal(sparsityAt(schedule, 100), 0.8);
    assert.equal(sparsityAt(schedule, 5000), 0.8);
  });

  it('never lowers the sparsity from one step to the next', () => {
    let last = -1;
    for (let t = 0; t <= 120; t++) {
      const s = sparsityAt(schedule, t);
      assert.ok(s >= last, `step ${t}: ${s} < ${last}`);
      last = s;
    }
  });

  it('updates the masks every Δt steps from t0 and at the end step', () => {
    const s = { ...schedule, endStep: 95 };
    const updates = Array.from({ length: 120 }, (_, t) => t).filter((t) => isUpdateStep(s, t));
    assert.deepEqual(updates, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
  });

  it('ends the ramp before the last step so the final mask is trained with', () => {
    const s = defaultSchedule(0.8, 20, 43);
    assert.equal(s.endStep, Math.round(20 * 43 * 0.6));
    assert.ok(s.endStep < 20 * 43);
    assert.equal(s.frequency, Math.round(s.endStep / 20));
    const one = defaultSchedule(0.5, 1, 1);
    assert.equal(one.endStep, 0);
  });

  it('rejects schedules that cannot be followed, naming the field', () => {
    assert.throws(() => checkSchedule({ ...schedule, finalSparsity: 1 }), /final sparsity/);
    assert.throws(
      () => checkSchedule({ ...schedule, initialSparsity: 0.9 }),
      /initial sparsity 0.9 is above the final sparsity 0.8/,
    );
    assert.throws(() => checkSchedule({ ...schedule, frequency: 0 }), ValidationError);
    assert.throws(() => checkSchedule({ ...schedule, endStep: -1 }), /end step/);
  });
});

describe('magnitude masks', () => {
  it('zeroes the ⌈s·n⌉ weights of smallest magnitude', () => {
    const w = [0.5, -0.1, 0.05, -0.9, 0.3, 0.0, 0.2, -0.25];
    const mask = magnitudeMask(w, 0.5);
    // |w| sorted: 0.0(5) 0.05(2) 0.1(1) 0.2(6) | 0.25 0.3 0.5 0.9
    assert.deepEqual(Array.from(mask), [1, 0, 0, 1, 1, 0, 0, 1]);
    assert.equal(prunedCount(320, 0.8), 256); // not 257: 0.8 × 320 is 256.00000000000003
    assert.equal(prunedCount(10, 0.75), 8); // rounds up: never below the target
  });

  it('keeps pruned weights pruned even if they grew back', () => {
    const previous = [1, 0, 1, 1];
    const w = [0.2, 5.0, 0.1, 0.3]; // index 1 was pruned; say an update moved it to 5
    const mask = magnitudeMask(w, 0.5, previous);
    assert.deepEqual(Array.from(mask), [1, 0, 0, 1]);
  });

  it('never revives weights when asked for a lower sparsity', () => {
    const mask = magnitudeMask([1, 2, 3, 4], 0.25, [0, 0, 1, 1]);
    assert.deepEqual(Array.from(mask), [0, 0, 1, 1]);
  });

  it('breaks ties by index, so masks are reproducible', () => {
    assert.deepEqual(Array.from(magnitudeMask([1, 1, 1, 1], 0.5)), [0, 0, 1, 1]);
  });

  it('global masks rank all kernels together: large-weight layers keep more', () => {
    const [a, b] = globalMagnitudeMasks(
      [
        [2, -3, 0.5],
        [0.1, -0.2, 0.3, 0.4],
      ],
      4 / 7,
    );
    // The 4 smallest of all 7: 0.1, 0.2, 0.3, 0.4 — all of the second kernel.
    assert.deepEqual(Array.from(a), [1, 1, 1]);
    assert.deepEqual(Array.from(b), [0, 0, 0, 0]);
    const [c] = globalMagnitudeMasks([[5, 1, 2]], 1 / 3, [[0, 1, 1]]);
    assert.deepEqual(Array.from(c), [0, 1, 1]);
  });

  it('rejects a sparsity outside [0, 1)', () => {
    assert.throws(() => magnitudeMask([1, 2], 1), /sparsity must be in \[0, 1\), got 1/);
    assert.throws(() => magnitudeMask([1, 2], 0.5, [1]), /previous mask has 1 entries, weights 2/);
  });
});
