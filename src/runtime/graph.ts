/**
 * Turns a model's subgraph into what the interpreter runs, before any
 * activation memory exists (TFLM MicroAllocator::StartModelAllocation plus
 * MicroInterpreterGraph::PrepareSubgraphs): every operator's kernel is looked
 * up (an unsupported op fails here, naming it and the model's op list), every
 * tensor gets a RuntimeTensor (constants as views of the model's buffers),
 * and every kernel's prepare() runs, computing its OpData and asking for
 * scratch memory. The arena is planned afterwards from the tensors' lifetimes
 * and these scratch requests (memory.ts).
 *
 * A DEQUANTIZE of a constant (the float16 weights of a float16-quantized
 * model) is evaluated here, once, by its own kernel, into memory of its own:
 * its output becomes a constant for the kernels prepared after it and is not
 * planned in the arena, as full TFLite's dequantize.cc makes such an output
 * kArenaRwPersistent and fills it on the first Eval only.
 */
import {
  BuiltinOperator,
  elementCount,
  opName,
  operatorName,
  type TfliteModel,
} from '../tflite/model';
import { KernelError, type Kernel, type NodeContext } from './kernel';
import type { OpResolver } from './resolver';
import { elementBytes, emptyView, viewAs, type RuntimeTensor } from './tensor';
import type { TensorTypeName } from '../tflite/model';
import { UnsupportedError } from '../errors';
import { alignTo16, simdAvailable } from './wasm/simd-runtime';

export interface ScratchRequest {
  /** Operator index that asked for it; it lives during that operator's step only. */
  node: number;
  type: TensorTypeName;
  count: number;
  bytes: number;
}

/** A buffer requestSimdScratch() asked for: at `offset` in the shared SIMD scratch region. */
export interface SimdScratchRequest {
  /** Its index in node.scratch. */
  slot: number;
  type: TensorTypeName;
  count: number;
  offset: number;
}

export interface PreparedNode {
  kernel: Kernel;
  node: NodeContext;
  data: unknown;
  /** Indices into PreparedGraph.scratch of this node's arena buffers, and their node.scratch slots. */
  scratch: number[];
  scratchSlots: number[];
  simdScratch: SimdScratchRequest[];
}

export interface PreparedGraph {
  tensors: RuntimeTensor[];
  nodes: PreparedNode[];
  scratch: ScratchRequest[];
  /** Persistent SIMD memory the kernels reserved (0 when none uses SIMD). */
  persistentBytes: number;
  /** Size of the SIMD scratch region: the largest one operator asked for. */
  simdScratchBytes: number;
  /** Tensors computed once here (DEQUANTIZE of constants): constants from now on, not planned. */
  folded: number[];
}

export interface PrepareOptions {
  /**
   * Skip operators that have no kernel or whose prepare() fails instead of
   * throwing: `inspect` plans the arena of models the interpreter cannot run.
   */
  lenient?: boolean;
  /** Let kernels use the WebAssembly SIMD paths (default: when the engine supports them). */
  simd?: boolean;
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
  const simd = (options.simd ?? true) && simdAvailable();
  let persistentBytes = 0;
  let simdScratchBytes = 0;
  const scratch: ScratchRequest[] = [];
  const nodes: PreparedNode[] = [];
  const folded: number[] = [];
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
    const slots: number[] = [];
    const simdScratch: SimdScratchRequest[] = [];
    let simdBytes = 0;
    const checkCount = (type: TensorTypeName, count: number) => {
      if (!Number.isInteger(count) || count < 0) {
        throw new KernelError(node, `invalid scratch request of ${count} ${type} elements`);
      }
    };
    const requestScratch = (type: TensorTypeName, count: number): number => {
      checkCount(type, count);
      mine.push(scratch.length);
      slots.push(node.scratch.length);
      scratch.push({ node: index, type, count, bytes: count * elementBytes(type) });
      node.scratch.push(emptyView(type));
      return node.scratch.length - 1;
    };
    const requestSimdScratch = (type: TensorTypeName, count: number): number => {
      checkCount(type, count);
      simdScratch.push({ slot: node.scratch.length, type, count, offset: simdBytes });
      simdBytes += alignTo16(count * elementBytes(type));
      node.scratch.push(emptyView(type));
      return node.scratch.length - 1;
    };
    const before = scratch.length;
    const persistentBefore = persistentBytes;
    const reservePersistent = (bytes: number) => {
      persistentBytes += alignTo16(bytes);
    };
    try {
      const data = kernel.prepare(node, {
        requestScratch,
        simd,
        reservePersistent,
        requestSimdScratch,
      });
      if (foldable(code.builtinCode, node, sg.outputs, mine.length + simdScratch.length)) {
        foldNode(kernel, node, data);
        folded.push(op.outputs[0]);
        return;
      }
      nodes.push({ kernel, node, data, scratch: mine, scratchSlots: slots, simdScratch });
      simdScratchBytes = Math.max(simdScratchBytes, simdBytes);
    } catch (err) {
      if (!options.lenient) {
        if (err instanceof KernelError || err instanceof UnsupportedError) throw err;
        throw new KernelError(node, (err as Error).message);
      }
      scratch.length = before; // a failed prepare keeps no scratch
      persistentBytes = persistentBefore;
    }
  });
  return { tensors, nodes, scratch, persistentBytes, simdScratchBytes, folded };
}

/** A DEQUANTIZE whose input is constant, whose output is neither a model output nor a variable, and that needs no scratch. */
function foldable(
  code: number,
  node: NodeContext,
  subgraphOutputs: readonly number[],
  scratchCount: number,
): boolean {
  if (code !== BuiltinOperator.DEQUANTIZE || scratchCount > 0) return false;
  const out = node.outputs[0];
  return (
    node.inputs.every((t) => !t || t.isConstant) &&
    node.outputs.length === 1 &&
    !out.isVariable &&
    !subgraphOutputs.includes(out.index)
  );
}

/** Runs the operator once on its constant inputs into a buffer of its own; the output becomes a constant. */
function foldNode(kernel: Kernel, node: NodeContext, data: unknown): void {
  const out = node.outputs[0];
  const count = elementCount(out.shape);
  out.data = viewAs(out.type, new ArrayBuffer(count * elementBytes(out.type)), 0, count);
  kernel.eval(node, data);
  out.isConstant = true;
}
