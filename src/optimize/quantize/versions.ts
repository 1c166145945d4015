/**
 * Operator versions of quantized ops, as TF's converter sets them
 * (tensorflow/lite/tools/versioning/op_version.cc, GetBuiltinOperatorVersion):
 * a runtime refuses an op whose version it does not register, so a model must
 * claim the version that introduced the kernel it needs, and no more.
 */
import { BuiltinOperator, type TensorTypeName } from '../../tflite/model';

export interface OpSignature {
  code: number;
  /** Types of the op's inputs ('none' for an omitted optional input). */
  inputs: (TensorTypeName | 'none')[];
  outputs: TensorTypeName[];
  /** Weights quantized per channel (hybrid ops have their own versions). */
  perChannel?: boolean;
  /** FULLY_CONNECTED asymmetric_quantize_inputs (hybrid). */
  asymmetricQuantizeInputs?: boolean;
  /** MUL: input1 × input2 / output scale. */
  mulRescale?: number;
}

export function opVersion(sig: OpSignature): number {
  const in0 = sig.inputs[0];
  const in1 = sig.inputs[1];
  const out0 = sig.outputs[0];
  const hybrid = in0 === 'float32' && in1 === 'int8' && out0 === 'float32';
  switch (sig.code) {
    case BuiltinOperator.FULLY_CONNECTED:
      // 7: the int16-activation kernel (16x8); 4: int8; hybrid 3, 9 with
      // asymmetric input quantization, 12 with per-channel weights.
      if (in0 === 'int16') return 7;
      if (in0 === 'int8') return 4;
      if (hybrid && sig.perChannel) return 12;
      if (hybrid) return sig.asymmetricQuantizeInputs ? 9 : 3;
      return 1;
    case BuiltinOperator.CONV_2D:
      if (in0 === 'int16') return 4;
      if (in0 === 'int8') return 3;
      if (hybrid) return sig.perChannel ? 5 : 2;
      return 1;
    case BuiltinOperator.DEPTHWISE_CONV_2D:
      if (in0 === 'int16') return 5;
      if (in0 === 'int8') return 3;
      if (hybrid) return sig.perChannel ? 6 : 4;
      return 1;
    case BuiltinOperator.SOFTMAX:
    case BuiltinOperator.RELU6:
    case BuiltinOperator.RELU:
    case BuiltinOperator.TANH:
    case BuiltinOperator.LOGISTIC:
    case BuiltinOperator.MAX_POOL_2D:
    case BuiltinOperator.AVERAGE_POOL_2D:
    case BuiltinOperator.ADD:
      // int16 kernels are version 3 (ADD: 3 when pot_scale_int16 is false,
      // which the 16x8 quantizer always writes), int8 ones version 2.
      if (in0 === 'int16') return 3;
      if (in0 === 'int8') return 2;
      return 1;
    case BuiltinOperator.PAD:
    case BuiltinOperator.CONCATENATION:
      if (in0 === 'int16') return 3;
      if (in0 === 'int8') return 2;
      return 1;
    case BuiltinOperator.MAXIMUM:
    case BuiltinOperator.MINIMUM:
      if (in0 === 'int16') return 4;
      if (in0 === 'int8') return 2;
      return 1;
    case BuiltinOperator.LEAKY_RELU:
      return in0 === 'int16' ? 2 : 1;
    case BuiltinOperator.MUL:
      // 4: quantized int16; 3: int8 whose rescale in1 × in2 / out is ≥ 1;
      // 2: other int8.
      if (in0 === 'int16') return 4;
      if (in0 === 'int8') return (sig.mulRescale ?? 0) >= 1 ? 3 : 2;
      return 1;
    case BuiltinOperator.QUANTIZE:
      return out0 === 'int16' ? 2 : 1;
    case BuiltinOperator.DEQUANTIZE:
      if (in0 === 'int16' || in0 === 'float16') return 3;
      if (in0 === 'int8') return sig.perChannel ? 5 : 2;
      return 1;
    default:
      // RESHAPE, SQUEEZE: version 1 for every type.
      return 1;
  }
}
