/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM, as TFLite Micro runs it
 * (micro/kernels/unidirectional_sequence_lstm.cc, lstm_eval_common.cc,
 * lstm_shared.h for the 24 input slots): the standard LSTM only, and
 * prepare() refuses what TFLM refuses — a missing input gate (CIFG),
 * peephole weights, projection, layer normalization, diagonal recurrent
 * weights, float inputs with int8 weights (hybrid).
 *
 * prepare() computes the op data once: the sizes, each gate's two fully
 * connected parameter sets (integer: requantized to int16 at 2^-12), the three
 * inter-gate MUL multipliers, the quantized cell clip, and asks for TFLM's
 * four scratch buffers of batch * units cell-type elements. eval() only runs
 * the steps (lstm-eval.ts). Hidden state (input 18) and cell state (input 19)
 * are variable tensors: they carry over between invokes until reset().
 *
 * Types (TFLM's dispatch): float32 everywhere; int8 activations, int8
 * weights, int32 biases, int16 cell state; int16 activations, int8 weights,
 * int64 biases, int16 cell state.
 */
import { elementCount, type ActivationName } from '../../tflite/model';
import {
  expectRank,
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import type { RuntimeTensor } from '../tensor';
import { quantizeMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import { biasValues, foldInputOffset, perTensorConvMultiplier } from './quant-params';
import { checkedLog2 } from './sigmoid-params';
import type { FullyConnectedQuantParams } from './fully-connected-reference';
import {
  cellTanhParams,
  evalLstm,
  type CellGateActivation,
  type InterGateMul,
  type LstmBuffers,
  type LstmCommon,
  type LstmFloatData,
  type LstmGateFloat,
  type LstmGateQuantized,
  type LstmQuantizedData,
  type LstmSizeInfo,
  type StepOffsets,
} from './lstm-eval';

/** Input slots (TFLM lstm_shared.h). */
const INPUT = 0;
const INPUT_WEIGHTS = { input: 1, forget: 2, cell: 3, output: 4 } as const;
const RECURRENT_WEIGHTS = { input: 5, forget: 6, cell: 7, output: 8 } as const;
const BIASES = { input: 12, forget: 13, cell: 14, output: 15 } as const;
const OUTPUT_STATE = 18;
const CELL_STATE = 19;
type GateName = keyof typeof BIASES;

/** Optional slots TFLM's kernel requires to be absent, with what they would mean. */
const UNSUPPORTED_SLOTS: readonly [number, string][] = [
  [9, 'peephole (cell-to-input) weights'],
  [10, 'peephole (cell-to-forget) weights'],
  [11, 'peephole (cell-to-output) weights'],
  [16, 'projection weights'],
  [17, 'projection bias'],
  [20, 'input layer-normalization coefficients'],
  [21, 'forget layer-normalization coefficients'],
  [22, 'cell layer-normalization coefficients'],
  [23, 'output layer-normalization coefficients'],
];

/** Gate pre-activations are int16 Q3.12 and gate outputs Q0.15 (lstm_eval_common.cc). */
const GATE_INPUT_SCALE = 2 ** -12;
const GATE_OUTPUT_SCALE = 2 ** -15;

type LstmData = (LstmFloatData | LstmQuantizedData) & {
  at: StepOffsets;
  /** The scratch views, looked up on the first eval (they exist once the arena is bound). */
  views?: LstmBuffers<Float32Array> | LstmBuffers<Int16Array>;
};

function checkSlots(node: NodeContext): void {
  if (node.inputs.length !== 24 || node.outputs.length !== 1) {
    throw new KernelError(
      node,
      `expected 24 inputs and 1 output (TFLM's layout), got ${node.inputs.length} and ${node.outputs.length}`,
    );
  }
  for (const [slot, what] of UNSUPPORTED_SLOTS) {
    if (node.inputs[slot]) {
      throw new KernelError(node, `${what} (input ${slot}) are not supported, as in TFLite Micro`);
    }
  }
  if (!node.inputs[INPUT_WEIGHTS.input] || !node.inputs[RECURRENT_WEIGHTS.input]) {
    throw new KernelError(
      node,
      'an LSTM without an input gate (CIFG) is not supported, as in TFLite Micro: inputs 1 and 5 are required',
    );
  }
  if (node.options?.diagonalRecurrentTensors === true) {
    throw new KernelError(node, 'diagonal recurrent weights are not supported');
  }
}

/** TFLM CreateLstmSizeInfo + ValidateTensorSize. */
function sizeInfo(node: NodeContext): LstmSizeInfo {
  const x = input(node, INPUT);
  const hidden = input(node, OUTPUT_STATE);
  const cell = input(node, CELL_STATE);
  const y = output(node, 0);
  expectRank(node, x, 3);
  expectRank(node, y, 3);
  const timeMajor = node.options?.timeMajor === true;
  const weights = input(node, INPUT_WEIGHTS.forget);
  expectRank(node, weights, 2);
  const size: LstmSizeInfo = {
    timeMajor,
    batchSize: timeMajor ? x.shape[1] : x.shape[0],
    timeSteps: timeMajor ? x.shape[0] : x.shape[1],
    inputDimension: x.shape[2],
    stateDimension: weights.shape[0],
  };
  const { inputDimension: inDim, stateDimension: units, batchSize } = size;
  const expectShape = (t: RuntimeTensor, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new KernelError(node, `tensor "${t.name}" has shape [${t.shape}]; expected [${shape}]`);
    }
  };
  for (const gate of Object.keys(BIASES) as GateName[]) {
    expectShape(input(node, INPUT_WEIGHTS[gate]), [units, inDim]);
    expectShape(input(node, RECURRENT_WEIGHTS[gate]), [units, units]);
    expectShape(input(node, BIASES[gate]), [units]);
  }
  for (const state of [hidden, cell]) {
    if (elementCount(state.shape) !== batchSize * units) {
      throw new KernelError(
        node,
        `state "${state.name}" [${state.shape}] must hold batch ${batchSize} x ${units} units`,
      );
    }
    if (!state.isVariable) {
      throw new KernelError(node, `state "${state.name}" must be a variable tensor`);
    }
  }
  expectShape(y, [x.shape[0], x.shape[1], units]);
  return size;
}

/** Every weight of a gate set shares one type, and so do the biases (TFLM ValidateTensorStatus). */
function checkTypes(node: NodeContext, weightType: string, biasType: string): void {
  for (const gate of Object.keys(BIASES) as GateName[]) {
    expectType(node, input(node, INPUT_WEIGHTS[gate]), weightType);
    expectType(node, input(node, RECURRENT_WEIGHTS[gate]), weightType);
    expectType(node, input(node, BIASES[gate]), biasType);
  }
}

/** The schema's activations include TANH but no sigmoid; TFLM's gate code handles only those two. */
function cellGateActivation(node: NodeContext): CellGateActivation {
  const act: ActivationName = fusedActivation(node);
  if (act !== 'TANH') {
    throw new KernelError(node, `cell gate activation ${act} is not supported; only TANH`);
  }
  return act;
}

function floatGate(node: NodeContext, gate: GateName, size: LstmSizeInfo): LstmGateFloat {
  const batches = size.timeMajor ? size.batchSize : 1;
  const fc = (accumDepth: number) => ({
    batches,
    accumDepth,
    outputDepth: size.stateDimension,
    activationMin: -Infinity,
    activationMax: Infinity,
  });
  return {
    inputFc: fc(size.inputDimension),
    recurrentFc: fc(size.stateDimension),
    inputWeights: input(node, INPUT_WEIGHTS[gate]).data as Float32Array,
    recurrentWeights: input(node, RECURRENT_WEIGHTS[gate]).data as Float32Array,
    bias: input(node, BIASES[gate]).data as Float32Array,
  };
}

/**
 * One of a gate's two products (TFLM CreateGateParams through
 * CalculateOpDataFullyConnected): per-tensor weights, output int16 at 2^-12
 * with zero point 0 and the full int16 range. The weights are constant, so
 * with a zero weight zero point input_offset * sum(w) joins the bias here.
 */
function quantizedFc(
  node: NodeContext,
  x: RuntimeTensor,
  w: RuntimeTensor,
  bias: RuntimeTensor | null,
  size: LstmSizeInfo,
): FullyConnectedQuantParams {
  const inQ = requireQuantization(node, x);
  const wQ = requireQuantization(node, w);
  if (w.quantization!.scale.length !== 1) {
    throw new KernelError(node, `weights "${w.name}" must be quantized per tensor`);
  }
  if (!w.isConstant) throw new KernelError(node, `weights "${w.name}" must be constant`);
  const accumDepth = w.shape[1];
  const outputDepth = size.stateDimension;
  const m = perTensorConvMultiplier(inQ.scale, wQ.scale, GATE_INPUT_SCALE);
  const biasData = biasValues(node, bias, outputDepth);
  const inputOffset = -inQ.zeroPoint;
  const weightsOffset = -wQ.zeroPoint;
  let accBase: Float64Array | null = null;
  if (weightsOffset === 0) {
    const wd = w.data as Int8Array;
    accBase = foldInputOffset(biasData, inputOffset, wd, outputDepth, accumDepth, accumDepth, 1);
  }
  return {
    batches: size.timeMajor ? size.batchSize : 1,
    accumDepth,
    outputDepth,
    inputOffset,
    weightsOffset,
    outputOffset: 0,
    outputMultiplier: new Int32Array(outputDepth).fill(m.multiplier),
    outputShift: new Int32Array(outputDepth).fill(m.shift),
    quantizedActivationMin: -32768,
    quantizedActivationMax: 32767,
    accBase,
    bias: biasData,
    int64Accumulator: x.type === 'int16',
  };
}

function quantizedGate(node: NodeContext, gate: GateName, size: LstmSizeInfo): LstmGateQuantized {
  const x = input(node, INPUT);
  const hidden = input(node, OUTPUT_STATE);
  const w = input(node, INPUT_WEIGHTS[gate]);
  const r = input(node, RECURRENT_WEIGHTS[gate]);
  const bias = input(node, BIASES[gate]);
  if (!bias.isConstant) throw new KernelError(node, `bias "${bias.name}" must be constant`);
  return {
    inputFc: quantizedFc(node, x, w, bias, size),
    recurrentFc: quantizedFc(node, hidden, r, null, size),
    inputWeights: w.data as Int8Array,
    recurrentWeights: r.data as Int8Array,
  };
}

/** TFLM CreateInterGateMulParams: scales multiplied and divided in double. */
function interGateMul(
  input1Scale: number,
  input2Scale: number,
  outputScale: number,
  outputType: string,
  outputZeroPoint = 0,
): InterGateMul {
  const { multiplier, shift } = quantizeMultiplier((input1Scale * input2Scale) / outputScale);
  const bits = outputType === 'int8' ? 8 : 16;
  return {
    outputMultiplier: multiplier,
    outputShift: shift,
    outputOffset: outputZeroPoint,
    quantizedActivationMin: -(2 ** (bits - 1)),
    quantizedActivationMax: 2 ** (bits - 1) - 1,
  };
}

function prepareQuantized(
  node: NodeContext,
  size: LstmSizeInfo,
  common: Omit<LstmCommon, 'cellClip'>,
): LstmQuantizedData {
  const x = input(node, INPUT);
  const hidden = input(node, OUTPUT_STATE);
  const cell = input(node, CELL_STATE);
  checkTypes(node, 'int8', x.type === 'int8' ? 'int32' : 'int64');
  const cellQ = requireQuantization(node, cell);
  const hiddenQ = requireQuantization(node, hidden);
  if (cellQ.zeroPoint !== 0) {
    throw new KernelError(node, `cell state zero point must be 0, got ${cellQ.zeroPoint}`);
  }
  // TFLM CreateLstmCellStateInfo: 2^power = cell scale; the clip is truncated to int16.
  const [cellStateScalePower] = checkedLog2(cellQ.scale);
  const clip = f32(numberOption(node, 'cellClip', 0));
  const cellClip = clip > 0 ? Math.trunc(Math.min(Math.max(clip / cellQ.scale, -32768), 32767)) : 0;
  return {
    ...common,
    kind: x.type as 'int8' | 'int16',
    cellClip,
    forget: quantizedGate(node, 'forget', size),
    input: quantizedGate(node, 'input', size),
    cell: quantizedGate(node, 'cell', size),
    output: quantizedGate(node, 'output', size),
    cellTanh: cellTanhParams(cellStateScalePower),
    forgetCellMul: interGateMul(GATE_OUTPUT_SCALE, cellQ.scale, cellQ.scale, 'int16'),
    inputMul: interGateMul(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cellQ.scale, 'int16'),
    outputMul: interGateMul(
      GATE_OUTPUT_SCALE,
      GATE_OUTPUT_SCALE,
      hiddenQ.scale,
      hidden.type,
      hiddenQ.zeroPoint,
    ),
  };
}

export const unidirectionalSequenceLstm: Kernel<LstmData> = {
  prepare(node, ctx) {
    checkSlots(node);
    const x = input(node, INPUT);
    const hidden = input(node, OUTPUT_STATE);
    const cell = input(node, CELL_STATE);
    const y = output(node, 0);
    expectType(node, x, 'float32', 'int8', 'int16');
    if (hidden.type !== x.type || y.type !== x.type) {
      throw new KernelError(
        node,
        `input, output state and output must share one type; got ${x.type}, ${hidden.type}, ${y.type}`,
      );
    }
    const size = sizeInfo(node);
    const cellType = x.type === 'float32' ? 'float32' : 'int16';
    expectType(node, cell, cellType);
    const count = size.batchSize * size.stateDimension;
    const buffers: LstmBuffers<number> = {
      forget: ctx.requestScratch(cellType, count),
      input: ctx.requestScratch(cellType, count),
      cell: ctx.requestScratch(cellType, count),
      fc: ctx.requestScratch(cellType, count),
    };
    const common = { size, cellGateActivation: cellGateActivation(node), buffers };
    const at = { input: 0, output: 0, hidden: 0, cell: 0 };
    if (x.type === 'float32') {
      if (input(node, INPUT_WEIGHTS.forget).type !== 'float32') {
        throw new KernelError(
          node,
          'float inputs with quantized weights (hybrid LSTM) are not supported, as in TFLite Micro',
        );
      }
      checkTypes(node, 'float32', 'float32');
      return {
        ...common,
        kind: 'float',
        cellClip: f32(numberOption(node, 'cellClip', 0)),
        forget: floatGate(node, 'forget', size),
        input: floatGate(node, 'input', size),
        cell: floatGate(node, 'cell', size),
        output: floatGate(node, 'output', size),
        at,
      };
    }
    return { ...prepareQuantized(node, size, common), at };
  },
  eval(node, data) {
    const s = node.scratch;
    const b = data.buffers;
    if (data.views?.forget !== s[b.forget]) {
      const view = (i: number) => s[i] as Float32Array;
      data.views = {
        forget: view(b.forget),
        input: view(b.input),
        cell: view(b.cell),
        fc: view(b.fc),
      };
    }
    evalLstm(
      data,
      node.inputs[INPUT]!.data as Float32Array,
      node.inputs[OUTPUT_STATE]!.data as Float32Array,
      node.inputs[CELL_STATE]!.data as Float32Array,
      node.outputs[0].data as Float32Array,
      data.views,
      data.at,
    );
  },
};
