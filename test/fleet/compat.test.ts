/**
 * The deployer's arena check knows which interpreter a device runs: a device
 * announcing caps.runtime "tflm" (the C firmware) is checked against what
 * TensorFlow Lite Micro needs — the planned tensors plus its persistent
 * structures, src/export/arena.ts — and a device running the project's
 * interpreter ("tinyml", or no runtime: round-1 devices) against the
 * planner's bytes. Both at the byte boundary, for TensorFlow's own models.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { PROFILES, capabilitiesOf } from '../../src/device/profiles';
import { estimateArenaBytes } from '../../src/export/arena';
import { arenaNeeded, checkCompatibility } from '../../src/fleet/compat';
import type { Capabilities, DeviceStatus, Runtime } from '../../src/fleet/messages';
import { describeModel, type ModelInfo } from '../../src/fleet/model-info';
import { inspectModel } from '../../src/tflite/inspect';
import { readModel } from '../../src/tflite/reader';
import { sharedModel } from '../helpers/paths';

const MODELS = ['hello_world_int8.tflite', 'micro_speech_quantized.tflite', 'person_detect.tflite'];

function status(arenaBytes: number, ops: string[], runtime?: Runtime): DeviceStatus {
  const caps: Capabilities = { ...capabilitiesOf(PROFILES.esp32, ops, 'none'), arenaBytes };
  if (runtime) caps.runtime = runtime;
  else delete caps.runtime;
  return { v: 1, id: 'dev', online: true, caps, ts: 0 };
}

/** Accepted with exactly `need` bytes of arena, refused with E_ARENA and the reason one byte below. */
function assertBoundary(info: ModelInfo, need: number, runtime: Runtime | undefined, why: string) {
  assert.deepEqual(checkCompatibility(status(need, info.ops, runtime), info, false), []);
  const short = checkCompatibility(status(need - 1, info.ops, runtime), info, false);
  assert.deepEqual(
    short.map((p) => p.code),
    ['E_ARENA'],
  );
  const reason = `model needs a ${need}-byte tensor arena ${why}; the device has ${need - 1}`;
  assert.equal(short[0].reason, reason);
}

describe('compatibility check: the arena a model needs on each runtime', () => {
  for (const name of MODELS) {
    const bytes = new Uint8Array(readFileSync(sharedModel(name)));
    const info = describeModel(bytes);

    it(`${name}: a "tflm" device needs TFLite Micro's arena, refused one byte below it`, () => {
      const model = readModel(bytes);
      const estimate = estimateArenaBytes(model, inspectModel(model, bytes.length));
      assert.equal(info.tflmArenaBytes, estimate.totalBytes);
      // TFLM's persistent structures come on top of the planned tensors.
      assert.ok(
        info.tflmArenaBytes > info.arenaBytes,
        `${info.tflmArenaBytes} vs ${info.arenaBytes}`,
      );
      assertBoundary(
        info,
        info.tflmArenaBytes,
        'tflm',
        '(TFLite Micro: planned tensors plus its persistent data)',
      );
      // The planner's bytes, enough for our interpreter, are not enough for TFLM.
      const planned = checkCompatibility(status(info.arenaBytes, info.ops, 'tflm'), info, false);
      assert.equal(planned[0]?.code, 'E_ARENA');
    });

    it(`${name}: a "tinyml" device (or one that names no runtime) needs the planner's arena`, () => {
      for (const runtime of ['tinyml', undefined] as const) {
        assertBoundary(info, info.arenaBytes, runtime, '(planned tensors)');
      }
    });
  }

  it('the agent announces the runtime it loads models with', () => {
    const caps = capabilitiesOf(PROFILES.esp32, ['FULLY_CONNECTED'], 'none');
    assert.equal(caps.runtime, 'tinyml');
    assert.equal(caps.inference, 'tinyml');
    assert.equal(arenaNeeded(caps, { arenaBytes: 10, tflmArenaBytes: 20 }).bytes, 10);
    assert.equal(
      arenaNeeded({ ...caps, runtime: 'tflm' }, { arenaBytes: 10, tflmArenaBytes: 20 }).bytes,
      20,
    );
  });
});
