/**
 * Dynamic-range quantization: weights of FULLY_CONNECTED, CONV_2D and
 * DEPTHWISE_CONV_2D become symmetric int8 (FULLY_CONNECTED per tensor unless
 * asked per channel; convolutions per output channel), biases and
 * activations stay float32. The runtime's hybrid kernels quantize each
 * input on the fly and compute in integers (TF's "dynamic range"
 * post-training quantization). FULLY_CONNECTED gets
 * asymmetric_quantize_inputs, the hybrid scheme with an input zero point
 * that TF's converter writes since version 9 of the op.
 *
 * TF skips weights under 1024 elements (its quantize_weights default,
 * chosen for large CPU models); on a microcontroller-sized model every
 * weight matters for flash, so all of them are quantized here.
 */
import { BuiltinOperator, type TfliteModel } from '../../tflite/model';
import { constantFloats } from './graph';
import { INTEGER_RULES } from './ops';
import { rebuildModel } from './rebuild';
import { quantizeWeights } from './weights';

export function quantizeDynamicRange(
  model: TfliteModel,
  options: { perChannelDense: boolean },
): TfliteModel {
  const sg = model.subgraphs[0];
  return rebuildModel(model, {
    replaceConstant({ g, code, position, tensor }) {
      const rule = INTEGER_RULES.get(code)?.weights;
      const def = sg.tensors[tensor];
      if (!rule || rule.input !== position || def.type !== 'float32') return undefined;
      const perChannel = rule.perChannel === 'always' || options.perChannelDense;
      const q = quantizeWeights(
        constantFloats(model, def),
        def.shape,
        perChannel ? rule.axis : null,
      );
      return g.addTensor(def.name, def.shape, 'int8', q.values, {
        scale: q.scales,
        zeroPoint: q.scales.map(() => 0),
        quantizedDimension: q.axis,
      });
    },
    // Versions follow from the new weight types when the graph is finished
    // (tflite/op-version.ts): hybrid FULLY_CONNECTED 9 with asymmetric
    // inputs (12 per channel), CONV_2D 5 and DEPTHWISE_CONV_2D 6 per channel.
    operator(_opIndex, code, _inputs, options, version) {
      if (code !== BuiltinOperator.FULLY_CONNECTED) return { options, version };
      const fc = options ?? { type: 'FullyConnectedOptions' };
      return { options: { ...fc, asymmetricQuantizeInputs: true }, version };
    },
  });
}
