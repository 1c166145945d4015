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
import { elementCount } from '../tflite/model';
import { UnsupportedError, ValidationError } from '../errors';

export interface InterpreterOptions {
  resolver?: OpResolver;
  /** Arena layout strategy; the default is TFLM's greedy planner. */
  planner?: MemoryPlanner;
  /** Refuse models whose planned arena exceeds this many bytes. */
  maxArenaBytes?: number;
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
  readonly arena: ArrayBuffer;
  readonly tensors: RuntimeTensor[];
  /** Bytes held outside the arena by variable tensors (TFLM keeps them in the arena's persistent tail). */
  readonly variableBytes: number;
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
    const graph = prepareGraph(model, options.resolver ?? allOpsResolver());
    this.tensors = graph.tensors;
    this.nodes = graph.nodes;

    this.layout = planArena(model, 0, options.planner, graph.scratch);
    if (options.maxArenaBytes !== undefined && this.layout.arenaBytes > options.maxArenaBytes) {
      throw new UnsupportedError(
        `model needs a ${this.layout.arenaBytes}-byte arena; the limit is ${options.maxArenaBytes}`,
      );
    }
    this.arena = new ArrayBuffer(this.layout.arenaBytes);
    let variableBytes = 0;
    for (const t of this.tensors) {
      if (t.isConstant) continue;
      const count = elementCount(t.shape);
      const offset = this.layout.tensorOffsets[t.index];
      if (offset >= 0) {
        t.data = viewAs(t.type, this.arena, offset, count);
      } else {
        // Variables and empty tensors: own memory, as TFLM's persistent tail.
        const bytes = count * elementBytes(t.type);
        variableBytes += bytes;
        t.data = viewAs(t.type, new ArrayBuffer(bytes), 0, count);
      }
    }
    this.variableBytes = variableBytes;
    for (const n of this.nodes) {
      n.node.scratch = n.scratch.map((k) => {
        const s = graph.scratch[k];
        return viewAs(s.type, this.arena, this.layout.scratchOffsets[k], s.count);
      });
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
