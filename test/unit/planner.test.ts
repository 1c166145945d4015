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

describe('greedy memory planner: cases from TFLM greedy_memory_planner_test.cc', () => {
  const planner = new GreedyMemoryPlanner();
  const plan = (spec: [number, number, number][]) => {
    const buffers = spec.map(([size, firstUse, lastUse]) => ({ size, firstUse, lastUse }));
    return { buffers, plan: planner.plan(buffers) };
  };

  it('TestGreedyBasics: disjoint lifetimes share offset 0', () => {
    const { buffers, plan: p } = plan([
      [10, 0, 1],
      [20, 2, 3],
    ]);
    assert.deepEqual(p.offsets, [0, 0]);
    assert.equal(p.arenaBytes, 20);
    assert.equal(anyBuffersOverlap(buffers, p), false);
  });

  it('TestGreedyMedium: the offsets TFLM expects, arena 90', () => {
    const { buffers, plan: p } = plan([
      [10, 0, 1],
      [20, 1, 2],
      [30, 2, 3],
      [40, 3, 4],
      [50, 0, 1],
    ]);
    assert.deepEqual(p.offsets, [50, 70, 40, 0, 0]);
    assert.equal(p.arenaBytes, 90);
    assert.equal(anyBuffersOverlap(buffers, p), false);
  });

  it('TestOverlapCase: arena 120', () => {
    const { buffers, plan: p } = plan([
      [100, 0, 1],
      [50, 2, 3],
      [20, 1, 2],
    ]);
    assert.equal(p.arenaBytes, 120);
    assert.equal(anyBuffersOverlap(buffers, p), false);
  });

  it('TestPersonDetectionModel: no overlap, below the 241027 bytes TFLM bounds it by', () => {
    const { buffers, plan: p } = plan([
      [9216, 0, 29],
      [3, 28, 29],
      [256, 27, 28],
      [2304, 26, 27],
      [2304, 25, 26],
      [2304, 24, 25],
      [1152, 23, 24],
      [4608, 22, 23],
      [4608, 21, 22],
      [4608, 20, 21],
      [4608, 19, 20],
      [4608, 18, 19],
      [4608, 17, 18],
      [4608, 16, 17],
      [4608, 15, 16],
      [4608, 14, 15],
      [4608, 13, 14],
      [4608, 12, 13],
      [2304, 11, 12],
      [9216, 10, 11],
      [9216, 9, 10],
      [9216, 8, 9],
      [4608, 7, 8],
      [18432, 6, 7],
      [18432, 5, 6],
      [18432, 4, 5],
      [9216, 3, 4],
      [36864, 2, 3],
      [18432, 1, 2],
      [18432, 0, 1],
    ]);
    assert.equal(anyBuffersOverlap(buffers, p), false);
    assert.ok(p.arenaBytes < 241027);
  });

  it('detects an overlap it is shown (the checker can fail)', () => {
    const buffers = [
      { size: 16, firstUse: 0, lastUse: 2 },
      { size: 16, firstUse: 1, lastUse: 3 },
    ];
    assert.equal(anyBuffersOverlap(buffers, { offsets: [0, 8], arenaBytes: 24 }), true);
    assert.equal(anyBuffersOverlap(buffers, { offsets: [0, 16], arenaBytes: 32 }), false);
  });
});
