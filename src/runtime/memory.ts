/**
 * Which buffers of a subgraph live in the arena, for how long, and where.
 *
 * Lifetimes follow TFLite Micro's AllocationInfoBuilder
 * (micro/micro_allocation_info.cc): subgraph inputs are created at step 0,
 * operator i runs at step i + 1 (its outputs are created then, its inputs and
 * outputs last used then, its scratch buffers live in that step only), and
 * subgraph outputs live to the last step. A tensor nothing refers to keeps the
 * lifetime [-1, -1], as in TFLM. Constants (tensors with data) are read in
 * place from the model, variables get their own memory, and empty tensors take
 * nothing; everything else is planned, tensors in index order and then the
 * scratch buffers, each size rounded up to 16 bytes (MicroArenaBufferAlignment,
 * micro/micro_arena_constants.h), by the greedy planner (planner.ts).
 *
 * This is the non-persistent "head" of a TFLM arena; TFLM also keeps
 * persistent data (tensor structs, OpData, variables) in the arena's tail,
 * which here lives on the JavaScript heap.
 */
import { tensorByteSize, type SubGraphDef, type TfliteModel } from '../tflite/model';
import { prepareGraph, type ScratchRequest } from './graph';
import { alignUp, GreedyMemoryPlanner, type BufferRequest, type MemoryPlanner } from './planner';
import { allOpsResolver } from './resolver';

export interface ArenaLayout {
  /** Tensor index → byte offset in the arena; -1 for tensors not in the arena. */
  tensorOffsets: number[];
  /** Tensor index → index into `requests`, or -1. */
  requestOf: number[];
  /** Scratch request index → byte offset in the arena. */
  scratchOffsets: number[];
  /** Every planned buffer: tensors (index order), then scratch buffers. */
  requests: BufferRequest[];
  /** Request index → byte offset (the planner's answer). */
  offsets: number[];
  arenaBytes: number;
}

export function isConstant(model: TfliteModel, subgraph: SubGraphDef, index: number): boolean {
  const t = subgraph.tensors[index];
  return (model.buffers[t.buffer]?.data.length ?? 0) > 0;
}

/** [firstCreated, lastUsed] of every tensor, in operator steps (TFLM MarkAllocationLifetimes). */
export function tensorLifetimes(subgraph: SubGraphDef): { first: number[]; last: number[] } {
  const n = subgraph.tensors.length;
  const first = new Array<number>(n).fill(-1);
  const last = new Array<number>(n).fill(-1);
  const created = (t: number, step: number) => {
    if (first[t] === -1) first[t] = step;
  };
  for (const t of subgraph.inputs) {
    created(t, 0);
    last[t] = 0;
  }
  subgraph.operators.forEach((op, i) => {
    const step = i + 1;
    for (const t of op.outputs) created(t, step);
    for (const t of op.inputs) if (t >= 0) last[t] = step;
    for (const t of op.outputs) last[t] = step;
  });
  const end = subgraph.operators.length;
  for (const t of subgraph.outputs) {
    created(t, end);
    last[t] = end;
  }
  return { first, last };
}

/**
 * Plans the arena. `scratch` are the kernels' scratch requests and `folded`
 * the tensors prepare computed once (graph.ts), which are not planned; when
 * `scratch` is omitted both are collected by preparing every supported
 * operator the way a default Interpreter does (so `inspect` reports the arena
 * the interpreter allocates).
 */
export function planArena(
  model: TfliteModel,
  subgraphIndex = 0,
  planner: MemoryPlanner = new GreedyMemoryPlanner(),
  scratch?: readonly ScratchRequest[],
  folded: readonly number[] = [],
): ArenaLayout {
  const sg = model.subgraphs[subgraphIndex];
  let scratchRequests = scratch;
  let foldedTensors = folded;
  if (!scratchRequests) {
    const graph = prepareGraph(model, allOpsResolver(), subgraphIndex, { lenient: true });
    scratchRequests = graph.scratch;
    foldedTensors = graph.folded;
  }
  const notPlanned = new Set(foldedTensors);
  const { first, last } = tensorLifetimes(sg);

  const requests: BufferRequest[] = [];
  const requestOf = new Array<number>(sg.tensors.length).fill(-1);
  sg.tensors.forEach((t, i) => {
    if (isConstant(model, sg, i) || t.isVariable || notPlanned.has(i)) return;
    const bytes = tensorByteSize(t);
    if (bytes === 0) return;
    requestOf[i] = requests.length;
    requests.push({ size: alignUp(bytes), firstUse: first[i], lastUse: last[i] });
  });
  const scratchBase = requests.length;
  for (const s of scratchRequests) {
    const step = s.node + 1;
    requests.push({ size: alignUp(s.bytes), firstUse: step, lastUse: step });
  }
  const plan = planner.plan(requests);
  return {
    tensorOffsets: requestOf.map((r) => (r < 0 ? -1 : plan.offsets[r])),
    requestOf,
    scratchOffsets: scratchRequests.map((_, k) => plan.offsets[scratchBase + k]),
    requests,
    offsets: plan.offsets,
    arenaBytes: plan.arenaBytes,
  };
}
