import { writeFile } from 'node:fs/promises';
import { num, positional, readBytes, str, UsageError, type Command } from '../args';
import { loadDataset } from './train';
import { QUANTIZE_IO, QUANTIZE_MODES } from '../../optimize/quantize/index';
import { runQuantizeRequest, type QuantizeRequest } from '../../optimize/quantize/request';
import { formatQuantizeReport } from '../../optimize/quantize/report';

export const quantize: Command = {
  name: 'quantize',
  summary: 'post-training quantization (int8, 16x8, float16, dynamic range) with an accuracy gate',
  usage:
    'tinyml quantize M.tflite --calib DATA.json --out Q.tflite [--mode int8|int16x8|float16|dynamic]\n' +
    '                [--io int8|int16|float32] [--per-channel] [--report R.json] [--json]\n' +
    '                [--val VAL.json (--max-drop PP | --max-mae-increase X)] [--label COL] [--no-header]\n' +
    '  DATA.json: representative samples {"xs": [...]} (ys optional); CSV allowed\n' +
    '    (--label COL, --no-header: CSV options as for tinyml train)\n' +
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
    'no-header': { type: 'boolean' },
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
    const calibPath = str(args, 'calib', mode === 'int8' || mode === 'int16x8');
    const valPath = str(args, 'val');
    const maxDrop = num(args, 'max-drop');
    const maxMae = num(args, 'max-mae-increase');
    if ((maxDrop !== undefined || maxMae !== undefined) && !valPath) {
      throw new UsageError('--max-drop and --max-mae-increase need --val (held-out data)');
    }
    const model = await readBytes(modelPath);
    const label = str(args, 'label');
    const noHeader = args.values['no-header'] === true;
    const request: Record<string, unknown> = { mode, io: ioType };
    if (args.values['per-channel']) request.perChannelDense = true;
    if (calibPath) request.calibration = await loadDataset(calibPath, label, noHeader);
    if (valPath) request.validation = await loadDataset(valPath, label, noHeader);
    if (maxDrop !== undefined) request.maxAccuracyDropPp = maxDrop;
    if (maxMae !== undefined) request.maxMaeIncrease = maxMae;

    const outcome = await runQuantizeRequest(model, request as QuantizeRequest);
    await writeFile(out, outcome.bytes);
    const json = {
      ...(outcome.gate ? { gate: outcome.gate } : {}),
      report: outcome.report ?? null,
    };
    const reportPath = str(args, 'report');
    if (reportPath) await writeFile(reportPath, JSON.stringify(json, null, 2));
    if (args.values.json) {
      io.out(JSON.stringify(json));
    } else {
      const lines = [`wrote ${out}`];
      if (outcome.gate) lines.push(`accuracy gate: ${outcome.gate.reason}`);
      if (outcome.report) lines.push(formatQuantizeReport(outcome.report));
      io.out(lines.join('\n'));
    }
    return 0;
  },
};
