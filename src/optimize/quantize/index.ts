/**
 * Post-training quantization of a float32 .tflite (TFLite quantization
 * specification; docs/quantization.md):
 *
 * - int8: full integer, int8 activations from calibrated ranges, int8
 *   weights, int32 biases (for microcontrollers: TFLM, CMSIS-NN, ESP-NN);
 * - int16x8: int16 activations, int8 weights, int64 biases, for models that
 *   lose too much with int8 activations;
 * - float16: float16 weights dequantized at load (DEQUANTIZE ops), float
 *   compute (half the flash, for CPUs and GPUs with the full runtime);
 * - dynamic: int8 weights, float activations quantized on the fly by the
 *   hybrid kernels (full TFLite runtime; TFLM has no hybrid kernels).
 */
import { ajv, check } from '../../util/validate';
import { flatten } from '../../util/arrays';
import { readModel } from '../../tflite/reader';
import { writeModel } from '../../tflite/writer';
import type { TfliteModel } from '../../tflite/model';
import { calibrate, checkFloatModel, type Calibration } from './calibrate';
import { quantizeInteger } from './integer';
import { quantizeFloat16 } from './float16';
import { quantizeDynamicRange } from './dynamic';
import { ValidationError } from '../../errors';

export const QUANTIZE_MODES = ['int8', 'int16x8', 'float16', 'dynamic'] as const;
export type QuantizeMode = (typeof QUANTIZE_MODES)[number];
export const QUANTIZE_IO = ['float32', 'int8', 'int16'] as const;
export type QuantizeIo = (typeof QUANTIZE_IO)[number];

export interface QuantizeOptions {
  /** Default int8. */
  mode?: QuantizeMode;
  /**
   * Input/output type. float32 (default) keeps the model's interface; int8
   * (mode int8) and int16 (mode int16x8) make the I/O integer, saving the
   * QUANTIZE/DEQUANTIZE ops on a device that feeds quantized data.
   */
  io?: QuantizeIo;
  /** FULLY_CONNECTED weights per output channel (default per tensor, as TF). */
  perChannelDense?: boolean;
}

export const quantizeOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: [...QUANTIZE_MODES] },
    io: { enum: [...QUANTIZE_IO] },
    perChannelDense: { type: 'boolean' },
  },
} as const;

const validateOptions = ajv.compile<QuantizeOptions>(quantizeOptionsSchema);

export interface ResolvedOptions {
  mode: QuantizeMode;
  io: QuantizeIo;
  perChannelDense: boolean;
}

/** Validates options and fills in the defaults; mismatched mode and I/O are refused. */
export function resolveOptions(options: unknown = {}): ResolvedOptions {
  const o = check(validateOptions, options, 'options');
  const mode = o.mode ?? 'int8';
  const io = o.io ?? 'float32';
  const integerIo = mode === 'int8' ? 'int8' : mode === 'int16x8' ? 'int16' : undefined;
  if (io !== 'float32' && io !== integerIo) {
    throw new ValidationError(
      `quantize: io ${io} does not fit mode ${mode}; expected ${integerIo ? `float32 or ${integerIo}` : 'float32 (this mode keeps float activations)'}`,
    );
  }
  return { mode, io, perChannelDense: o.perChannelDense ?? false };
}

export interface QuantizeResult {
  /** The quantized .tflite file. */
  bytes: Uint8Array;
  model: TfliteModel;
  options: ResolvedOptions;
  calibrationSamples?: number;
  notes: string[];
}

/** Flattens dataset samples (nested arrays) for calibration. */
export function calibrationSamples(xs: readonly unknown[]): number[][] {
  return xs.map((x, i) => flatten(x, [], `calibration sample ${i}`));
}

/**
 * Quantizes a float32 model. `calibration` (the representative dataset's
 * samples, or a Calibration already computed for this model) is required by
 * the integer modes and ignored by float16 and dynamic.
 */
export function quantizeModel(
  floatModel: Uint8Array | TfliteModel,
  calibration: readonly unknown[] | Calibration | undefined,
  options: unknown = {},
): QuantizeResult {
  const resolved = resolveOptions(options);
  const model = floatModel instanceof Uint8Array ? readModel(floatModel) : floatModel;
  checkFloatModel(model);
  let out: TfliteModel;
  let notes: string[] = [];
  let samples: number | undefined;
  if (resolved.mode === 'int8' || resolved.mode === 'int16x8') {
    if (!calibration || (Array.isArray(calibration) && calibration.length === 0)) {
      throw new ValidationError(
        `quantize: mode ${resolved.mode} needs calibration data (a representative dataset)`,
      );
    }
    const cal = Array.isArray(calibration)
      ? calibrate(model, calibrationSamples(calibration))
      : (calibration as Calibration);
    samples = cal.samples;
    const result = quantizeInteger(model, cal.ranges, {
      activations: resolved.mode === 'int8' ? 'int8' : 'int16',
      io: resolved.io === 'float32' ? 'float32' : 'integer',
      perChannelDense: resolved.perChannelDense,
    });
    out = result.model;
    notes = result.notes;
  } else if (resolved.mode === 'float16') {
    out = quantizeFloat16(model);
  } else {
    out = quantizeDynamicRange(model, { perChannelDense: resolved.perChannelDense });
  }
  const bytes = writeModel(out);
  // Read back: the file must pass the same validation every reader applies.
  const written = readModel(bytes);
  const result: QuantizeResult = { bytes, model: written, options: resolved, notes };
  if (samples !== undefined) result.calibrationSamples = samples;
  return result;
}

export { calibrate, type Calibration } from './calibrate';
