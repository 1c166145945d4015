/**
 * One entry point for the optimize node (and any caller with a message in
 * hand): quantization of the .tflite, or pruning / distillation of the
 * TensorFlow.js model it was converted from, with the report of each. The
 * settings are validated with ajv; the engines do the work:
 *   quantize → src/optimize/quantize (calibration, int8/16x8/float16/dynamic, accuracy gate)
 *   prune    → src/optimize/prune (magnitude on a polynomial schedule, or structured)
 *   distill  → src/optimize/distill (Hinton et al. 2015; student from a spec or a budget)
 * Pruned and distilled models come back both as a float32 .tflite and as a
 * serialized tfjs model, so a second optimize node can quantize them.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { ajv, check } from '../util/validate';
import { deserializeModel, serializeModel, type SerializedModel } from '../model/artifacts';
import { convertLayersModel } from '../tflite/convert';
import { writeModel } from '../tflite/writer';
import { readModel } from '../tflite/reader';
import { readMetadata, setMetadata } from '../tflite/metadata';
import { runQuantizeRequest } from './quantize/request';
import { QUANTIZE_IO, QUANTIZE_MODES, quantizeOptionsSchema } from './quantize';
import { pruneModel } from './prune';
import { distillModel } from './distill';
import { ValidationError } from '../errors';

export const OPTIMIZE_MODES = ['none', 'quantize', 'prune', 'distill'] as const;
export type OptimizeMode = (typeof OPTIMIZE_MODES)[number];

export interface OptimizeSettings {
  mode: OptimizeMode;
  quantize?: {
    mode?: (typeof QUANTIZE_MODES)[number];
    io?: (typeof QUANTIZE_IO)[number];
    perChannelDense?: boolean;
    /** Accuracy gate: most accuracy lost (percentage points) before falling back. */
    maxAccuracyDropPp?: number;
    maxMaeIncrease?: number;
  };
  prune?: Record<string, unknown>;
  distill?: Record<string, unknown>;
}

export const optimizeSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { enum: [...OPTIMIZE_MODES] },
    quantize: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...quantizeOptionsSchema.properties,
        maxAccuracyDropPp: { type: 'number', minimum: 0 },
        maxMaeIncrease: { type: 'number', minimum: 0 },
      },
    },
    // Checked in full by the pruning and distillation engines.
    prune: { type: 'object' },
    distill: { type: 'object' },
  },
} as const;

const validateSettings = ajv.compile<OptimizeSettings>(optimizeSettingsSchema);

export interface OptimizeInput {
  /** The float32 .tflite (quantize; also the source of metadata to keep). */
  tflite?: Uint8Array;
  /** The TensorFlow.js model it was converted from (prune, distill). */
  tfjs?: unknown;
  /** Training data (prune, distill) or calibration samples (quantize): {xs, ys}. */
  data?: unknown;
  /** Held-out labelled data for the before/after figures and the accuracy gate. */
  validation?: unknown;
}

export interface OptimizeHooks {
  onProgress?: (text: string) => void;
  signal?: AbortSignal;
}

export interface OptimizeOutput {
  mode: OptimizeMode;
  applied: boolean;
  tflite: Uint8Array;
  tfjs?: SerializedModel;
  /** The engine's report (sizes, accuracy or error, arena, MACs, before/after). */
  report: unknown;
  summary: string;
}

/** Carries name, version, labels and input scaling over to an optimized model. */
function keepMetadata(from: Uint8Array | undefined, to: Uint8Array): Uint8Array {
  if (!from) return to;
  const meta = readMetadata(readModel(from));
  if (!meta) return to;
  const model = readModel(to);
  setMetadata(model, { ...readMetadata(model), ...meta });
  return writeModel(model);
}

/**
 * The output of a fine-tuning technique (prune, distill): its .tflite (or one
 * converted now) with the input's metadata, the model serialized for the next
 * node; the model is disposed.
 */
async function finish(
  mode: OptimizeMode,
  input: OptimizeInput,
  model: tfTypes.LayersModel,
  converted: Uint8Array | undefined,
  report: unknown,
  verb: string,
): Promise<OptimizeOutput> {
  const tflite = converted ?? writeModel(convertLayersModel(model));
  const tfjs = await serializeModel(model);
  model.dispose();
  return {
    mode,
    applied: true,
    tflite: keepMetadata(input.tflite, tflite),
    tfjs,
    report,
    summary: `${verb}: ${tflite.length} bytes`,
  };
}

function need<T>(value: T | undefined, what: string, mode: string): T {
  if (value === undefined || value === null) {
    throw new ValidationError(`optimize ${mode}: ${what} is required`);
  }
  return value;
}

export async function optimize(
  input: OptimizeInput,
  settingsInput: unknown,
  hooks: OptimizeHooks = {},
): Promise<OptimizeOutput> {
  const settings = check(validateSettings, settingsInput, 'optimize');
  const mode = settings.mode;
  if (mode === 'none') {
    const tflite = need(input.tflite, 'the .tflite model', mode);
    return {
      mode,
      applied: false,
      tflite,
      report: { mode, applied: false, bytes: tflite.length },
      summary: 'no optimization requested; model passed through unchanged',
    };
  }
  if (mode === 'quantize') {
    const tflite = need(input.tflite, 'the float32 .tflite model', mode);
    const data = input.data as { xs?: unknown[] } | unknown[] | undefined;
    const calibration = Array.isArray(data) ? data : data?.xs;
    hooks.onProgress?.('calibrating');
    const out = await runQuantizeRequest(tflite, {
      ...settings.quantize,
      ...(calibration ? { calibration } : {}),
      ...(input.validation !== undefined ? { validation: input.validation } : {}),
    });
    const applied = out.report !== undefined;
    const chosen = out.gate?.chosen ?? settings.quantize?.mode ?? 'int8';
    return {
      mode,
      applied,
      tflite: applied ? keepMetadata(tflite, out.bytes) : out.bytes,
      report: { report: out.report, gate: out.gate },
      summary: applied
        ? `quantized (${chosen}): ${tflite.length} → ${out.bytes.length} bytes`
        : `kept float32: ${out.gate?.reason ?? 'no candidate passed the accuracy gate'}`,
    };
  }
  const model = await deserializeModel(
    need(input.tfjs, 'the TensorFlow.js model (msg.tfjs)', mode),
    'msg.tfjs',
  );
  const data = need(input.data, 'training data (msg.data)', mode);
  try {
    if (mode === 'prune') {
      const out = await pruneModel(
        model,
        data,
        {
          ...settings.prune,
          ...(input.validation !== undefined ? { heldOut: input.validation } : {}),
        },
        {
          signal: hooks.signal,
          onEpoch: (e, n, loss) =>
            hooks.onProgress?.(`pruning: epoch ${e}/${n} loss ${loss.toFixed(4)}`),
        },
      );
      return await finish(mode, input, out.model, out.tflite, out.report, 'pruned');
    }
    const out = await distillModel(
      model,
      data,
      {
        ...settings.distill,
        ...(input.validation !== undefined ? { heldOut: input.validation } : {}),
      },
      {
        signal: hooks.signal,
        onEpoch: (run, e, n, loss) =>
          hooks.onProgress?.(`distilling (${run}): epoch ${e}/${n} loss ${loss.toFixed(4)}`),
      },
    );
    out.alone?.dispose();
    return await finish(mode, input, out.model, out.tflite, out.report, 'distilled');
  } finally {
    model.dispose();
  }
}
