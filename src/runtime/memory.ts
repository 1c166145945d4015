/**
 * Which tensors of a subgraph live in the arena, and for how long. Lifetimes
 * follow TFLite Micro's AllocationInfoBuilder (micro_allocation_info.cc):
 * subgraph inputs are created at step 0, operator i runs at step i + 1 (its
 * outputs are created then, its inputs last used then), subgraph outputs live
 * to the last step. Constants (tensors with data) are read in place from the
 * model and take no arena; each arena buffer is rounded up to 16 bytes.
 */
import { tensorByteSize, type SubGraphDef, type TfliteModel } from '../tflite/model';
import { alignUp, GreedyMemoryPlanner, type BufferRequest, type MemoryPlanner } from './planner';

export interface ArenaLayout {
  /** Tensor index → byte offset in the arena; -1 for tensors not in the arena. */
  tensorOffsets: number[];
  /** Tensor index → index into `requests`, or -1. */
  requestOf: number[];
  requests: BufferRequest[];
  /** Request index → byte offset (the planner's answer). */
  offsets: number[];
  arenaBytes: number;
}

export function isConstant(model: TfliteModel, subgraph: SubGraphDef, index: number): boolean {
  const t = subgraph.tensors[index];
  return (model.buffers[t.buffer]?.data.length ?? 0) > 0;
}

export function planArena(
  model: TfliteModel,
  subgraphIndex = 0,
  planner: MemoryPlanner = new GreedyMemoryPlanner(),
): ArenaLayout {
  const sg = model.subgraphs[subgraphIndex];
  const n = sg.tensors.length;
  const first = new Array<number>(n).fill(-1);
  const last = new Array<number>(n).fill(-1);
  const created = (t: number, step: number) => {
    if (first[t] === -1) first[t] = step;
  };
  for (const t of sg.inputs) {
    created(t, 0);
    last[t] = 0;
  }
  sg.operators.forEach((op, i) => {
    const step = i + 1;
    for (const t of op.outputs) created(t, step);
    for (const t of op.inputs) if (t >= 0) last[t] = step;
    for (const t of op.outputs) last[t] = step;
  });
  const end = sg.operators.length;
  for (const t of sg.outputs) {
    created(t, end);
    last[t] = end;
  }

  const requests: BufferRequest[] = [];
  const requestOf = new Array<number>(n).fill(-1);
  for (let t = 0; t < n; t++) {
    if (first[t] === -1 || isConstant(model, sg, t) || sg.tensors[t].isVariable) continue;
    const bytes = tensorByteSize(sg.tensors[t]);
    if (bytes === 0) continue;
    requestOf[t] = requests.length;
    requests.push({ size: alignUp(bytes), firstUse: first[t], lastUse: last[t] });
  }
  const plan = planner.plan(requests);
  const tensorOffsets = requestOf.map((r) => (r < 0 ? -1 : plan.offsets[r]));
  return { tensorOffsets, requestOf, requests, offsets: plan.offsets, arenaBytes: plan.arenaBytes };
}
