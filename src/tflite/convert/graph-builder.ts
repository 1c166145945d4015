/**
 * Accumulates tensors, constant buffers, operator codes and operators of one
 * subgraph while a converter walks a model, and assembles the TfliteModel.
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

  finish(
    inputs: number[],
    outputs: number[],
    description: string,
    metadata: { name: string; bytes: Uint8Array }[] = [],
  ): TfliteModel {
    const entries = metadata.map((m) => this.metadataEntry(m.name, m.bytes));
    return {
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
  }
}
