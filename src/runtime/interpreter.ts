/**
 * The interpreter: load a model once, invoke it many times.
 *
 * Loading reads and validates the model, resolves every operator's kernel
 * (an unsupported op fails here, naming it and the model's op list), runs
 * every kernel's prepare() (graph.ts), plans the arena with the same planner
 * `inspect` reports (memory.ts) and binds the tensors' and scratch buffers'
 * views into it. invoke() then only runs eval()s: it allocates nothing.
 */
import { readModel } from '../tflite/reader';
import type { TfliteModel } from '../tflite/model';
import { readMetadata, type ModelMetadata } from '../tflite/metadata';
import { KernelError } from './kernel';
import { prepareGraph, type PreparedNode } from './graph';
import { planArena, type ArenaLayout } from './memory';
import type { MemoryPlanner } from './planner';
import { allOpsResolver, type OpResolver } from './resolver';
import { elementBytes, viewAs, type RuntimeTensor } from './tensor';
import { dequantizeTensor, quantizeInto } from './quantize-io';
import { alignTo16, SimdRuntime } from './wasm/simd-runtime';
import { elementCount } from '../tflite/model';
import { UnsupportedError, ValidationError } from '../errors';

export interface InterpreterOptions {
  resolver?: OpResolver;
  /** Arena layout strategy; the default is TFLM's greedy planner. */
  planner?: MemoryPlanner;
  /** Refuse models whose planned arena exceeds this many bytes. */
  maxArenaBytes?: number;
  /**
   * Use the WebAssembly SIMD kernels where they apply (default true when the
   * engine supports WebAssembly SIMD); false runs every op in JavaScript.
   * Both give the same bits.
   */
  simd?: boolean;
}

export interface OpTiming {
  index: number;
  op: string;
  ms: number;
}

export class Interpreter {
  readonly model: TfliteModel;
  readonly metadata: ModelMetadata | undefined;
  readonly layout: ArenaLayout;
  /** The planned arena: layout.arenaBytes bytes (inside the SIMD kernels' memory when they are used). */
  readonly arena: Uint8Array;
  /** The SIMD kernels' memory and functions, when any kernel uses them. */
  readonly simd: SimdRuntime | undefined;
  /** Persistent bytes the SIMD kernels keep beside the arena (weights in their layouts, the shared SIMD scratch region). */
  readonly persistentBytes: number;
  readonly tensors: RuntimeTensor[];
  /** Bytes held outside the arena by variable tensors (TFLM keeps them in the arena's persistent tail). */
  readonly variableBytes: number;
  /** Bytes of the constants computed once at load (DEQUANTIZE of float16 weights), outside the arena. */
  readonly foldedBytes: number;
  private readonly nodes: PreparedNode[];
  private readonly inputTensors: RuntimeTensor[];
  private readonly outputTensors: RuntimeTensor[];

  constructor(modelOrBytes: Uint8Array | TfliteModel, options: InterpreterOptions = {}) {
    this.model = modelOrBytes instanceof Uint8Array ? readModel(modelOrBytes) : modelOrBytes;
    const model = this.model;
    if (model.subgraphs.length !== 1) {
      throw new UnsupportedError(
        `model has ${model.subgraphs.length} subgraphs; only single-subgraph models are supported`,
      );
    }
    this.metadata = readMetadata(model);
    const sg = model.subgraphs[0];
    const graph = prepareGraph(model, options.resolver ?? allOpsResolver(), 0, {
      simd: options.simd,
    });
    this.tensors = graph.tensors;
    this.nodes = graph.nodes;

    this.layout = planArena(model, 0, options.planner, graph.scratch, graph.folded);
    if (options.maxArenaBytes !== undefined && this.layout.arenaBytes > options.maxArenaBytes) {
      throw new UnsupportedError(
        `model needs a ${this.layout.arenaBytes}-byte arena; the limit is ${options.maxArenaBytes}`,
      );
    }
    // Variables (and empty tensors) are not planned: they get persistent
    // memory, as in TFLM's arena tail — inside the SIMD kernels' memory when
    // those run, so the kernels can address them too.
    const unplanned = this.tensors.filter(
      (t) => !t.isConstant && this.layout.tensorOffsets[t.index] < 0,
    );
    const bytesOf = (t: RuntimeTensor) => elementCount(t.shape) * elementBytes(t.type);
    this.variableBytes = unplanned.reduce((sum, t) => sum + bytesOf(t), 0);
    this.foldedBytes = graph.folded.reduce((sum, t) => sum + bytesOf(this.tensors[t]), 0);
    this.persistentBytes = graph.persistentBytes + graph.simdScratchBytes;
    this.simd =
      graph.persistentBytes > 0 || graph.simdScratchBytes > 0
        ? new SimdRuntime(
            this.layout.arenaBytes,
            this.persistentBytes + unplanned.reduce((sum, t) => sum + alignTo16(bytesOf(t)), 0),
          )
        : undefined;
    const simd = this.simd;
    const buffer = simd ? simd.buffer : new ArrayBuffer(this.layout.arenaBytes);
    this.arena = new Uint8Array(buffer, 0, this.layout.arenaBytes);
    for (const t of this.tensors) {
      if (t.isConstant) continue;
      const count = elementCount(t.shape);
      const offset = this.layout.tensorOffsets[t.index];
      if (offset >= 0) {
        t.data = viewAs(t.type, buffer, offset, count);
      } else if (simd) {
        t.data = viewAs(t.type, simd.buffer, simd.alloc(bytesOf(t)), count);
      } else {
        t.data = viewAs(t.type, new ArrayBuffer(bytesOf(t)), 0, count);
      }
    }
    const simdScratch = simd && graph.simdScratchBytes > 0 ? simd.alloc(graph.simdScratchBytes) : 0;
    for (const n of this.nodes) {
      n.scratch.forEach((k, i) => {
        const s = graph.scratch[k];
        n.node.scratch[n.scratchSlots[i]] = viewAs(
          s.type,
          buffer,
          this.layout.scratchOffsets[k],
          s.count,
        );
      });
      for (const s of n.simdScratch) {
        n.node.scratch[s.slot] = viewAs(s.type, buffer, simdScratch + s.offset, s.count);
      }
    }
    if (this.simd) {
      for (const n of this.nodes) n.kernel.bind?.(n.node, n.data, this.simd);
    }
    this.inputTensors = sg.inputs.map((t) => this.tensors[t]);
    this.outputTensors = sg.outputs.map((t) => this.tensors[t]);
    this.reset();
  }

  get inputs(): RuntimeTensor[] {
    return this.inputTensors;
  }

  get outputs(): RuntimeTensor[] {
    return this.outputTensors;
  }

  private inputAt(i: number): RuntimeTensor {
    const t = this.inputTensors[i];
    if (!t) {
      throw new ValidationError(
        `model has ${this.inputTensors.length} inputs; there is no input ${i}`,
      );
    }
    return t;
  }

  /** Copies raw values (the tensor's own type: int8 as integers) into input `i`. */
  setInput(i: number, values: ArrayLike<number>): void {
    const t = this.inputAt(i);
    if (values.length !== t.data.length) {
      throw new ValidationError(
        `input ${i} "${t.name}" takes ${t.data.length} values (shape [${t.shape}]), got ${values.length}`,
      );
    }
    (t.data as Float32Array).set(values);
  }

  /**
   * Writes real values into input `i`: quantized with the input's scale and
   * zero point for int8/int16 inputs (TFLite AffineQuantize), copied for float.
   */
  setInputFloat(i: number, values: ArrayLike<number>): void {
    const t = this.inputAt(i);
    if (values.length !== t.data.length) {
      throw new ValidationError(
        `input ${i} "${t.name}" takes ${t.data.length} values (shape [${t.shape}]), got ${values.length}`,
      );
    }
    quantizeInto(t, values);
  }

  /** Output `i` as real values: dequantized for quantized outputs, a copy for float. */
  outputFloat(i: number): Float32Array {
    const t = this.outputTensors[i];
    if (!t) {
      throw new ValidationError(
        `model has ${this.outputTensors.length} outputs; there is no output ${i}`,
      );
    }
    return dequantizeTensor(t);
  }

  /** Resets variable tensors (TFLM MicroInterpreter::Reset): zero point for int8, else 0. */
  reset(): void {
    for (const t of this.tensors) {
      if (!t.isVariable) continue;
      const zp = t.type === 'int8' ? (t.quantization?.zeroPoint[0] ?? 0) : 0;
      (t.data as Int8Array).fill(zp);
    }
  }

  invoke(): void {
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      try {
        n.kernel.eval(n.node, n.data);
      } catch (err) {
        if (err instanceof KernelError) throw err;
        throw new KernelError(n.node, (err as Error).message);
      }
    }
  }

  /**
   * Runs operator `index` alone on whatever its input tensors hold (tests feed
   * another runtime's intermediate tensors to compare one op at a time).
   */
  invokeOperator(index: number): void {
    const n = this.nodes.find((p) => p.node.index === index);
    if (!n) throw new ValidationError(`model has no operator ${index}`);
    n.kernel.eval(n.node, n.data);
  }

  /** Runs the model once, timing each operator (for benchmarks and profiling). */
  profile(): OpTiming[] {
    return this.nodes.map((n) => {
      const start = process.hrtime.bigint();
      n.kernel.eval(n.node, n.data);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      return { index: n.node.index, op: n.node.opName, ms };
    });
  }
}
