/**
 * PAD and PADV2 (micro/kernels/pad.cc; kernels/internal/reference/pad.h):
 * the output is the pad value everywhere except a copy of the input offset by
 * the left paddings. The pad value is the third input when given, else 0, or
 * the output's zero point for int8 (quantized zero). Paddings must be a
 * constant [rank, 2] tensor, as TFLM requires.
 */
import {
  expectConstant,
  expectType,
  input,
  KernelError,
  optionalInput,
  output,
  type Kernel,
} from '../kernel';

export interface PadParams {
  inputDims: Int32Array;
  outputStrides: Int32Array;
  leftPadding: Int32Array;
  rowLength: number;
  rows: number;
  padValue: number;
  hasConstantValue: boolean;
  index: Int32Array;
}

export function pad(
  p: PadParams,
  x: ArrayLike<number>,
  y: Float32Array | Int8Array | Int16Array | Int32Array,
  padValue: number,
): void {
  y.fill(padValue);
  const rank = p.inputDims.length;
  if (x.length === 0) return;
  const index = p.index;
  index.fill(0);
  const n = p.rowLength;
  let src = 0;
  for (let r = 0; r < p.rows; r++) {
    let dst = p.leftPadding[rank - 1];
    for (let d = 0; d < rank - 1; d++) dst += (index[d] + p.leftPadding[d]) * p.outputStrides[d];
    for (let i = 0; i < n; i++) y[dst + i] = x[src + i];
    src += n;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < p.inputDims[d]) break;
      index[d] = 0;
    }
  }
}

export const padKernel: Kernel<PadParams> = {
  prepare(node) {
    const x = input(node, 0);
    const paddings = input(node, 1);
    const constant = optionalInput(node, 2);
    const y = output(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16', 'int32');
    if (x.type !== y.type)
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    expectType(node, paddings, 'int32', 'int64');
    expectConstant(node, paddings, 'paddings');
    const rank = y.shape.length;
    if (x.shape.length !== rank || paddings.data.length !== rank * 2 || rank > 5) {
      throw new KernelError(
        node,
        `paddings [${paddings.shape}] do not fit input [${x.shape}] and output [${y.shape}] (rank at most 5)`,
      );
    }
    const pads = Array.from(paddings.data as ArrayLike<number | bigint>, Number);
    for (let d = 0; d < rank; d++) {
      if (
        pads[2 * d] < 0 ||
        pads[2 * d + 1] < 0 ||
        x.shape[d] + pads[2 * d] + pads[2 * d + 1] !== y.shape[d]
      ) {
        throw new KernelError(
          node,
          `output dimension ${d} is ${y.shape[d]}; input ${x.shape[d]} padded by ${pads[2 * d]} and ${pads[2 * d + 1]} gives ${x.shape[d] + pads[2 * d] + pads[2 * d + 1]}`,
        );
      }
    }
    let padValue = 0;
    if (constant) {
      if (constant.type !== x.type || constant.shape.reduce((a, b) => a * b, 1) !== 1) {
        throw new KernelError(node, `constant_values must be one ${x.type} value`);
      }
    } else if (x.type === 'int8') {
      padValue = y.quantization?.zeroPoint[0] ?? 0;
    }
    const outputStrides = new Int32Array(rank);
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      outputStrides[d] = stride;
      stride *= y.shape[d];
    }
    const rowLength = rank === 0 ? 1 : x.shape[rank - 1];
    const count = x.shape.reduce((a, b) => a * b, 1);
    return {
      inputDims: Int32Array.from(x.shape),
      outputStrides,
      leftPadding: Int32Array.from(pads.filter((_, i) => i % 2 === 0)),
      rowLength,
      rows: rowLength === 0 ? 0 : count / rowLength,
      padValue,
      hasConstantValue: !!constant,
      index: new Int32Array(Math.max(rank, 1)),
    };
  },
  eval(node, p) {
    const padValue = p.hasConstantValue ? Number(node.inputs[2]!.data[0]) : p.padValue;
    pad(p, node.inputs[0]!.data as Int8Array, node.outputs[0].data as Int8Array, padValue);
  },
};
