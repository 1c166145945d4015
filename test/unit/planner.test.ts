import { strict as assert } from 'node:assert';
import { anyBuffersOverlap, GreedyMemoryPlanner } from '../../src/runtime/planner';
import { mulberry32 } from '../../src/model/random';

describe('greedy memory planner', () => {
  const planner = new GreedyMemoryPlanner();

  it('reuses memory of buffers whose lifetimes do not overlap', () => {
    // a chain: 0 -> 1 -> 2; buffer 0 is dead when buffer 2 is born
    const buffers = [
      { size: 100, firstUse: 0, lastUse: 1 },
      { size: 50, firstUse: 1, lastUse: 2 },
      { size: 100, firstUse: 2, lastUse: 3 },
    ];
    const plan = planner.plan(buffers);
    assert.equal(plan.arenaBytes, 150);
    assert.equal(anyBuffersOverlap(buffers, plan), false);
  });

  it('never overlaps live buffers on random graphs (DoAnyBuffersOverlap)', () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 30);
      const buffers = Array.from({ length: n }, () => {
        const first = Math.floor(rand() * 20);
        return {
          size: 16 * (1 + Math.floor(rand() * 64)),
          firstUse: first,
          lastUse: first + Math.floor(rand() * 5),
        };
      });
      const plan = planner.plan(buffers);
      assert.equal(anyBuffersOverlap(buffers, plan), false, `trial ${trial}`);
      const total = buffers.reduce((s, b) => s + b.size, 0);
      assert.ok(plan.arenaBytes <= total);
    }
  });
});
