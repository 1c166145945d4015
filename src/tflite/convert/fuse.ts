/**
 * Graph rewrites after the layer walk, the ones TensorFlow's converter makes
 * (tensorflow/compiler/mlir/lite/transforms/optimize_patterns.td: fusing a
 * following Mul/Add into Conv2D, DepthwiseConv2D and FullyConnected, and
 * fusing a following Relu/Relu6 into ops with a fused activation):
 *
 * 1. A MUL or ADD by a per-output-channel constant right after CONV_2D,
 *    DEPTHWISE_CONV_2D or FULLY_CONNECTED (no fused activation) folds into its
 *    weights and bias: (W x + b) * s + d = (s W) x + (s b + d). This is how a
 *    BatchNormalization after a convolution or Dense disappears.
 * 2. A RELU or RELU6 right after an op with a fused activation slot set to
 *    NONE becomes that op's fused activation.
 * 3. RESHAPE of a RESHAPE becomes one RESHAPE (the lowerings of Conv1D and
 *    the 1-D pools put them back to back).
 *
 * 1 and 2 also look through one RESHAPE between the two ops, when the
 * RESHAPE keeps the channel (last) dimension: scaling channels or clamping
 * values commutes with it, which is what lets a BatchNormalization and a
 * ReLU after a Conv1D fold into its CONV_2D.
 *
 * Each applies only when the intermediate tensors have that one consumer and
 * are not graph outputs, so nothing else observes the values that disappear.
 */
import { BuiltinOperator, elementCount, type OperatorDef } from '../model';
import type { GraphBuilder } from './graph-builder';

const B = BuiltinOperator;
const FOLD_INTO = new Set<number>([B.CONV_2D, B.DEPTHWISE_CONV_2D, B.FULLY_CONNECTED]);
const FUSE_INTO = new Set<number>([
  B.CONV_2D,
  B.DEPTHWISE_CONV_2D,
  B.FULLY_CONNECTED,
  B.ADD,
  B.SUB,
  B.MUL,
]);

class Uses {
  private readonly count = new Map<number, number>();
  constructor(g: GraphBuilder, graphOutputs: number[]) {
    for (const op of g.operators) for (const t of op.inputs) this.add(t);
    // A graph output counts as one more use that can never go away.
    for (const t of graphOutputs) this.add(t);
  }
  private add(t: number): void {
    if (t >= 0) this.count.set(t, (this.count.get(t) ?? 0) + 1);
  }
  of(t: number): number {
    return this.count.get(t) ?? 0;
  }
}

function code(g: GraphBuilder, op: OperatorDef): number {
  return g.operatorCodes[op.opcodeIndex].builtinCode;
}

function fusedNone(op: OperatorDef): boolean {
  const f = op.options?.fusedActivationFunction;
  return f === undefined || f === 'NONE';
}

/** The producer of each tensor (operator index). */
function producers(g: GraphBuilder): Map<number, number> {
  const map = new Map<number, number>();
  g.operators.forEach((op, i) => op.outputs.forEach((t) => map.set(t, i)));
  return map;
}

/**
 * Per-channel values of a constant that broadcasts only along the last axis
 * of a tensor with `channels` channels, expanded to `channels` entries.
 */
function perChannelConstant(
  g: GraphBuilder,
  t: number,
  channels: number,
  outRank: number,
): Float32Array | undefined {
  const tensor = g.tensors[t];
  const values = g.constantValues(t);
  if (!values || tensor.shape.length > outRank) return undefined;
  const n = elementCount(tensor.shape);
  const last = tensor.shape[tensor.shape.length - 1] ?? 1;
  if (n !== last) return undefined; // varies along some other axis
  if (n === channels) return values;
  if (n === 1) return new Float32Array(channels).fill(values[0]);
  return undefined;
}

/** Number of output channels and the weights' channel layout of a foldable op. */
function channelsOf(g: GraphBuilder, op: OperatorDef): number {
  const out = g.tensors[op.outputs[0]].shape;
  return out[out.length - 1];
}

function scaleWeights(g: GraphBuilder, op: OperatorDef, s: Float32Array): void {
  const w = g.constantValues(op.inputs[1])!;
  const channels = s.length;
  if (code(g, op) === B.DEPTHWISE_CONV_2D) {
    // [1, kh, kw, channels]: the channel is the innermost axis.
    for (let i = 0; i < w.length; i++) w[i] *= s[i % channels];
  } else {
    // CONV_2D [channels, kh, kw, in] and FULLY_CONNECTED [channels, in]: outermost.
    const per = w.length / channels;
    for (let i = 0; i < w.length; i++) w[i] *= s[Math.floor(i / per)];
  }
  g.setConstant(op.inputs[1], w);
  if (op.inputs[2] >= 0) {
    const b = g.constantValues(op.inputs[2])!;
    for (let c = 0; c < channels; c++) b[c] *= s[c];
    g.setConstant(op.inputs[2], b);
  }
}

function shiftBias(g: GraphBuilder, op: OperatorDef, d: Float32Array): void {
  if (op.inputs[2] < 0) {
    const name = `${g.tensors[op.outputs[0]].name}/bias`;
    op.inputs[2] = g.constant(name, [d.length], d);
    return;
  }
  const b = g.constantValues(op.inputs[2])!;
  for (let c = 0; c < d.length; c++) b[c] += d[c];
  g.setConstant(op.inputs[2], b);
}

/**
 * The op that computes `x`, directly or through one RESHAPE that keeps the
 * last dimension, with the op whose output is to be replaced (the RESHAPE, or
 * the producer itself). Every tensor on the way must have exactly one use.
 */
function sourceOf(
  g: GraphBuilder,
  x: number,
  uses: Uses,
  producerOf: Map<number, number>,
): { producer: OperatorDef; last: OperatorDef } | undefined {
  const pi = producerOf.get(x);
  if (pi === undefined || uses.of(x) !== 1) return undefined;
  const op = g.operators[pi];
  if (code(g, op) !== B.RESHAPE) return { producer: op, last: op };
  const y = op.inputs[0];
  const inner = producerOf.get(y);
  const from = g.tensors[y].shape;
  const to = g.tensors[x].shape;
  if (inner === undefined || uses.of(y) !== 1 || from[from.length - 1] !== to[to.length - 1]) {
    return undefined;
  }
  return { producer: g.operators[inner], last: op };
}

function foldOnce(g: GraphBuilder, graphOutputs: number[]): boolean {
  const uses = new Uses(g, graphOutputs);
  const producerOf = producers(g);
  for (let ci = 0; ci < g.operators.length; ci++) {
    const consumer = g.operators[ci];
    const kind = code(g, consumer);
    if ((kind !== B.MUL && kind !== B.ADD) || !fusedNone(consumer)) continue;
    for (const side of [0, 1]) {
      const x = consumer.inputs[side];
      const c = consumer.inputs[1 - side];
      const source = sourceOf(g, x, uses, producerOf);
      if (!source) continue;
      const { producer, last } = source;
      if (!FOLD_INTO.has(code(g, producer)) || !fusedNone(producer)) continue;
      if (g.tensors[producer.inputs[1]].buffer === 0) continue; // weights not constant
      if (uses.of(producer.inputs[1]) !== 1) continue; // weights shared with another op
      if (producer.inputs[2] >= 0 && uses.of(producer.inputs[2]) !== 1) continue;
      const channels = channelsOf(g, producer);
      const outShape = g.tensors[consumer.outputs[0]].shape;
      if (outShape.length !== g.tensors[x].shape.length) continue; // would broadcast x
      const values = perChannelConstant(g, c, channels, outShape.length);
      if (!values) continue;
      if (kind === B.MUL) scaleWeights(g, producer, values);
      else shiftBias(g, producer, values);
      last.outputs[0] = consumer.outputs[0];
      g.operators.splice(ci, 1);
      return true;
    }
  }
  return false;
}

function fuseActivationOnce(g: GraphBuilder, graphOutputs: number[]): boolean {
  const uses = new Uses(g, graphOutputs);
  const producerOf = producers(g);
  for (let ai = 0; ai < g.operators.length; ai++) {
    const act = g.operators[ai];
    const kind = code(g, act);
    if (kind !== B.RELU && kind !== B.RELU6) continue;
    const source = sourceOf(g, act.inputs[0], uses, producerOf);
    if (!source) continue;
    const { producer, last } = source;
    if (!FUSE_INTO.has(code(g, producer)) || !producer.options || !fusedNone(producer)) continue;
    producer.options.fusedActivationFunction = kind === B.RELU ? 'RELU' : 'RELU6';
    last.outputs[0] = act.outputs[0];
    g.operators.splice(ai, 1);
    return true;
  }
  return false;
}

function mergeReshapesOnce(g: GraphBuilder, graphOutputs: number[]): boolean {
  const uses = new Uses(g, graphOutputs);
  const producerOf = producers(g);
  for (let i = 0; i < g.operators.length; i++) {
    const second = g.operators[i];
    if (code(g, second) !== B.RESHAPE) continue;
    const x = second.inputs[0];
    const pi = producerOf.get(x);
    if (pi === undefined || uses.of(x) !== 1) continue;
    const first = g.operators[pi];
    if (code(g, first) !== B.RESHAPE) continue;
    // The second RESHAPE's shape input and options describe the final shape already.
    second.inputs[0] = first.inputs[0];
    g.operators.splice(pi, 1);
    return true;
  }
  return false;
}

/** Applies the rewrites until none applies any more. */
export function fuseGraph(g: GraphBuilder, graphOutputs: number[]): void {
  while (foldOnce(g, graphOutputs));
  while (fuseActivationOnce(g, graphOutputs));
  while (mergeReshapesOnce(g, graphOutputs));
}
