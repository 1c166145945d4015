/**
 * One LSTM time step and the sequence loop, after TFLite Micro's
 * micro/kernels/lstm_eval.h (LstmStep, EvalLstm, LstmStepManager): the
 * standard LSTM of the Keras layer (gates i, f, c~, o; no peephole, projection
 * or layer normalization):
 *
 *   f = sigmoid(W_f x + R_f h + b_f)      i = sigmoid(W_i x + R_i h + b_i)
 *   g = act(W_c x + R_c h + b_c)          c = clip(f * c + i * g)
 *   o = sigmoid(W_o x + R_o h + b_o)      h = o * tanh(c);  output[t] = h
 *
 * The gates are computed in TFLM's order (forget, input, cell, then the cell
 * update, then output) into four scratch buffers of batch * units cell-type
 * elements, reused as TFLM reuses them.
 *
 * Integer form (int8 or int16 activations, int8 weights, int16 cell state):
 * each gate's two fully connected products are requantized to int16 Q3.12
 * (scale 2^-12), added with saturation, and go through the int16 sigmoid or
 * tanh, whose outputs are Q0.15 (scale 2^-15). The three products
 * f * c, i * g and o * tanh(c) are MUL's integer formula (a * b requantized by
 * s1 * s2 / s_out); tanh(c) reads the cell state at its power-of-two scale.
 */
import {
  fullyConnectedFloat,
  fullyConnectedQuantized,
  type FullyConnectedFloatParams,
  type FullyConnectedQuantParams,
} from './fully-connected-reference';
import { logisticFloat, logisticInt16 } from './logistic';
import { tanhFloat, tanhInt16 } from './tanh';
import { multiplyByQuantizedMultiplier } from '../quant/multiplier';
import type { Int16SigmoidParams } from './sigmoid-params';

/** TFLM LstmSizeInfo: batch-major input [B, T, I] or time-major [T, B, I]; state [B, S]. */
export interface LstmSizeInfo {
  timeMajor: boolean;
  batchSize: number;
  timeSteps: number;
  inputDimension: number;
  stateDimension: number;
}

/** The cell gate's activation (the op's fused activation): TFLM accepts these two. */
export type CellGateActivation = 'TANH' | 'SIGMOID';

export interface LstmGateFloat {
  inputFc: FullyConnectedFloatParams;
  recurrentFc: FullyConnectedFloatParams;
  inputWeights: Float32Array;
  recurrentWeights: Float32Array;
  bias: Float32Array;
}

export interface LstmGateQuantized {
  /** Input x weights + bias, requantized to int16 at 2^-12. */
  inputFc: FullyConnectedQuantParams;
  /** Hidden state x recurrent weights (no bias), requantized to int16 at 2^-12. */
  recurrentFc: FullyConnectedQuantParams;
  inputWeights: Int8Array;
  recurrentWeights: Int8Array;
}

/** TFLM CreateInterGateMulParams: symmetric inputs, output offset and the output type's range. */
export interface InterGateMul {
  outputMultiplier: number;
  outputShift: number;
  outputOffset: number;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
}

export interface LstmCommon {
  size: LstmSizeInfo;
  cellGateActivation: CellGateActivation;
  /** Clip the cell state to +-cellClip when > 0 (float: cell_clip; integer: cell_clip / cell scale, truncated). */
  cellClip: number;
  /** Where the four scratch buffers are in node.scratch. */
  buffers: LstmBuffers<number>;
}

export interface LstmFloatData extends LstmCommon {
  kind: 'float';
  forget: LstmGateFloat;
  input: LstmGateFloat;
  cell: LstmGateFloat;
  output: LstmGateFloat;
}

export interface LstmQuantizedData extends LstmCommon {
  kind: 'int8' | 'int16';
  forget: LstmGateQuantized;
  input: LstmGateQuantized;
  cell: LstmGateQuantized;
  output: LstmGateQuantized;
  /** tanh of the cell state: the input scale 2^cellStateScalePower brought to Q3.12. */
  cellTanh: Int16SigmoidParams;
  forgetCellMul: InterGateMul;
  inputMul: InterGateMul;
  outputMul: InterGateMul;
}

/** Gate pre-activations are Q3.12 (TFLM: nonlinear_input_scale = 2^-12). */
const GATE_SIGMOID: Int16SigmoidParams = { inputMultiplier: 0, inputLeftShift: 0 };
/** TFLM Tanh(cell_state_scale_power = -12): left shift 15 - 12 - 3 = 0, power of two. */
const GATE_TANH: Int16SigmoidParams = { inputMultiplier: 0, inputLeftShift: 0 };

/** TFLM lstm_internal::Tanh: the int16 tanh parameters for a Q(15 + power) input. */
export function cellTanhParams(cellStateScalePower: number): Int16SigmoidParams {
  const shift = 15 + cellStateScalePower - 3;
  return shift < 0
    ? { inputMultiplier: 3, inputLeftShift: -shift }
    : { inputMultiplier: 0, inputLeftShift: shift };
}

/** Where one step reads and writes (TFLM LstmStepManager's offsets), kept in the op data. */
export interface StepOffsets {
  input: number;
  output: number;
  hidden: number;
  cell: number;
}

/** Elements one step processes: the whole batch when time-major, one sequence otherwise. */
function stepBatch(size: LstmSizeInfo): number {
  return size.timeMajor ? size.batchSize : 1;
}

type Activations = Float32Array | Int8Array | Int16Array;

/** TFLM's four scratch buffers (batch * units cell-type elements each), by first use. */
export interface LstmBuffers<T> {
  forget: T;
  input: T;
  cell: T;
  fc: T;
}

/**
 * Runs every step of the sequence (TFLM EvalLstm): time-major inputs step
 * all batches together; batch-major inputs run each sequence in turn, each
 * batch with its own slice of the hidden and cell state. `at` is reused.
 */
export function evalLstm(
  d: LstmFloatData | LstmQuantizedData,
  x: Activations,
  hidden: Activations,
  cell: Float32Array | Int16Array,
  y: Activations,
  buffers: LstmBuffers<Float32Array> | LstmBuffers<Int16Array>,
  at: StepOffsets,
): void {
  const { batchSize, timeSteps, inputDimension, stateDimension, timeMajor } = d.size;
  const rows = stepBatch(d.size);
  const n = rows * stateDimension;
  at.input = 0;
  at.output = 0;
  at.hidden = 0;
  at.cell = 0;
  const sequences = timeMajor ? 1 : batchSize;
  for (let b = 0; b < sequences; b++) {
    for (let s = 0; s < timeSteps; s++) {
      if (d.kind === 'float') {
        const f = buffers as LstmBuffers<Float32Array>;
        lstmStepFloat(
          d,
          at,
          n,
          x as Float32Array,
          hidden as Float32Array,
          cell as Float32Array,
          y as Float32Array,
          f,
        );
      } else {
        const q = buffers as LstmBuffers<Int16Array>;
        lstmStepQuantized(
          d,
          at,
          n,
          x as Int8Array,
          hidden as Int8Array,
          cell as Int16Array,
          y as Int8Array,
          q,
        );
      }
      at.input += rows * inputDimension;
      at.output += rows * stateDimension;
    }
    if (!timeMajor) {
      at.hidden += stateDimension;
      at.cell += stateDimension;
    }
  }
}

/** Step 4 of TFLM's LstmStep: the new hidden state is this step's output. */
function copyHidden(
  hidden: Float32Array | Int8Array | Int16Array,
  from: number,
  y: Float32Array | Int8Array | Int16Array,
  to: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) y[to + i] = hidden[from + i];
}

function addFloat(a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] += b[i];
}

/** TFLM AddElementWise (int16): saturating. */
function addSaturatingInt16(
  a: Int16Array,
  aStart: number,
  b: Int16Array,
  out: Int16Array,
  outStart: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const sum = a[aStart + i] + b[i];
    out[outStart + i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }
}

/** TFLM MulElementwise with zero input offsets: a * b requantized, offset, clamped. */
function mulQuantized(
  m: InterGateMul,
  a: Int16Array,
  aStart: number,
  b: Int16Array,
  out: Int8Array | Int16Array,
  outStart: number,
  n: number,
): void {
  const { outputMultiplier, outputShift, outputOffset } = m;
  const min = m.quantizedActivationMin;
  const max = m.quantizedActivationMax;
  for (let i = 0; i < n; i++) {
    const r =
      outputOffset +
      multiplyByQuantizedMultiplier(a[aStart + i] * b[i], outputMultiplier, outputShift);
    out[outStart + i] = r < min ? min : r > max ? max : r;
  }
}

function gateFloat(
  g: LstmGateFloat,
  x: Float32Array,
  hidden: Float32Array,
  at: StepOffsets,
  out: Float32Array,
  fcBuffer: Float32Array,
  activation: CellGateActivation,
  n: number,
): void {
  fullyConnectedFloat(g.inputFc, x, g.inputWeights, g.bias, out, at.input);
  fullyConnectedFloat(g.recurrentFc, hidden, g.recurrentWeights, null, fcBuffer, at.hidden);
  addFloat(out, fcBuffer, n);
  if (activation === 'SIGMOID') logisticFloat(out, out, n);
  else tanhFloat(out, out, n);
}

/** One float32 step (TFLM LstmStep<float, float, float, float>). */
function lstmStepFloat(
  d: LstmFloatData,
  at: StepOffsets,
  n: number,
  x: Float32Array,
  hidden: Float32Array,
  cell: Float32Array,
  y: Float32Array,
  buffers: LstmBuffers<Float32Array>,
): void {
  const { forget: forgetOut, input: inputOut, cell: cellOut, fc: fcBuffer } = buffers;
  gateFloat(d.forget, x, hidden, at, forgetOut, fcBuffer, 'SIGMOID', n);
  gateFloat(d.input, x, hidden, at, inputOut, fcBuffer, 'SIGMOID', n);
  gateFloat(d.cell, x, hidden, at, cellOut, fcBuffer, d.cellGateActivation, n);
  const c0 = at.cell;
  const clip = d.cellClip;
  for (let i = 0; i < n; i++) {
    let c = Math.fround(forgetOut[i] * cell[c0 + i]) + Math.fround(inputOut[i] * cellOut[i]);
    c = Math.fround(c);
    if (clip > 0) c = c > clip ? clip : c < -clip ? -clip : c;
    cell[c0 + i] = c;
  }
  const outputOut = inputOut;
  gateFloat(d.output, x, hidden, at, outputOut, fcBuffer, 'SIGMOID', n);
  const tanhCell = forgetOut;
  tanhFloat(cell, tanhCell, n, c0);
  const h0 = at.hidden;
  for (let i = 0; i < n; i++) hidden[h0 + i] = tanhCell[i] * outputOut[i];
  copyHidden(hidden, h0, y, at.output, n);
}

function gateQuantized(
  g: LstmGateQuantized,
  x: Int8Array | Int16Array,
  hidden: Int8Array | Int16Array,
  at: StepOffsets,
  out: Int16Array,
  fcBuffer: Int16Array,
  activation: CellGateActivation,
  n: number,
): void {
  fullyConnectedQuantized(g.inputFc, x, g.inputWeights, out, at.input);
  fullyConnectedQuantized(g.recurrentFc, hidden, g.recurrentWeights, fcBuffer, at.hidden);
  addSaturatingInt16(out, 0, fcBuffer, out, 0, n);
  if (activation === 'SIGMOID') logisticInt16(GATE_SIGMOID, out, out, n);
  else tanhInt16(GATE_TANH, out, out, n);
}

/** One integer step (TFLM LstmStep<int8|int16, int8, int16, int32|int64>). */
function lstmStepQuantized(
  d: LstmQuantizedData,
  at: StepOffsets,
  n: number,
  x: Int8Array | Int16Array,
  hidden: Int8Array | Int16Array,
  cell: Int16Array,
  y: Int8Array | Int16Array,
  buffers: LstmBuffers<Int16Array>,
): void {
  const { forget: forgetOut, input: inputOut, cell: cellOut, fc: fcBuffer } = buffers;
  gateQuantized(d.forget, x, hidden, at, forgetOut, fcBuffer, 'SIGMOID', n);
  gateQuantized(d.input, x, hidden, at, inputOut, fcBuffer, 'SIGMOID', n);
  gateQuantized(d.cell, x, hidden, at, cellOut, fcBuffer, d.cellGateActivation, n);
  const c0 = at.cell;
  // c = f * c; i * g into the input gate's buffer; c += i * g (saturating).
  mulQuantized(d.forgetCellMul, cell, c0, forgetOut, cell, c0, n);
  mulQuantized(d.inputMul, inputOut, 0, cellOut, inputOut, 0, n);
  addSaturatingInt16(cell, c0, inputOut, cell, c0, n);
  const clip = d.cellClip;
  if (clip > 0) {
    for (let i = c0; i < c0 + n; i++)
      cell[i] = cell[i] > clip ? clip : cell[i] < -clip ? -clip : cell[i];
  }
  const outputOut = inputOut;
  gateQuantized(d.output, x, hidden, at, outputOut, fcBuffer, 'SIGMOID', n);
  const tanhCell = forgetOut;
  tanhInt16(d.cellTanh, cell, tanhCell, n, c0);
  const h0 = at.hidden;
  mulQuantized(d.outputMul, tanhCell, 0, outputOut, hidden, h0, n);
  copyHidden(hidden, h0, y, at.output, n);
}
