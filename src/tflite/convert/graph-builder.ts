/**
 * Accumulates tensors, constant buffers, operator codes and operators of one
 * subgraph while a converter walks a model, and assembles the TfliteModel:
 * tensors and buffers nothing refers to any more (left behind by the graph
 * rewrites in fuse.ts) are dropped, and every operator code gets the version
 * TensorFlow's converter would give it (op-version.ts).
 */
import {
  SCHEMA_VERSION,
  type BuiltinOptions,
  type MetadataDef,
  type OperatorCodeDef,
  type OperatorDef,
  type Quantization,
  type TensorDef,
  type TensorTypeName,
  type TfliteModel,
} from '../model';
import { withDefaults } from '../options';
import { updateOpVersions } from '../op-version';

export type ConstData = Float32Array | Int32Array | Int8Array | Uint8Array | Int16Array;

export class GraphBuilder {
  readonly tensors: TensorDef[] = [];
  readonly buffers: { data: Uint8Array }[] = [{ data: new Uint8Array(0) }];
  readonly operatorCodes: OperatorCodeDef[] = [];
  readonly operators: OperatorDef[] = [];
  private readonly names = new Set<string>();

  /** Adds a tensor; `data` makes it a constant with its own buffer. */
  addTensor(
    name: string,
    shape: number[],
    type: TensorTypeName = 'float32',
    data?: ConstData,
    quantization?: Quantization,
  ): number {
    let buffer = 0;
    if (data) {
      buffer = this.buffers.length;
      this.buffers.push({
        data: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
      });
    }
    const tensor: TensorDef = { name: this.uniqueName(name), shape: [...shape], type, buffer };
    if (quantization) tensor.quantization = quantization;
    this.tensors.push(tensor);
    return this.tensors.length - 1;
  }

  /** A variable tensor: state an operator keeps across invokes (an LSTM's hidden and cell state). */
  variable(
    name: string,
    shape: number[],
    type: TensorTypeName = 'float32',
    quantization?: Quantization,
  ): number {
    const index = this.addTensor(name, shape, type, undefined, quantization);
    this.tensors[index].isVariable = true;
    return index;
  }

  /** A constant tensor with its own buffer. */
  constant(
    name: string,
    shape: number[],
    data: ConstData,
    type: TensorTypeName = 'float32',
  ): number {
    return this.addTensor(name, shape, type, data);
  }

  /** An int32 constant vector (shapes, axes, paddings). */
  int32(name: string, values: number[], shape: number[] = [values.length]): number {
    return this.constant(name, shape, Int32Array.from(values), 'int32');
  }

  /** The float32 values of a constant tensor (a copy), or undefined. */
  constantValues(index: number): Float32Array | undefined {
    const t = this.tensors[index];
    if (!t || t.type !== 'float32' || t.buffer === 0) return undefined;
    const data = this.buffers[t.buffer].data;
    return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }

  /** Replaces a constant tensor's data (same size) with `values`. */
  setConstant(index: number, values: Float32Array): void {
    const t = this.tensors[index];
    this.buffers[t.buffer] = { data: new Uint8Array(values.buffer.slice(0)) };
  }

  /** Index of the operator code, registering it on first use. */
  opcode(builtinCode: number, version = 1): number {
    let index = this.operatorCodes.findIndex((c) => c.builtinCode === builtinCode);
    if (index < 0) {
      this.operatorCodes.push({ builtinCode, version });
      index = this.operatorCodes.length - 1;
    } else if (this.operatorCodes[index].version < version) {
      // One code per op: it must carry the highest version any use needs.
      this.operatorCodes[index].version = version;
    }
    return index;
  }

  addOperator(
    builtinCode: number,
    inputs: number[],
    outputs: number[],
    options?: BuiltinOptions,
    version = 1,
  ): void {
    const op: OperatorDef = { opcodeIndex: this.opcode(builtinCode, version), inputs, outputs };
    if (options) op.options = withDefaults(options);
    this.operators.push(op);
  }

  private uniqueName(name: string): string {
    let candidate = name;
    for (let i = 1; this.names.has(candidate); i++) candidate = `${name}_${i}`;
    this.names.add(candidate);
    return candidate;
  }

  /** Adds a metadata entry whose buffer holds `bytes`. */
  metadataEntry(name: string, bytes: Uint8Array): MetadataDef {
    this.buffers.push({ data: bytes });
    return { name, buffer: this.buffers.length - 1 };
  }

  /**
   * Drops tensors no operator or graph input/output uses, buffers no tensor
   * uses and operator codes no operator uses, renumbering the rest in order.
   * Returns the renumbered graph inputs and outputs.
   */
  compact(inputs: number[], outputs: number[]): { inputs: number[]; outputs: number[] } {
    const used = new Set<number>([...inputs, ...outputs]);
    for (const op of this.operators) {
      for (const t of [...op.inputs, ...op.outputs]) if (t >= 0) used.add(t);
    }
    const tensorMap = new Map<number, number>();
    const keptTensors: TensorDef[] = [];
    this.tensors.forEach((t, i) => {
      if (!used.has(i)) return;
      tensorMap.set(i, keptTensors.length);
      keptTensors.push(t);
    });
    const bufferMap = new Map<number, number>([[0, 0]]);
    const keptBuffers = [this.buffers[0]];
    for (const t of keptTensors) {
      if (t.buffer === 0) continue;
      if (!bufferMap.has(t.buffer)) {
        bufferMap.set(t.buffer, keptBuffers.length);
        keptBuffers.push(this.buffers[t.buffer]);
      }
      t.buffer = bufferMap.get(t.buffer)!;
    }
    const codeMap = new Map<number, number>();
    const keptCodes: OperatorCodeDef[] = [];
    for (const op of this.operators) {
      if (!codeMap.has(op.opcodeIndex)) {
        codeMap.set(op.opcodeIndex, keptCodes.length);
        keptCodes.push(this.operatorCodes[op.opcodeIndex]);
      }
      op.opcodeIndex = codeMap.get(op.opcodeIndex)!;
      op.inputs = op.inputs.map((t) => (t < 0 ? t : tensorMap.get(t)!));
      op.outputs = op.outputs.map((t) => tensorMap.get(t)!);
    }
    this.tensors.splice(0, this.tensors.length, ...keptTensors);
    this.buffers.splice(0, this.buffers.length, ...keptBuffers);
    this.operatorCodes.splice(0, this.operatorCodes.length, ...keptCodes);
    return {
      inputs: inputs.map((t) => tensorMap.get(t)!),
      outputs: outputs.map((t) => tensorMap.get(t)!),
    };
  }

  finish(
    graphInputs: number[],
    graphOutputs: number[],
    description: string,
    metadata: { name: string; bytes: Uint8Array }[] = [],
  ): TfliteModel {
    const { inputs, outputs } = this.compact(graphInputs, graphOutputs);
    const entries = metadata.map((m) => this.metadataEntry(m.name, m.bytes));
    const model: TfliteModel = {
      version: SCHEMA_VERSION,
      description,
      operatorCodes: this.operatorCodes,
      subgraphs: [
        { name: 'main', tensors: this.tensors, inputs, outputs, operators: this.operators },
      ],
      buffers: this.buffers,
      metadata: entries,
      signatureDefs: [
        {
          signatureKey: 'serving_default',
          subgraphIndex: 0,
          inputs: inputs.map((t) => ({ name: this.tensors[t].name, tensorIndex: t })),
          outputs: outputs.map((t) => ({ name: this.tensors[t].name, tensorIndex: t })),
        },
      ],
    };
    updateOpVersions(model);
    return model;
  }
}
