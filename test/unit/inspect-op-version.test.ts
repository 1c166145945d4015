/**
 * Operator versions, as TensorFlow's converter assigns them
 * (tensorflow/lite/tools/versioning/op_version.cc): the rules for the ops the
 * converter and quantizer write, and the versions in files TensorFlow made.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { readModel } from '../../src/tflite/reader';
import { BuiltinOperator, operatorName } from '../../src/tflite/model';
import {
  builtinOperatorVersion,
  signatureOf,
  type OpSignature,
  type TensorSpec,
} from '../../src/tflite/op-version';
import { sharedModel } from '../helpers/paths';

const B = BuiltinOperator;

function t(type: TensorSpec['type'], rank = 4, perChannel = false): TensorSpec {
  return { type, rank, perChannel };
}

function version(
  op: number,
  inputs: TensorSpec[],
  outputs: TensorSpec[],
  options: Record<string, unknown> = {},
): number {
  const sig: OpSignature = { builtinCode: op, inputs, outputs, options };
  return builtinOperatorVersion(sig);
}

describe('op versions (op_version.cc)', () => {
  it('float ops are version 1, int8 ops their int8 version', () => {
    const f = t('float32');
    const q = t('int8');
    assert.equal(version(B.CONV_2D, [f, f, t('float32', 1)], [f]), 1);
    assert.equal(version(B.CONV_2D, [q, t('int8', 4, true), t('int32', 1)], [q]), 3);
    assert.equal(version(B.DEPTHWISE_CONV_2D, [q, q, t('int32', 1)], [q]), 3);
    assert.equal(version(B.FULLY_CONNECTED, [q, t('int8', 2), t('int32', 1)], [q]), 4);
    assert.equal(version(B.AVERAGE_POOL_2D, [q], [q]), 2);
    assert.equal(version(B.SOFTMAX, [q], [q]), 2);
    assert.equal(version(B.ADD, [q, q], [q]), 2);
    assert.equal(version(B.SVDF, [q, q, q, t('int32', 1), q], [q]), 3);
  });

  it('features raise the version: dilation, keep_num_dims, no bias, hybrid per-channel', () => {
    const f = t('float32');
    assert.equal(
      version(B.DEPTHWISE_CONV_2D, [f, f, f], [f], { dilationWFactor: 2, dilationHFactor: 1 }),
      2,
    );
    assert.equal(version(B.FULLY_CONNECTED, [f, f, f], [f], { keepNumDims: true }), 5);
    assert.equal(version(B.FULLY_CONNECTED, [f, f], [f]), 6);
    // An omitted bias (-1) still counts as an input (op_signature.cc).
    assert.equal(version(B.FULLY_CONNECTED, [f, f, t('none', 0)], [f]), 1);
    assert.equal(version(B.CONV_2D, [f, t('int8', 4, true), f], [f]), 5);
    assert.equal(version(B.CONV_2D, [f, t('int8', 4, false), f], [f]), 2);
  });

  it('agrees with the versions in hello_world, micro_speech and simple_add made by TensorFlow', () => {
    // person_detect, keyword_scrambled and the seanet models were made by
    // older converters whose versions for int8 CONV_2D and int16 ops differ
    // from today's op_version.cc, so they are not compared.
    for (const name of [
      'hello_world_float.tflite',
      'hello_world_int8.tflite',
      'micro_speech_quantized.tflite',
      'simple_add_model.tflite',
    ]) {
      const m = readModel(readFileSync(sharedModel(name)));
      const sg = m.subgraphs[0];
      for (const op of sg.operators) {
        assert.equal(
          builtinOperatorVersion(signatureOf(m, sg, op)),
          m.operatorCodes[op.opcodeIndex].version,
          `${name} ${operatorName(m, op)}`,
        );
      }
    }
  });
});
