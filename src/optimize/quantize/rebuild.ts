/**
 * Rebuilding a float model into a new graph while replacing some of its
 * constant inputs (float16 and dynamic-range quantization keep every
 * activation as it is and change only weights). Unreplaced tensors are
 * copied once; constants nobody references any more are left behind, so
 * the float weights do not stay in the file beside their replacements.
 */
import type { BuiltinOptions, TfliteModel } from '../../tflite/model';
import { GraphBuilder } from '../../tflite/convert/graph-builder';
import { constantBytes, metadataEntries } from './graph';

export interface ReplaceContext {
  g: GraphBuilder;
  opIndex: number;
  code: number;
  /** Position of the input in the operator's input list. */
  position: number;
  tensor: number;
}

export interface RebuildHooks {
  /**
   * Returns the new tensor to use for a constant input, or undefined to copy
   * it unchanged. Called for every constant input of every operator.
   */
  replaceConstant(ctx: ReplaceContext): number | undefined;
  /** Operator options and version after the replacement. */
  operator?(
    opIndex: number,
    code: number,
    newInputs: number[],
    options: BuiltinOptions | undefined,
    version: number,
  ): { options: BuiltinOptions | undefined; version: number };
  /** Called once the graph's tensors exist and before any operator is added. */
  prologue?(g: GraphBuilder): void;
}

export function rebuildModel(model: TfliteModel, hooks: RebuildHooks): TfliteModel {
  const sg = model.subgraphs[0];
  const g = new GraphBuilder();
  const copied = new Map<number, number>();
  const copy = (index: number): number => {
    let n = copied.get(index);
    if (n === undefined) {
      const t = sg.tensors[index];
      n = t.isVariable
        ? g.variable(t.name, t.shape, t.type, t.quantization) // state (an LSTM's) stays state
        : g.addTensor(t.name, t.shape, t.type, constantBytes(model, t), t.quantization);
      copied.set(index, n);
    }
    return n;
  };
  // Activations keep their order: inputs, then every op's outputs.
  sg.inputs.forEach(copy);
  for (const op of sg.operators) op.outputs.forEach(copy);
  hooks.prologue?.(g);
  sg.operators.forEach((op, opIndex) => {
    const code = model.operatorCodes[op.opcodeIndex];
    const inputs = op.inputs.map((t, position) => {
      if (t < 0) return -1;
      if (constantBytes(model, sg.tensors[t]) !== undefined) {
        const replaced = hooks.replaceConstant({
          g,
          opIndex,
          code: code.builtinCode,
          position,
          tensor: t,
        });
        if (replaced !== undefined) return replaced;
      }
      return copy(t);
    });
    const { options, version } = hooks.operator
      ? hooks.operator(opIndex, code.builtinCode, inputs, op.options, code.version)
      : { options: op.options, version: code.version };
    g.addOperator(code.builtinCode, inputs, op.outputs.map(copy), options, version);
  });
  return g.finish(
    sg.inputs.map(copy),
    sg.outputs.map(copy),
    model.description,
    metadataEntries(model),
  );
}
