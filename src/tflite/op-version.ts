/**
 * Operator versions, as TensorFlow's converter assigns them
 * (tensorflow/lite/tools/versioning/op_version.cc, GetBuiltinOperatorVersion).
 * A runtime registers each kernel for a range of versions and refuses a model
 * whose op version it does not know, so a file must carry the lowest version
 * that describes what the op really uses: too low and a runtime may run a
 * kernel without the feature; too high and older runtimes refuse the file.
 *
 * Only the ops this project writes are listed; every other op is version 1,
 * as in op_version.cc's default branch for the float case. An input of -1 (an
 * omitted optional tensor) still counts as an input, with no type
 * (op_signature.cc, GetOpSignatureTensorSpecs: kTfLiteNoType).
 */
import {
  BuiltinOperator,
  type OperatorDef,
  type SubGraphDef,
  type TensorTypeName,
  type TfliteModel,
} from './model';

export interface TensorSpec {
  type: TensorTypeName | 'none';
  rank: number;
  /** Weights quantized with one scale per channel. */
  perChannel: boolean;
}

export interface OpSignature {
  builtinCode: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  options: Record<string, unknown>;
}

const B = BuiltinOperator;

function type(specs: TensorSpec[], i: number): string {
  return specs[i]?.type ?? 'none';
}

/** Version of a builtin operator with this signature (op_version.cc). */
export function builtinOperatorVersion(sig: OpSignature): number {
  const in0 = type(sig.inputs, 0);
  const in1 = type(sig.inputs, 1);
  const out0 = type(sig.outputs, 0);
  const o = sig.options;
  switch (sig.builtinCode) {
    case B.CONV_2D:
      if (in0 === 'int16' && in1 === 'int8' && out0 === 'int16') {
        if (o.quantizedBiasType && o.quantizedBiasType !== 'float32') return 8;
      }
      // op_version.cc tests int16 weights here, so 16x8 convolutions with
      // int8 weights fall through to version 1; mirrored as written.
      if (in0 === 'int16' && in1 === 'int16' && out0 === 'int16') return 4;
      if (in0 === 'int8' && in1 === 'int8' && out0 === 'int8') return 3;
      if (in0 === 'int8' && in1 === 'int4' && out0 === 'int8') return 7;
      if (in0 === 'float32' && in1 === 'int8' && out0 === 'float32') {
        return sig.inputs[1].perChannel ? 5 : 2;
      }
      return 1;
    case B.DEPTHWISE_CONV_2D:
      if (in0 === 'int16' && in1 === 'int16' && out0 === 'int16') return 5;
      if (in0 === 'float32' && in1 === 'int8' && out0 === 'float32') {
        return sig.inputs[1].perChannel ? 6 : 4;
      }
      if (in0 === 'int8' && in1 === 'int8' && out0 === 'int8') return 3;
      if (in0 === 'int8' && in1 === 'int4' && out0 === 'int8') return 7;
      if ((o.dilationWFactor ?? 1) !== 1 || (o.dilationHFactor ?? 1) !== 1) return 2;
      return 1;
    case B.FULLY_CONNECTED:
      if (in0 === 'float32' && in1 === 'int8' && out0 === 'float32' && sig.inputs[1].perChannel) {
        return 12;
      }
      if (in0 === 'int16' && in1 === 'int8' && out0 === 'int16') {
        if (o.quantizedBiasType && o.quantizedBiasType !== 'float32') return 11;
      }
      if (in0 === 'int16' && in1 === 'int16' && out0 === 'int16') return 7;
      if (sig.inputs.length === 2) return 6;
      if (o.keepNumDims === true) return 5;
      if (in0 === 'int8' && in1 === 'int8' && out0 === 'int8') return 4;
      if (in0 === 'int8' && in1 === 'int4' && out0 === 'int8') return 10;
      if (in0 === 'float32' && in1 === 'int8' && out0 === 'float32') {
        return o.asymmetricQuantizeInputs === true ? 9 : 3;
      }
      if (o.weightsFormat === 1) return 2;
      return 1;
    case B.SVDF:
      if (in0 === 'int8') return 3;
      if (in0 === 'float32' && in1 === 'int8' && out0 === 'float32') {
        return o.asymmetricQuantizeInputs === true ? 4 : 2;
      }
      return 1;
    case B.MAX_POOL_2D:
    case B.AVERAGE_POOL_2D:
      if (in0 === 'int16' && out0 === 'int16') return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.ADD:
      if (in0 === 'int64') return 4;
      if (in0 === 'int16' && out0 === 'int16' && o.potScaleInt16 === false) return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.SUB:
      if (in0 === 'int16' && out0 === 'int16' && o.potScaleInt16 === false) return 5;
      if (in0 === 'int64') return 4;
      if (needsBroadcast(sig) && maxInputRank(sig) > 4) return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.MUL:
      if (in0 === 'int64') return 5;
      if (in0 === 'int16') return 4;
      return in0 === 'int8' ? 2 : 1;
    case B.PAD:
    case B.PADV2:
      if ((sig.inputs[0]?.rank ?? 0) > 4) return 4;
      if (in0 === 'int16') return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.CONCATENATION:
      if (in0 === 'uint32') return 4;
      if (in0 === 'int16') return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.TANH:
    case B.LOGISTIC:
      if (in0 === 'int16' && out0 === 'int16') return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.SOFTMAX:
    case B.MEAN:
    case B.RELU6:
      if (in0 === 'int16') return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.RELU:
      if (in0 === 'int16') return 3;
      return in0 === 'int8' || in0 === 'uint8' ? 2 : 1;
    case B.LEAKY_RELU:
      return in0 === 'int16' ? 2 : 1;
    case B.MAXIMUM:
    case B.MINIMUM:
      if (in0 === 'int16' && out0 === 'int16') return 4;
      if (needsBroadcast(sig) && maxInputRank(sig) > 4) return 3;
      return in0 === 'int8' ? 2 : 1;
    case B.QUANTIZE:
      if (sig.outputs[0]?.perChannel) return 3;
      return out0 === 'int16' ? 2 : 1;
    case B.DEQUANTIZE:
      if (in0 === 'int16' || in0 === 'float16') return 3;
      return in0 === 'int8' ? 2 : 1;
    default:
      return 1;
  }
}

function needsBroadcast(sig: OpSignature): boolean {
  return sig.inputs.length >= 2 && sig.inputs[0].rank !== sig.inputs[1].rank;
}

function maxInputRank(sig: OpSignature): number {
  return Math.max(0, ...sig.inputs.map((t) => t.rank));
}

/** The signature of one operator of a subgraph. */
export function signatureOf(model: TfliteModel, sg: SubGraphDef, op: OperatorDef): OpSignature {
  const spec = (index: number): TensorSpec => {
    const t = index >= 0 ? sg.tensors[index] : undefined;
    if (!t) return { type: 'none', rank: 0, perChannel: false };
    return {
      type: t.type,
      rank: t.shape.length,
      perChannel: (t.quantization?.scale.length ?? 0) > 1,
    };
  };
  return {
    builtinCode: model.operatorCodes[op.opcodeIndex]?.builtinCode ?? -1,
    inputs: op.inputs.map(spec),
    outputs: op.outputs.map(spec),
    options: op.options ?? {},
  };
}

/**
 * Sets every operator code's version to the highest version any of its uses
 * needs (op_version.cc UpdateOpVersion, which also never lowers a version).
 */
export function updateOpVersions(model: TfliteModel): void {
  for (const sg of model.subgraphs) {
    for (const op of sg.operators) {
      const code = model.operatorCodes[op.opcodeIndex];
      if (!code || code.builtinCode === B.CUSTOM) continue;
      const version = builtinOperatorVersion(signatureOf(model, sg, op));
      if (version > code.version) code.version = version;
    }
  }
}
