/**
 * The constants of an op with weights (FULLY_CONNECTED, CONV_2D,
 * DEPTHWISE_CONV_2D) in a full-integer model: int8 symmetric weights, per
 * channel along the rule's axis or per tensor, and the bias at scale input
 * scale × weight scale (int32 with int8 activations, int64 with int16).
 */
import { operatorName, type TensorDef, type TfliteModel } from '../../tflite/model';
import type { GraphBuilder } from '../../tflite/convert/graph-builder';
import { bytesOf, constantBytes, constantFloats, quantization } from './graph';
import type { ActivationType, OpRule } from './ops';
import { quantizeBias, quantizeWeights, quantizeWithScales } from './weights';
import { UnsupportedError } from '../../errors';

export interface EmittedWeights {
  weights: number;
  bias?: number;
  biasType: 'int32' | 'int64';
  perChannel: boolean;
}

function requireFloatConst(model: TfliteModel, index: number, opIndex: number): TensorDef {
  const t = model.subgraphs[0].tensors[index];
  if (index < 0 || t.type !== 'float32' || !constantBytes(model, t)) {
    throw new UnsupportedError(
      `quantize: operator ${opIndex} takes "${t?.name ?? 'nothing'}" (${t?.type ?? 'missing'}) as weights or bias; expected a float32 constant`,
    );
  }
  return t;
}

/** Adds the quantized weights and bias of operator `opIndex` to `g`. */
export function emitWeights(
  g: GraphBuilder,
  model: TfliteModel,
  opIndex: number,
  rule: OpRule,
  inputScale: number,
  act: ActivationType,
  perChannelDense: boolean,
  notes: string[],
): EmittedWeights {
  const op = model.subgraphs[0].operators[opIndex];
  const w = rule.weights!;
  const perChannel = w.perChannel === 'always' || perChannelDense;
  const axis = perChannel ? w.axis : null;
  const wt = requireFloatConst(model, op.inputs[w.input], opIndex);
  const wValues = constantFloats(model, wt);
  let qw = quantizeWeights(wValues, wt.shape, axis);
  const biasType = act === 'int8' ? 'int32' : 'int64';
  const bi = rule.bias !== undefined ? op.inputs[rule.bias] : -1;
  let bias: number | undefined;
  if (bi >= 0) {
    const bt = requireFloatConst(model, bi, opIndex);
    const qb = quantizeBias(
      constantFloats(model, bt),
      inputScale,
      qw.scales,
      act === 'int8' ? 32 : 64,
    );
    if (qb.adjustedChannels.length > 0) {
      notes.push(
        `operator ${opIndex} (${operatorName(model, op)}): weight scale raised on ${qb.adjustedChannels.length} channel(s) so the bias fits ${biasType}`,
      );
      qw = {
        values: quantizeWithScales(wValues, wt.shape, axis, qb.weightScales),
        scales: qb.weightScales,
        axis: qw.axis,
      };
    }
    bias = g.addTensor(
      bt.name,
      bt.shape,
      biasType,
      bytesOf(qb.values),
      quantization({ scales: qb.scales, axis: 0 }),
    );
  }
  const weights = g.addTensor(wt.name, wt.shape, 'int8', qw.values, quantization(qw));
  return { weights, ...(bias !== undefined ? { bias } : {}), biasType, perChannel };
}
