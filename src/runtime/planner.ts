/**
 * Greedy arena planner, after TFLite Micro's GreedyMemoryPlanner
 * (tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc).
 *
 * Every buffer has a size and a lifetime [firstUse, lastUse] in operator
 * steps. Buffers are placed largest first (ties: the later-added buffer
 * first, as TFLM's stable bubble sort over its reversed list does); each goes
 * into the first gap, in offset order, between buffers whose lifetimes overlap
 * its own, or after the last of them. The arena size is the high-water mark.
 * Because `inspect` and the interpreter both use this planner, the arena that
 * `inspect` reports is the one the interpreter allocates.
 */

export interface BufferRequest {
  size: number;
  firstUse: number;
  lastUse: number;
}

export interface MemoryPlan {
  offsets: number[];
  arenaBytes: number;
}

export interface MemoryPlanner {
  plan(buffers: readonly BufferRequest[]): MemoryPlan;
}

function overlapsInTime(a: BufferRequest, b: BufferRequest): boolean {
  return !(a.lastUse < b.firstUse || b.lastUse < a.firstUse);
}

export class GreedyMemoryPlanner implements MemoryPlanner {
  plan(buffers: readonly BufferRequest[]): MemoryPlan {
    const n = buffers.length;
    const offsets = new Array<number>(n).fill(-1);
    if (n === 0) return { offsets, arenaBytes: 0 };
    // TFLM fills its sort list from the tail, then bubble-sorts descending
    // (stable): equal sizes keep reversed insertion order.
    const order = Array.from({ length: n }, (_, i) => n - 1 - i);
    order.sort((a, b) => buffers[b].size - buffers[a].size || b - a);

    // Placed buffers, kept sorted by offset.
    const placed: number[] = [];
    for (const id of order) {
      const want = buffers[id];
      let candidate = 0;
      for (const other of placed) {
        if (!overlapsInTime(want, buffers[other])) continue;
        if (offsets[other] - candidate >= want.size) break;
        candidate = Math.max(candidate, offsets[other] + buffers[other].size);
      }
      offsets[id] = candidate;
      let at = placed.findIndex((p) => offsets[p] > candidate);
      if (at < 0) at = placed.length;
      placed.splice(at, 0, id);
    }
    let arenaBytes = 0;
    for (let i = 0; i < n; i++) arenaBytes = Math.max(arenaBytes, offsets[i] + buffers[i].size);
    return { offsets, arenaBytes };
  }
}

/** True when two buffers alive at the same time share bytes (TFLM DoAnyBuffersOverlap). */
export function anyBuffersOverlap(buffers: readonly BufferRequest[], plan: MemoryPlan): boolean {
  for (let i = 0; i < buffers.length; i++) {
    for (let j = i + 1; j < buffers.length; j++) {
      if (!overlapsInTime(buffers[i], buffers[j])) continue;
      if (buffers[i].size === 0 || buffers[j].size === 0) continue;
      const a0 = plan.offsets[i];
      const b0 = plan.offsets[j];
      if (a0 < b0 + buffers[j].size && b0 < a0 + buffers[i].size) return true;
    }
  }
  return false;
}

/** TFLM aligns every arena buffer to 16 bytes (MicroArenaBufferAlignment). */
export const ARENA_ALIGNMENT = 16;

export function alignUp(n: number, alignment = ARENA_ALIGNMENT): number {
  return Math.ceil(n / alignment) * alignment;
}
