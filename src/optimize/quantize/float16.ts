/**
 * Float16 quantization: every float32 constant (weights and biases) is
 * stored as IEEE binary16 and turned back into float32 by a DEQUANTIZE op,
 * as TF's converter writes float16 models (target_spec.supported_types =
 * [tf.float16]); the runtime evaluates those DEQUANTIZE ops once, since
 * their inputs are constant, and computes in float32. Halves the weights'
 * flash with a loss of about 3 significant decimal digits per weight.
 */
import { BuiltinOperator, type TfliteModel } from '../../tflite/model';
import { float16Bits } from './arithmetic';
import { constantBytes, constantFloats } from './graph';
import { rebuildModel } from './rebuild';

export function quantizeFloat16(model: TfliteModel): TfliteModel {
  const sg = model.subgraphs[0];
  const dequantized = new Map<number, number>();
  const isFloatConstant = (t: number) =>
    t >= 0 && sg.tensors[t].type === 'float32' && constantBytes(model, sg.tensors[t]) !== undefined;
  return rebuildModel(model, {
    // DEQUANTIZE ops head the operator list, one per constant, before any use.
    prologue(g) {
      for (const op of sg.operators) {
        for (const t of op.inputs) {
          if (!isFloatConstant(t) || dequantized.has(t)) continue;
          const def = sg.tensors[t];
          const values = constantFloats(model, def);
          const half = new Uint16Array(values.length);
          for (let i = 0; i < values.length; i++) half[i] = float16Bits(values[i]);
          const h = g.addTensor(def.name, def.shape, 'float16', new Uint8Array(half.buffer));
          const f = g.addTensor(`${def.name}_dequantized`, def.shape, 'float32');
          g.addOperator(BuiltinOperator.DEQUANTIZE, [h], [f]);
          dequantized.set(t, f);
        }
      }
    },
    replaceConstant: ({ tensor }) => dequantized.get(tensor),
  });
}
