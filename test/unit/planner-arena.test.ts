/**
 * planArena: TFLM's lifetimes (micro_allocation_info.cc) on real models and
 * the placement of scratch buffers. That the planned size equals TFLM's is
 * checked on every recorded golden (interpreter-tflm.test.ts).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { readModel } from '../../src/tflite/reader';
import { planArena, tensorLifetimes } from '../../src/runtime/memory';
import { anyBuffersOverlap } from '../../src/runtime/planner';
import { sharedModel } from '../helpers/paths';

describe('arena planning', () => {
  it('gives inputs step 0, op i step i + 1 and outputs the last step (micro_speech)', () => {
    const model = readModel(readFileSync(sharedModel('micro_speech_quantized.tflite')));
    const sg = model.subgraphs[0];
    const { first, last } = tensorLifetimes(sg);
    const input = sg.inputs[0];
    const output = sg.outputs[0];
    assert.deepEqual([first[input], last[input]], [0, 1]); // read by op 0 (RESHAPE)
    assert.deepEqual([first[output], last[output]], [4, 4]); // written by op 3, kept to the end
    const reshaped = sg.operators[0].outputs[0];
    assert.deepEqual([first[reshaped], last[reshaped]], [1, 2]);
  });

  it('places scratch buffers only for their operator step (SVDF, TFLM scratch sizes)', () => {
    const model = readModel(readFileSync(sharedModel('keyword_scrambled_8bit.tflite')));
    const scratch = [1, 3].flatMap((op) => [
      { node: op, type: 'int32' as const, count: 64, bytes: 256 },
      { node: op, type: 'int32' as const, count: 64, bytes: 256 },
    ]);
    const layout = planArena(model, 0, undefined, scratch);
    const requests = layout.requests.slice(layout.requests.length - 4);
    assert.deepEqual(
      requests.map((r) => [r.firstUse, r.lastUse, r.size]),
      [
        [2, 2, 256],
        [2, 2, 256],
        [4, 4, 256],
        [4, 4, 256],
      ],
    );
    assert.equal(anyBuffersOverlap(layout.requests, layout), false);
    // The two scratch buffers of one op are alive together: distinct offsets.
    assert.notEqual(layout.scratchOffsets[0], layout.scratchOffsets[1]);
  });
});
