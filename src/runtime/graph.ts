/**
 * Turns a model's subgraph into what the interpreter runs, before any
 * activation memory exists (TFLM MicroAllocator::StartModelAllocation plus
 * MicroInterpreterGraph::PrepareSubgraphs): every operator's kernel is looked
 * up (an unsupported op fails here, naming it and the model's op list), every
 * tensor gets a RuntimeTensor (constants as views of the model's buffers),
 * and every kernel's prepare() runs, computing its OpData and asking for
 * scratch memory. The arena is planned afterwards from the tensors' lifetimes
 * and these scratch requests (memory.ts).
 */
import { elementCount, opName, operatorName, type TfliteModel } from '../tflite/model';
import { KernelError, type Kernel, type NodeContext } from './kernel';
import type { OpResolver } from './resolver';
import { elementBytes, emptyView, viewAs, type RuntimeTensor } from './tensor';
import type { TensorTypeName } from '../tflite/model';
import { UnsupportedError } from '../errors';

export interface ScratchRequest {
  /** Operator index that asked for it; it lives during that operator's step only. */
  node: number;
  type: TensorTypeName;
  count: number;
  bytes: number;
}

export interface PreparedNode {
  kernel: Kernel;
  node: NodeContext;
  data: unknown;
  /** Indices into PreparedGraph.scratch of this node's buffers, in node.scratch order. */
  scratch: number[];
}

export interface PreparedGraph {
  tensors: RuntimeTensor[];
  nodes: PreparedNode[];
  scratch: ScratchRequest[];
}

export interface PrepareOptions {
  /**
   * Skip operators that have no kernel or whose prepare() fails instead of
   * throwing: `inspect` plans the arena of models the interpreter cannot run.
   */
  lenient?: boolean;
}

/** The op list of a subgraph, for error messages: "CONV_2D, DEPTHWISE_CONV_2D, SOFTMAX". */
export function modelOps(model: TfliteModel, subgraphIndex = 0): string {
  const sg = model.subgraphs[subgraphIndex];
  return [...new Set(sg.operators.map((o) => operatorName(model, o)))].join(', ');
}

function createTensors(model: TfliteModel, subgraphIndex: number): RuntimeTensor[] {
  const sg = model.subgraphs[subgraphIndex];
  return sg.tensors.map((t, i) => {
    const buf = model.buffers[t.buffer]?.data;
    const isConstant = !!buf && buf.length > 0;
    let data = emptyView(t.type);
    if (isConstant) {
      // View the model's bytes in place when aligned for the element type,
      // else copy once (flatbuffers only guarantee the alignment the writer chose).
      const aligned = buf.byteOffset % elementBytes(t.type) === 0 ? buf : buf.slice();
      data = viewAs(t.type, aligned.buffer, aligned.byteOffset, elementCount(t.shape));
    }
    const rt: RuntimeTensor = {
      index: i,
      name: t.name,
      shape: t.shape,
      type: t.type,
      data,
      isConstant,
    };
    if (t.quantization) rt.quantization = t.quantization;
    if (t.isVariable) rt.isVariable = true;
    return rt;
  });
}

export function prepareGraph(
  model: TfliteModel,
  resolver: OpResolver,
  subgraphIndex = 0,
  options: PrepareOptions = {},
): PreparedGraph {
  const sg = model.subgraphs[subgraphIndex];
  // Resolve every op before preparing anything, so the error names the first
  // unsupported op and the model's whole op list.
  const kernels = sg.operators.map((op) => {
    const code = model.operatorCodes[op.opcodeIndex];
    const kernel = resolver.find(code.builtinCode);
    if (!kernel && !options.lenient) {
      throw new UnsupportedError(
        `op ${operatorName(model, op)} is not supported by this interpreter; the model uses ${modelOps(model, subgraphIndex)}; supported: ${resolver.ops().join(', ')}`,
      );
    }
    return kernel;
  });

  const tensors = createTensors(model, subgraphIndex);
  const scratch: ScratchRequest[] = [];
  const nodes: PreparedNode[] = [];
  sg.operators.forEach((op, index) => {
    const kernel = kernels[index];
    if (!kernel) return;
    const code = model.operatorCodes[op.opcodeIndex];
    const node: NodeContext = {
      index,
      opName: opName(code.builtinCode),
      inputs: op.inputs.map((t) => (t < 0 ? null : tensors[t])),
      outputs: op.outputs.map((t) => tensors[t]),
      options: op.options,
      version: code.version,
      scratch: [],
    };
    const mine: number[] = [];
    const requestScratch = (type: TensorTypeName, count: number): number => {
      if (!Number.isInteger(count) || count < 0) {
        throw new KernelError(node, `invalid scratch request of ${count} ${type} elements`);
      }
      mine.push(scratch.length);
      scratch.push({ node: index, type, count, bytes: count * elementBytes(type) });
      node.scratch.push(emptyView(type));
      return mine.length - 1;
    };
    const before = scratch.length;
    try {
      const data = kernel.prepare(node, { requestScratch });
      nodes.push({ kernel, node, data, scratch: mine });
    } catch (err) {
      if (!options.lenient) {
        if (err instanceof KernelError || err instanceof UnsupportedError) throw err;
        throw new KernelError(node, (err as Error).message);
      }
      scratch.length = before; // a failed prepare keeps no scratch
    }
  });
  return { tensors, nodes, scratch };
}
