/**
 * The tensor-arena size a firmware build should give TFLite Micro.
 *
 * TFLM's arena holds the planned (non-persistent) tensors — computed exactly
 * by the project's planner, the same greedy algorithm as TFLM's
 * GreedyMemoryPlanner — and persistent structures allocated once: a
 * TfLiteEvalTensor per tensor, node/registration records, builtin and op data
 * (per-channel multipliers and shifts for convolutions), TfLiteTensor records
 * for inputs and outputs, and variable tensors' buffers. While kernels
 * prepare, TFLM also needs temporary TfLiteTensors in the not-yet-planned
 * space, so a tiny model needs more than its final `arena_used_bytes()`.
 *
 * The formula was calibrated against TFLM itself (tflite-micro 90b983c2,
 * reference kernels, built for a 32-bit target) by finding, for 83 models
 * (the reference models in test/fixtures/models and the single-op golden
 * models), the smallest arena with which AllocateTensors and Invoke succeed.
 * With the coefficients below the estimate was never below that minimum;
 * it was at most 1.9× it (for models of under 1 KB), within 3% for
 * micro_speech and person_detect. Ops outside the calibrated set (e.g. SVDF,
 * which keyword_scrambled uses and whose prepare needs more temporary space)
 * get 25% more, which covered keyword_scrambled (10,464 bytes needed).
 */
import { operatorName, tensorByteSize, type TfliteModel } from '../tflite/model';
import type { InspectReport } from '../tflite/inspect';
import { alignUp } from '../runtime/planner';

export interface ArenaEstimate {
  plannedBytes: number;
  persistentBytes: number;
  /** Extra factor applied for ops outside the calibrated set (1 when none). */
  uncalibratedFactor: number;
  totalBytes: number;
}

const BASE = 320;
const PER_TENSOR = 36;
const PER_OPERATOR = 40;
const PER_CONV_CHANNEL = 9; // two int32 arrays (multiplier, shift) per output channel
const PER_IO_TENSOR = 64;
/** Smallest head region that leaves room for kernels' temporary tensors at prepare. */
const PREPARE_TEMP_BYTES = 384;
const UNCALIBRATED_FACTOR = 1.25;

/** Ops whose arena needs the calibration measured. */
export const CALIBRATED_OPS = new Set([
  'FULLY_CONNECTED',
  'CONV_2D',
  'DEPTHWISE_CONV_2D',
  'AVERAGE_POOL_2D',
  'MAX_POOL_2D',
  'SOFTMAX',
  'LOGISTIC',
  'TANH',
  'RELU',
  'RELU6',
  'ADD',
  'MUL',
  'MEAN',
  'PAD',
  'CONCATENATION',
  'RESHAPE',
  'QUANTIZE',
  'DEQUANTIZE',
]);

export function estimateArenaBytes(model: TfliteModel, report: InspectReport): ArenaEstimate {
  const sg = model.subgraphs[0];
  let convChannels = 0;
  let calibrated = true;
  for (const op of sg.operators) {
    const name = operatorName(model, op);
    if (!CALIBRATED_OPS.has(name)) calibrated = false;
    if (name === 'CONV_2D' || name === 'DEPTHWISE_CONV_2D') {
      convChannels += sg.tensors[op.outputs[0]]?.shape.at(-1) ?? 0;
    }
  }
  let variableBytes = 0;
  for (const t of sg.tensors) if (t.isVariable) variableBytes += tensorByteSize(t);
  const persistentBytes =
    BASE +
    PER_TENSOR * sg.tensors.length +
    PER_OPERATOR * sg.operators.length +
    PER_CONV_CHANNEL * convChannels +
    PER_IO_TENSOR * (sg.inputs.length + sg.outputs.length) +
    variableBytes;
  const uncalibratedFactor = calibrated ? 1 : UNCALIBRATED_FACTOR;
  const base = persistentBytes + Math.max(report.arenaBytes, PREPARE_TEMP_BYTES);
  return {
    plannedBytes: report.arenaBytes,
    persistentBytes,
    uncalibratedFactor,
    totalBytes: alignUp(Math.ceil(base * uncalibratedFactor)),
  };
}
