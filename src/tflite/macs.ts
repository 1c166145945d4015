/**
 * Multiply-accumulates of one operator, from its tensors' shapes alone.
 *
 * The convention is the one MobileNet (Howard et al. 2017, section 3.1) and
 * TFLM's benchmarks count: one MAC per multiply-add of a convolution or
 * matrix product. Ops without products are counted by the work of the same
 * kind, so the total says how much arithmetic an inference takes:
 * - pools: one per window element per output (an add or a compare);
 * - elementwise binary ops (ADD, MUL, SUB, MAXIMUM, ...): one per output;
 * - MEAN / SUM and other reductions: one per input element;
 * - SOFTMAX, LOGISTIC, TANH, ...: one per element (a table or exp and a sum);
 * - data movement (RESHAPE, PAD, CONCATENATION, QUANTIZE, ...): zero.
 */
import { elementCount, type OperatorDef, type SubGraphDef } from './model';

type Cost = (
  shape: (i: number) => number[],
  out: (i: number) => number[],
  op: OperatorDef,
) => number;

const n = elementCount;

/** Window area of a pool (its options carry the filter). */
const pool: Cost = (_in, out, op) => {
  const fh = Number(op.options?.filterHeight ?? 0);
  const fw = Number(op.options?.filterWidth ?? 0);
  return n(out(0)) * fh * fw;
};

const perOutput: Cost = (_in, out) => n(out(0));
const perInput: Cost = (input) => n(input(0));

const COSTS: Record<string, Cost> = {
  // [out, kh, kw, in / groups] filter: every output sums kh * kw * in products.
  CONV_2D: (input, out) => {
    const [, kh = 0, kw = 0, cin = 0] = input(1);
    return n(out(0)) * kh * kw * cin;
  },
  // [1, kh, kw, channels] filter: every output sums kh * kw products.
  DEPTHWISE_CONV_2D: (input, out) => {
    const [, kh = 0, kw = 0] = input(1);
    return n(out(0)) * kh * kw;
  },
  CONV_3D: (input, out) => {
    // [kd, kh, kw, in, out] filter.
    const [kd = 0, kh = 0, kw = 0, cin = 0] = input(1);
    return n(out(0)) * kd * kh * kw * cin;
  },
  // [units, in] weights: every output sums `in` products.
  FULLY_CONNECTED: (input, out) => n(out(0)) * (input(1)[1] ?? 0),
  // Inputs [output_shape, weights [out, kh, kw, in], input]: every input
  // element is scattered to kh * kw * out outputs.
  TRANSPOSE_CONV: (input) => {
    const [cout = 0, kh = 0, kw = 0] = input(1);
    return n(input(2)) * cout * kh * kw;
  },
  BATCH_MATMUL: (input, out, op) => {
    const a = input(0);
    const k = op.options?.adjX === true ? a[a.length - 2] : a[a.length - 1];
    return n(out(0)) * (k ?? 0);
  },
  // Feature weights [units * rank, in] and time weights [units * rank, memory].
  SVDF: (input) => {
    const batch = input(0)[0] ?? 1;
    const [filters = 0, features = 0] = input(1);
    const [, memory = 0] = input(2);
    return batch * filters * (features + memory);
  },
  // Every output element (one unit at one step) takes four gates' products
  // with the input and the previous hidden state ([units, in] and
  // [units, units] weights), plus the three products f * c, i * g, o * tanh(c).
  UNIDIRECTIONAL_SEQUENCE_LSTM: (input, out) => {
    const inDim = input(2)[1] ?? 0;
    const units = input(2)[0] ?? 0;
    return n(out(0)) * (4 * (inDim + units) + 3);
  },
  AVERAGE_POOL_2D: pool,
  MAX_POOL_2D: pool,
  L2_POOL_2D: pool,
  ADD: perOutput,
  SUB: perOutput,
  MUL: perOutput,
  DIV: perOutput,
  MAXIMUM: perOutput,
  MINIMUM: perOutput,
  SQUARED_DIFFERENCE: perOutput,
  PRELU: perOutput,
  MEAN: perInput,
  SUM: perInput,
  REDUCE_MAX: perInput,
  REDUCE_MIN: perInput,
  REDUCE_PROD: perInput,
  SOFTMAX: perInput,
  LOG_SOFTMAX: perInput,
  LOGISTIC: perInput,
  TANH: perInput,
  ELU: perInput,
  HARD_SWISH: perInput,
  LEAKY_RELU: perInput,
  L2_NORMALIZATION: perInput,
};

/** The ops MACs are counted for (every other op counts zero). */
export const COUNTED_OPS = Object.keys(COSTS).sort();

/** Multiply-accumulates of `op` (named `opName`) in subgraph `sg`. */
export function macsOf(sg: SubGraphDef, op: OperatorDef, opName: string): number {
  const cost = COSTS[opName];
  if (!cost) return 0;
  const shapeOf = (list: number[]) => (i: number) => sg.tensors[list[i]]?.shape ?? [];
  const value = cost(shapeOf(op.inputs), shapeOf(op.outputs), op);
  return Number.isFinite(value) ? value : 0;
}
