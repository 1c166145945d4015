/**
 * Full-integer quantization of a float model from calibrated ranges:
 * int8 activations (asymmetric) or int16 activations (symmetric, the 16x8
 * scheme), int8 symmetric weights, int32 (int8) or int64 (16x8) biases.
 *
 * The float model is rebuilt operator by operator into a new graph, so the
 * float weight buffers disappear from the file instead of lingering beside
 * their int8 copies. With float I/O the model keeps float32 inputs and
 * outputs and gains a QUANTIZE op after each input and a DEQUANTIZE op
 * before each output, as TF's converter emits them when inference_input_type
 * stays float32.
 *
 * A float input normalization at the head of the graph (MUL and ADD by
 * constant per-feature vectors, as model/normalize.ts writes it) stays in
 * float32 with float I/O, and the QUANTIZE op follows it: raw features of
 * very different ranges (a count in the thousands beside a ratio below one)
 * would otherwise share one int8 input scale and the small ones would vanish.
 */
import {
  type BuiltinOptions,
  type TfliteModel,
  BuiltinOperator,
  operatorName,
} from '../../tflite/model';
import { GraphBuilder } from '../../tflite/convert/graph-builder';
import { INT16, INT8, quantizeValue, type QuantParams } from './arithmetic';
import type { TensorRange } from './calibrate';
import {
  constantBytes,
  constantFloats,
  isConstantTensor,
  metadataEntries,
  quantization,
} from './graph';
import { emitWeights } from './weighted';
import type { ActivationType, OpRule } from './ops';
import { activationParams, planActivations, ruleFor } from './activations';
import { ValidationError } from '../../errors';

export interface IntegerOptions {
  activations: ActivationType;
  /** 'float32' keeps float I/O (QUANTIZE/DEQUANTIZE ops); 'integer' makes I/O the activation type. */
  io: 'float32' | 'integer';
  /** Quantize FULLY_CONNECTED weights per output channel instead of per tensor. */
  perChannelDense: boolean;
}

export interface IntegerResult {
  model: TfliteModel;
  /** Things the user should know (widened ranges, raised weight scales). */
  notes: string[];
}

export function quantizeInteger(
  model: TfliteModel,
  ranges: ReadonlyMap<number, TensorRange>,
  options: IntegerOptions,
): IntegerResult {
  const sg = model.subgraphs[0];
  const act = options.activations;
  const actRange = act === 'int8' ? INT8 : INT16;
  const g = new GraphBuilder();
  const notes: string[] = [];

  const ruleOf = (opIndex: number): OpRule => ruleFor(model, opIndex, act);
  // 1. Parameters of every float activation, in execution order.
  const params = planActivations(model, ranges, act, notes);

  // 2. Activation tensors of the new graph.
  const newIndex = new Map<number, number>();
  const addActivation = (index: number, name: string): number => {
    const t = sg.tensors[index];
    return g.addTensor(name, t.shape, act, undefined, quantization(params.get(index)!));
  };
  const inputs: number[] = [];
  const floatIo = options.io === 'float32';
  const prefix = floatPrefix(model);
  if (!floatIo && prefix.size > 0) {
    notes.push(
      `the input normalization (${prefix.size} MUL/ADD op(s) on the input) runs in ${act} with integer I/O: all features share one input scale; --io float32 keeps it in float`,
    );
  }
  const floatOps = floatIo ? prefix : new Set<number>();
  // Inputs first: with float I/O, QUANTIZE ops head the operator list (after
  // the float normalization, when the model starts with one).
  for (const t of sg.inputs) {
    const def = sg.tensors[t];
    if (floatIo) {
      const f = g.addTensor(def.name, def.shape, 'float32');
      inputs.push(f);
      let x = f;
      let last = t;
      for (const i of floatOps) {
        const op = sg.operators[i];
        if (!op.inputs.includes(last)) continue;
        const out = op.outputs[0];
        const y = g.addTensor(sg.tensors[out].name, sg.tensors[out].shape, 'float32');
        const ins = op.inputs.map((k) =>
          k === last
            ? x
            : g.addTensor(
                sg.tensors[k].name,
                sg.tensors[k].shape,
                'float32',
                constantBytes(model, sg.tensors[k]),
              ),
        );
        g.addOperator(model.operatorCodes[op.opcodeIndex].builtinCode, ins, [y], op.options);
        x = y;
        last = out;
      }
      const q = addActivation(last, `${sg.tensors[last].name}_${act}`);
      g.addOperator(BuiltinOperator.QUANTIZE, [x], [q]);
      newIndex.set(last, q);
    } else {
      const q = addActivation(t, def.name);
      inputs.push(q);
      newIndex.set(t, q);
    }
  }
  const outputSet = new Set(sg.outputs);
  for (const [i, op] of sg.operators.entries()) {
    if (floatOps.has(i)) continue;
    for (const out of op.outputs) {
      if (newIndex.has(out)) continue;
      const name =
        floatIo && outputSet.has(out) ? `${sg.tensors[out].name}_${act}` : sg.tensors[out].name;
      newIndex.set(out, addActivation(out, name));
    }
  }

  // 3. Operators, with their constants quantized for their role.
  const copied = new Map<number, number>();
  const copyConstant = (index: number): number => {
    let n = copied.get(index);
    if (n === undefined) {
      const t = sg.tensors[index];
      n = g.addTensor(t.name, t.shape, t.type, constantBytes(model, t));
      copied.set(index, n);
    }
    return n;
  };
  const constants = new Map<string, number>();
  const constParams = new Map<number, QuantParams>();
  const floatConstant = (index: number, given?: QuantParams): number => {
    // A float constant operand of an elementwise op (ADD, MUL, MAXIMUM):
    // quantized like an activation, from the range of its own values, or
    // with the parameters the op requires.
    const key = given ? `${index}:${given.scale}:${given.zeroPoint}` : String(index);
    let n = constants.get(key);
    if (n === undefined) {
      const t = sg.tensors[index];
      const values = constantFloats(model, t);
      let lo = 0;
      let hi = 0;
      for (const v of values) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const p = given ?? activationParams({ min: lo, max: hi }, act);
      const q = act === 'int8' ? new Int8Array(values.length) : new Int16Array(values.length);
      values.forEach((v, i) => (q[i] = quantizeValue(v, p, actRange)));
      n = g.addTensor(t.name, t.shape, act, q, quantization(p));
      constants.set(key, n);
      constParams.set(n, p);
    }
    return n;
  };
  /** Parameters of an input of the new graph (activation or quantized constant). */
  const paramsOfNew = (oldIndex: number, newIdx: number): QuantParams | undefined =>
    constParams.get(newIdx) ?? params.get(oldIndex);

  sg.operators.forEach((op, i) => {
    if (floatOps.has(i)) return;
    const rule = ruleOf(i);
    const code = model.operatorCodes[op.opcodeIndex].builtinCode;
    const ins: number[] = op.inputs.map((t) => (t < 0 ? -1 : (newIndex.get(t) ?? -2)));
    if (rule.weights) {
      const inParams = params.get(op.inputs[0]);
      if (!inParams) {
        throw new ValidationError(
          `quantize: operator ${i} (${operatorName(model, op)}) has no input`,
        );
      }
      const w = emitWeights(g, model, i, rule, inParams.scale, act, options.perChannelDense, notes);
      ins[rule.weights.input] = w.weights;
      if (w.bias !== undefined) ins[rule.bias!] = w.bias;
    }
    const outParams = params.get(op.outputs[0])!;
    op.inputs.forEach((t, k) => {
      if (t < 0 || ins[k] !== -2) return;
      const def = sg.tensors[t];
      if (def.type === 'float32') {
        ins[k] = floatConstant(t, rule.inputsShareOutput ? outParams : undefined);
      } else {
        ins[k] = copyConstant(t);
      }
    });
    if (rule.inputsShareOutput) {
      op.inputs.forEach((t, k) => {
        if (t < 0 || sg.tensors[t].type !== 'float32') return;
        const p = paramsOfNew(t, ins[k])!;
        if (p.scale === outParams.scale && p.zeroPoint === outParams.zeroPoint) return;
        const requantized = g.addTensor(
          `${sg.tensors[t].name}_requantized`,
          sg.tensors[t].shape,
          act,
          undefined,
          quantization(outParams),
        );
        g.addOperator(BuiltinOperator.QUANTIZE, [ins[k]], [requantized]);
        ins[k] = requantized;
      });
    }
    // Versions are set by GraphBuilder.finish from the final tensor types
    // (tflite/op-version.ts, TF's op_version.cc).
    g.addOperator(
      code,
      ins,
      op.outputs.map((t) => newIndex.get(t)!),
      adjustOptions(code, op.options, act),
    );
  });

  // 4. Outputs, dequantized to float32 with float I/O.
  const outputs = sg.outputs.map((t) => {
    const q = newIndex.get(t)!;
    if (!floatIo) return q;
    const def = sg.tensors[t];
    const f = g.addTensor(def.name, def.shape, 'float32');
    g.addOperator(BuiltinOperator.DEQUANTIZE, [q], [f]);
    return f;
  });

  return { model: g.finish(inputs, outputs, model.description, metadataEntries(model)), notes };
}

/**
 * The float normalization at the head of the graph: from each input, a chain
 * of MUL/ADD ops with one constant float operand of at most one value per
 * feature (last axis), no fused activation, the chain tensor consumed only
 * by the next op of the chain and not a graph output. Ops in execution order.
 */
function floatPrefix(model: TfliteModel): Set<number> {
  const sg = model.subgraphs[0];
  const ops = new Set<number>();
  const consumers = (t: number) =>
    sg.operators.flatMap((op, i) => (op.inputs.includes(t) ? [i] : []));
  for (const input of sg.inputs) {
    let cur = input;
    for (;;) {
      const users = consumers(cur);
      if (users.length !== 1 || sg.outputs.includes(cur)) break;
      const i = users[0];
      const op = sg.operators[i];
      const code = model.operatorCodes[op.opcodeIndex].builtinCode;
      if (code !== BuiltinOperator.MUL && code !== BuiltinOperator.ADD) break;
      const other = op.inputs.find((k) => k !== cur);
      if (op.inputs.length !== 2 || other === undefined || !isConstantTensor(model, other)) break;
      const c = sg.tensors[other];
      const shape = sg.tensors[cur].shape;
      const features = shape[shape.length - 1];
      const n = c.shape.reduce((a, b) => a * b, 1);
      if (c.type !== 'float32' || c.shape.length > 1 || (n !== 1 && n !== features)) break;
      const fused = (op.options as { fusedActivationFunction?: unknown } | undefined)
        ?.fusedActivationFunction;
      if (fused !== undefined && fused !== 0 && fused !== 'NONE') break;
      ops.add(i);
      cur = op.outputs[0];
    }
  }
  return ops;
}

/**
 * ADD with int16 activations: TF's 16x8 quantizer writes
 * pot_scale_int16 = false (general scales; the schema default true means
 * power-of-two scales only), as the seanet 16x8 models in the fixtures show.
 */
function adjustOptions(
  code: number,
  options: BuiltinOptions | undefined,
  act: ActivationType,
): BuiltinOptions | undefined {
  if (act === 'int16' && code === BuiltinOperator.ADD) {
    return { ...(options ?? { type: 'AddOptions' }), potScaleInt16: false };
  }
  return options;
}
