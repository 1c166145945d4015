import { writeFile } from 'node:fs/promises';
import { num, positional, readBytes, str, UsageError, type Command } from '../args';
import { loadDataset } from './train';
import { parseDataset, type Dataset } from '../../model/dataset';
import { ajv, check } from '../../util/validate';
import { QUANTIZE_IO, QUANTIZE_MODES, type QuantizeMode } from '../../optimize/quantize/index';
import { quantizeAndReport } from '../../optimize/quantize/pipeline';
import { formatQuantizeReport } from '../../optimize/quantize/report';
import { accuracyGate } from '../../optimize/gate';

/** Calibration data: a dataset whose labels are optional (only xs are run). */
const calibrationSchema = {
  type: 'object',
  required: ['xs'],
  properties: {
    xs: { type: 'array', minItems: 1 },
    ys: { type: 'array' },
  },
} as const;
const validateCalibration = ajv.compile<{ xs: unknown[]; ys?: unknown[] }>(calibrationSchema);

export const quantize: Command = {
  name: 'quantize',
  summary: 'post-training quantization (int8, 16x8, float16, dynamic range) with an accuracy gate',
  usage:
    'tinyml quantize M.tflite --calib DATA.json --out Q.tflite [--mode int8|int16x8|float16|dynamic]\n' +
    '                [--io int8|int16|float32] [--per-channel] [--report R.json] [--json]\n' +
    '                [--val VAL.json (--max-drop PP | --max-mae-increase X)]\n' +
    '  DATA.json: representative samples {"xs": [...]} (ys optional); CSV allowed\n' +
    '  --io int8 (mode int8) or int16 (mode int16x8): integer model I/O; default float32\n' +
    '  --per-channel: FULLY_CONNECTED weights per output channel (default per tensor)\n' +
    '  --val with --max-drop: accuracy gate; falls back int8 → per-channel → 16x8 → float16\n' +
    '    (starting at --mode) until the held-out accuracy drop is at most PP percentage points',
  options: {
    calib: { type: 'string' },
    out: { type: 'string' },
    mode: { type: 'string' },
    io: { type: 'string' },
    'per-channel': { type: 'boolean' },
    val: { type: 'string' },
    'max-drop': { type: 'string' },
    'max-mae-increase': { type: 'string' },
    report: { type: 'string' },
    json: { type: 'boolean' },
    label: { type: 'string' },
  },
  async run(args, io) {
    const modelPath = positional(args, 0, 'M.tflite');
    const out = str(args, 'out', true)!;
    const mode = str(args, 'mode') ?? 'int8';
    if (!(QUANTIZE_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`--mode must be one of ${QUANTIZE_MODES.join(', ')}, got "${mode}"`);
    }
    const ioType = str(args, 'io') ?? 'float32';
    if (!(QUANTIZE_IO as readonly string[]).includes(ioType)) {
      throw new UsageError(`--io must be one of ${QUANTIZE_IO.join(', ')}, got "${ioType}"`);
    }
    const integerMode = mode === 'int8' || mode === 'int16x8';
    const calibPath = str(args, 'calib', integerMode);
    const model = await readBytes(modelPath);
    const label = str(args, 'label');
    let calib: { xs: unknown[]; ys?: unknown[] } | undefined;
    if (calibPath) {
      calib = check(validateCalibration, await loadDataset(calibPath, label), calibPath);
    }
    const valPath = str(args, 'val');
    const maxDrop = num(args, 'max-drop');
    const maxMae = num(args, 'max-mae-increase');
    if ((maxDrop !== undefined || maxMae !== undefined) && !valPath) {
      throw new UsageError('--max-drop and --max-mae-increase need --val (held-out data)');
    }
    const val = valPath ? parseDataset(await loadDataset(valPath, label), valPath) : undefined;

    let text: string;
    let json: unknown;
    let bytes: Uint8Array;
    if (val && (maxDrop !== undefined || maxMae !== undefined)) {
      if (!calib) throw new UsageError('--calib is required by the accuracy gate');
      const gate = await accuracyGate(model, {
        validation: val,
        calibration: calib.xs,
        ...(maxDrop !== undefined ? { maxAccuracyDropPp: maxDrop } : {}),
        ...(maxMae !== undefined ? { maxMaeIncrease: maxMae } : {}),
        integerIo: ioType !== 'float32',
        startMode: mode as QuantizeMode,
      });
      bytes = gate.bytes;
      json = {
        gate: { chosen: gate.chosen, reason: gate.reason, attempts: gate.attempts },
        report: gate.report ?? null,
        baseline: gate.baseline,
      };
      text = [
        `accuracy gate: ${gate.reason}`,
        ...(gate.report ? [formatQuantizeReport(gate.report)] : []),
      ].join('\n');
    } else {
      // Without held-out data, labelled calibration data is the best there is
      // (the report says which data the numbers come from).
      let evaluation;
      if (val) evaluation = { data: val, on: 'validation' as const };
      else if (calib?.ys) {
        const ds: Dataset = parseDataset(calib, calibPath);
        evaluation = { data: ds, on: 'calibration' as const };
      }
      const result = await quantizeAndReport(
        model,
        calib?.xs,
        { mode, io: ioType, ...(args.values['per-channel'] ? { perChannelDense: true } : {}) },
        evaluation,
      );
      bytes = result.bytes;
      json = { report: result.report };
      text = formatQuantizeReport(result.report);
    }
    await writeFile(out, bytes);
    const reportPath = str(args, 'report');
    if (reportPath) await writeFile(reportPath, JSON.stringify(json, null, 2));
    if (args.values.json) io.out(JSON.stringify(json));
    else io.out(`wrote ${out}\n${text}`);
    return 0;
  },
};
