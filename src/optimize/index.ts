/**
 * Optimization of a .tflite model: quantization, pruning and distillation.
 *
 * Not built yet (tracked in the optimize issue): optimizeModel passes the
 * model through unchanged and its report says so plainly, so a flow that
 * wires the optimize node runs end to end without anyone mistaking the
 * output for an optimized model.
 */
export type OptimizeMode = 'none' | 'quantize' | 'prune' | 'distill';

export interface OptimizeReport {
  mode: OptimizeMode;
  applied: boolean;
  message: string;
  bytesBefore: number;
  bytesAfter: number;
}

export function optimizeModel(
  model: Uint8Array,
  mode: OptimizeMode = 'none',
): { model: Uint8Array; report: OptimizeReport } {
  const message =
    mode === 'none'
      ? 'no optimization requested; model passed through unchanged'
      : `optimization "${mode}" is not implemented yet; model passed through unchanged (float32)`;
  return {
    model,
    report: { mode, applied: false, message, bytesBefore: model.length, bytesAfter: model.length },
  };
}
