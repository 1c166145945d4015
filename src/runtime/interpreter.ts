/**
 * The interpreter: load a model once, invoke it many times.
 *
 * Loading reads and validates the model, resolves every operator's kernel
 * (an unsupported op fails here, naming it and the model's op list), plans
 * the arena with the same planner `inspect` reports, creates the tensors'
 * views and runs every kernel's prepare(). invoke() then only runs eval()s:
 * it allocates nothing.
 */
import { readModel } from '../tflite/reader';
import { elementCount, opName, operatorName, type TfliteModel } from '../tflite/model';
import { readMetadata, type ModelMetadata } from '../tflite/metadata';
import { KernelError, type Kernel, type NodeContext } from './kernel';
import { planArena, type ArenaLayout } from './memory';
import { allOpsResolver, type OpResolver } from './resolver';
import { viewAs, type RuntimeTensor, type TypedData } from './tensor';
import { UnsupportedError, ValidationError } from '../errors';

export interface InterpreterOptions {
  resolver?: OpResolver;
  /** Refuse models whose planned arena exceeds this many bytes. */
  maxArenaBytes?: number;
}

interface PreparedNode {
  kernel: Kernel;
  node: NodeContext;
  data: unknown;
}

export class Interpreter {
  readonly model: TfliteModel;
  readonly metadata: ModelMetadata | undefined;
  readonly layout: ArenaLayout;
  readonly arena: ArrayBuffer;
  readonly tensors: RuntimeTensor[];
  private readonly nodes: PreparedNode[];

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
    const resolver = options.resolver ?? allOpsResolver();

    // Resolve every op before allocating anything.
    const kernels = sg.operators.map((op) => {
      const code = model.operatorCodes[op.opcodeIndex];
      const kernel = resolver.find(code.builtinCode);
      if (!kernel) {
        const used = [...new Set(sg.operators.map((o) => operatorName(model, o)))].join(', ');
        throw new UnsupportedError(
          `op ${operatorName(model, op)} is not supported by this interpreter; the model uses ${used}; supported: ${resolver.ops().join(', ')}`,
        );
      }
      return kernel;
    });

    this.layout = planArena(model);
    if (options.maxArenaBytes !== undefined && this.layout.arenaBytes > options.maxArenaBytes) {
      throw new UnsupportedError(
        `model needs a ${this.layout.arenaBytes}-byte arena; the limit is ${options.maxArenaBytes}`,
      );
    }
    this.arena = new ArrayBuffer(this.layout.arenaBytes);
    this.tensors = sg.tensors.map((t, i) => {
      const count = elementCount(t.shape);
      const buf = model.buffers[t.buffer]?.data;
      let data: TypedData;
      let isConstant = false;
      if (buf && buf.length > 0) {
        // Constant: view the model's buffer in place when aligned, else copy once.
        const aligned = buf.byteOffset % 8 === 0 ? buf : buf.slice();
        data = viewAs(t.type, aligned.buffer, aligned.byteOffset, count);
        isConstant = true;
      } else if (this.layout.tensorOffsets[i] >= 0) {
        data = viewAs(t.type, this.arena, this.layout.tensorOffsets[i], count);
      } else {
        // Not planned: unused, empty or variable tensor; give it its own memory.
        data = viewAs(t.type, new ArrayBuffer(Math.max(count * 8, 8)), 0, count);
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
      return rt;
    });

    this.nodes = sg.operators.map((op, index) => {
      const code = model.operatorCodes[op.opcodeIndex];
      const node: NodeContext = {
        index,
        opName: opName(code.builtinCode),
        inputs: op.inputs.map((t) => (t < 0 ? null : this.tensors[t])),
        outputs: op.outputs.map((t) => this.tensors[t]),
        options: op.options,
        version: code.version,
      };
      const kernel = kernels[index];
      return { kernel, node, data: kernel.prepare(node) };
    });
  }

  get inputs(): RuntimeTensor[] {
    return this.model.subgraphs[0].inputs.map((t) => this.tensors[t]);
  }

  get outputs(): RuntimeTensor[] {
    return this.model.subgraphs[0].outputs.map((t) => this.tensors[t]);
  }

  /** Copies values into input `i`; they must be of the tensor's element count. */
  setInput(i: number, values: ArrayLike<number>): void {
    const t = this.inputs[i];
    if (!t)
      throw new ValidationError(`model has ${this.inputs.length} inputs; there is no input ${i}`);
    if (values.length !== t.data.length) {
      throw new ValidationError(
        `input ${i} "${t.name}" takes ${t.data.length} values (shape [${t.shape}]), got ${values.length}`,
      );
    }
    (t.data as Float32Array).set(values);
  }

  invoke(): void {
    for (const { kernel, node, data } of this.nodes) {
      try {
        kernel.eval(node, data);
      } catch (err) {
        if (err instanceof KernelError) throw err;
        throw new KernelError(node, (err as Error).message);
      }
    }
  }
}
