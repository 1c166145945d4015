/**
 * The deployer's compatibility check, run before anything is sent: a model
 * that needs more flash or arena than a device announces, an op its
 * interpreter does not register, a packet limit too small for a chunk, or an
 * unsigned manifest for a device that requires signatures is refused with
 * the reason. The device repeats these checks itself (docs/protocol.md).
 */
import { PROTOCOL_VERSION, type Capabilities, type DeviceStatus, type ErrorCode } from './messages';
import type { ModelInfo } from './model-info';

export interface Incompatibility {
  code: ErrorCode;
  reason: string;
}

/**
 * The arena the model needs on this device. TFLite Micro keeps more than the
 * planned tensors in its arena (a TfLiteEvalTensor per tensor, node and op
 * data, per-channel quantization arrays, temporaries while kernels prepare):
 * a TFLM device is checked against the estimate calibrated on TFLM itself
 * (src/export/arena.ts); a device running the project's interpreter, whose
 * persistent data lives outside the arena, against the planner's bytes.
 */
export function arenaNeeded(
  caps: Capabilities,
  model: Pick<ModelInfo, 'arenaBytes' | 'tflmArenaBytes'>,
): { bytes: number; why: string } {
  return caps.runtime === 'tflm'
    ? {
        bytes: model.tflmArenaBytes,
        why: '(TFLite Micro: planned tensors plus its persistent data)',
      }
    : { bytes: model.arenaBytes, why: '(planned tensors)' };
}

export function checkCompatibility(
  status: DeviceStatus,
  model: ModelInfo,
  signed: boolean,
): Incompatibility[] {
  const out: Incompatibility[] = [];
  if (status.v !== PROTOCOL_VERSION) {
    out.push({
      code: 'E_PROTOCOL',
      reason: `device speaks protocol v${status.v}, this deployer v${PROTOCOL_VERSION}`,
    });
    return out;
  }
  const caps = status.caps;
  if (!caps) {
    out.push({ code: 'E_PROTOCOL', reason: 'device announced no capabilities' });
    return out;
  }
  if (model.size > caps.flashBytes) {
    out.push({
      code: 'E_TOO_BIG',
      reason: `model of ${model.size} bytes does not fit the device's ${caps.flashBytes}-byte model slot`,
    });
  }
  const arena = arenaNeeded(caps, model);
  if (arena.bytes > caps.arenaBytes) {
    out.push({
      code: 'E_ARENA',
      reason: `model needs a ${arena.bytes}-byte tensor arena ${arena.why}; the device has ${caps.arenaBytes}`,
    });
  }
  const missing = model.ops.filter((op) => !caps.ops.includes(op));
  if (missing.length) {
    out.push({
      code: 'E_OPS',
      reason: `ops not supported by the device: ${missing.join(', ')} (it has ${caps.ops.join(', ') || 'none'})`,
    });
  }
  if (caps.verify === 'ed25519' && !signed) {
    out.push({
      code: 'E_SIGNATURE',
      reason: 'device accepts only signed manifests; deploy with a signing key (tinyml keygen)',
    });
  }
  return out;
}
