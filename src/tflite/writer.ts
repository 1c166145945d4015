/**
 * Writes a TfliteModel as a .tflite flatbuffer (schema version 3, identifier
 * "TFL3") with the generated builders. Constant buffers are aligned to 16
 * bytes as the schema asks (Buffer.data force_align: 16), so kernels and
 * TFLite Micro can read weights in place from flash.
 */
import * as flatbuffers from 'flatbuffers';
import * as fb from './generated/tflite_generated';
import { encodeOptions } from './options';
import {
  TENSOR_TYPES,
  type OperatorDef,
  type SubGraphDef,
  type TensorDef,
  type TfliteModel,
} from './model';

export function writeModel(model: TfliteModel): Uint8Array {
  const builder = new flatbuffers.Builder(capacityFor(model));

  // Buffers first: the builder writes back to front, so large constant data
  // ends up at the end of the file, after the small tables that describe it.
  const bufferOffsets = model.buffers.map((buf) => {
    const dataOffset = buf.data.length > 0 ? bytesVector(builder, buf.data, 16) : 0;
    fb.Buffer.startBuffer(builder);
    if (dataOffset) fb.Buffer.addData(builder, dataOffset);
    return fb.Buffer.endBuffer(builder);
  });

  const subgraphOffsets = model.subgraphs.map((sg) => writeSubgraph(builder, sg));

  const codeOffsets = model.operatorCodes.map((code) => {
    const custom = code.customCode !== undefined ? builder.createString(code.customCode) : 0;
    fb.OperatorCode.startOperatorCode(builder);
    // deprecated_builtin_code carries codes below 127 for old readers
    // (PLACEHOLDER_FOR_GREATER_OP_CODES); builtin_code carries every code.
    fb.OperatorCode.addDeprecatedBuiltinCode(builder, Math.min(code.builtinCode, 127));
    if (custom) fb.OperatorCode.addCustomCode(builder, custom);
    fb.OperatorCode.addVersion(builder, code.version);
    fb.OperatorCode.addBuiltinCode(builder, code.builtinCode);
    return fb.OperatorCode.endOperatorCode(builder);
  });

  const metadataOffsets = model.metadata.map((m) => {
    const name = builder.createString(m.name);
    fb.Metadata.startMetadata(builder);
    fb.Metadata.addName(builder, name);
    fb.Metadata.addBuffer(builder, m.buffer);
    return fb.Metadata.endMetadata(builder);
  });

  const signatureOffsets = model.signatureDefs.map((sig) => {
    const maps = (list: { name: string; tensorIndex: number }[]) =>
      list.map((m) => {
        const name = builder.createString(m.name);
        fb.TensorMap.startTensorMap(builder);
        fb.TensorMap.addName(builder, name);
        fb.TensorMap.addTensorIndex(builder, m.tensorIndex);
        return fb.TensorMap.endTensorMap(builder);
      });
    const inputs = fb.SignatureDef.createInputsVector(builder, maps(sig.inputs));
    const outputs = fb.SignatureDef.createOutputsVector(builder, maps(sig.outputs));
    const key = builder.createString(sig.signatureKey);
    fb.SignatureDef.startSignatureDef(builder);
    fb.SignatureDef.addInputs(builder, inputs);
    fb.SignatureDef.addOutputs(builder, outputs);
    fb.SignatureDef.addSignatureKey(builder, key);
    fb.SignatureDef.addSubgraphIndex(builder, sig.subgraphIndex);
    return fb.SignatureDef.endSignatureDef(builder);
  });

  const description = builder.createString(model.description);
  const codes = fb.Model.createOperatorCodesVector(builder, codeOffsets);
  const subgraphs = fb.Model.createSubgraphsVector(builder, subgraphOffsets);
  const buffers = fb.Model.createBuffersVector(builder, bufferOffsets);
  const metadata =
    metadataOffsets.length > 0 ? fb.Model.createMetadataVector(builder, metadataOffsets) : 0;
  const signatures =
    signatureOffsets.length > 0 ? fb.Model.createSignatureDefsVector(builder, signatureOffsets) : 0;

  fb.Model.startModel(builder);
  fb.Model.addVersion(builder, model.version);
  fb.Model.addOperatorCodes(builder, codes);
  fb.Model.addSubgraphs(builder, subgraphs);
  fb.Model.addDescription(builder, description);
  fb.Model.addBuffers(builder, buffers);
  if (metadata) fb.Model.addMetadata(builder, metadata);
  if (signatures) fb.Model.addSignatureDefs(builder, signatures);
  const root = fb.Model.endModel(builder);
  fb.Model.finishModelBuffer(builder, root);
  return builder.asUint8Array().slice();
}

/**
 * A [ubyte] vector aligned to `alignment`, copied in one call. The generated
 * builders add bytes one at a time (Builder.addInt8), which took 364 ms for
 * the 4 MB model of bench/convert.bench.ts; one copy into the space that
 * startVector has reserved and aligned gives the same bytes.
 */
function bytesVector(builder: flatbuffers.Builder, data: Uint8Array, alignment: number): number {
  builder.startVector(1, data.length, alignment);
  // `space` (the free bytes before the data written so far, the builder
  // writes back to front) is private in the typings but is the builder's
  // documented state; startVector has made room for data.length bytes.
  const b = builder as unknown as { space: number; bb: flatbuffers.ByteBuffer };
  b.space -= data.length;
  b.bb.bytes().set(data, b.space);
  return builder.endVector();
}

/**
 * A generous estimate of the file size, so the builder never has to grow
 * (each growth copies everything written so far): the buffers with their
 * alignment, and a bound on every table, name and vector.
 */
function capacityFor(model: TfliteModel): number {
  let n = 4096 + model.description.length * 3;
  for (const b of model.buffers) n += b.data.length + 64;
  for (const sg of model.subgraphs) {
    for (const t of sg.tensors) {
      n += 128 + t.name.length * 3 + 8 * (t.shape.length + (t.shapeSignature?.length ?? 0));
      const q = t.quantization;
      if (q) n += 64 + 12 * q.scale.length + 4 * ((q.min?.length ?? 0) + (q.max?.length ?? 0));
    }
    for (const op of sg.operators) {
      n += 128 + 4 * (op.inputs.length + op.outputs.length) + (op.customOptions?.length ?? 0);
    }
    n += 64 + 4 * (sg.inputs.length + sg.outputs.length) + (sg.name?.length ?? 0) * 3;
  }
  n += 64 * model.operatorCodes.length + 128 * (model.metadata.length + model.signatureDefs.length);
  return n;
}

function writeSubgraph(builder: flatbuffers.Builder, sg: SubGraphDef): flatbuffers.Offset {
  const tensors = fb.SubGraph.createTensorsVector(
    builder,
    sg.tensors.map((t) => writeTensor(builder, t)),
  );
  const operators = fb.SubGraph.createOperatorsVector(
    builder,
    sg.operators.map((op) => writeOperator(builder, op)),
  );
  const inputs = fb.SubGraph.createInputsVector(builder, sg.inputs);
  const outputs = fb.SubGraph.createOutputsVector(builder, sg.outputs);
  const name = sg.name !== undefined ? builder.createString(sg.name) : 0;
  fb.SubGraph.startSubGraph(builder);
  fb.SubGraph.addTensors(builder, tensors);
  fb.SubGraph.addInputs(builder, inputs);
  fb.SubGraph.addOutputs(builder, outputs);
  fb.SubGraph.addOperators(builder, operators);
  if (name) fb.SubGraph.addName(builder, name);
  return fb.SubGraph.endSubGraph(builder);
}

function writeTensor(builder: flatbuffers.Builder, t: TensorDef): flatbuffers.Offset {
  const shape = fb.Tensor.createShapeVector(builder, t.shape);
  const name = builder.createString(t.name);
  let quant = 0;
  if (t.quantization) {
    const q = t.quantization;
    const scale = fb.QuantizationParameters.createScaleVector(builder, q.scale);
    const zeroPoint = fb.QuantizationParameters.createZeroPointVector(
      builder,
      q.zeroPoint.map((z) => BigInt(z)),
    );
    const min = q.min ? fb.QuantizationParameters.createMinVector(builder, q.min) : 0;
    const max = q.max ? fb.QuantizationParameters.createMaxVector(builder, q.max) : 0;
    fb.QuantizationParameters.startQuantizationParameters(builder);
    if (min) fb.QuantizationParameters.addMin(builder, min);
    if (max) fb.QuantizationParameters.addMax(builder, max);
    fb.QuantizationParameters.addScale(builder, scale);
    fb.QuantizationParameters.addZeroPoint(builder, zeroPoint);
    fb.QuantizationParameters.addQuantizedDimension(builder, q.quantizedDimension);
    quant = fb.QuantizationParameters.endQuantizationParameters(builder);
  }
  const signature = t.shapeSignature
    ? fb.Tensor.createShapeSignatureVector(builder, t.shapeSignature)
    : 0;
  fb.Tensor.startTensor(builder);
  fb.Tensor.addShape(builder, shape);
  fb.Tensor.addType(builder, TENSOR_TYPES.indexOf(t.type));
  fb.Tensor.addBuffer(builder, t.buffer);
  fb.Tensor.addName(builder, name);
  if (quant) fb.Tensor.addQuantization(builder, quant);
  if (t.isVariable) fb.Tensor.addIsVariable(builder, true);
  if (signature) fb.Tensor.addShapeSignature(builder, signature);
  return fb.Tensor.endTensor(builder);
}

function writeOperator(builder: flatbuffers.Builder, op: OperatorDef): flatbuffers.Offset {
  const inputs = fb.Operator.createInputsVector(builder, op.inputs);
  const outputs = fb.Operator.createOutputsVector(builder, op.outputs);
  const [optionsType, options] = op.options ? encodeOptions(builder, op.options) : [0, 0];
  const custom = op.customOptions
    ? fb.Operator.createCustomOptionsVector(builder, op.customOptions)
    : 0;
  const intermediates = op.intermediates
    ? fb.Operator.createIntermediatesVector(builder, op.intermediates)
    : 0;
  fb.Operator.startOperator(builder);
  fb.Operator.addOpcodeIndex(builder, op.opcodeIndex);
  fb.Operator.addInputs(builder, inputs);
  fb.Operator.addOutputs(builder, outputs);
  if (optionsType) {
    fb.Operator.addBuiltinOptionsType(builder, optionsType);
    fb.Operator.addBuiltinOptions(builder, options);
  }
  if (custom) fb.Operator.addCustomOptions(builder, custom);
  if (intermediates) fb.Operator.addIntermediates(builder, intermediates);
  return fb.Operator.endOperator(builder);
}
