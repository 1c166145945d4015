import { writeFile } from 'node:fs/promises';
import { str, positional, UsageError, type Command, type ParsedArgs } from '../args';
import { loadModelFile } from '../../model/artifacts';
import { convertLayersModel } from '../../tflite/convert';
import type { InputScaling, ModelMetadata } from '../../tflite/metadata';
import { writeModel } from '../../tflite/writer';
import { readModel } from '../../tflite/reader';
import { inspectModel } from '../../tflite/inspect';

function list(args: ParsedArgs, name: string): string[] | undefined {
  return str(args, name)
    ?.split(',')
    .map((s) => s.trim());
}

/** A number or a comma-separated list of numbers (one per input feature). */
function numbers(args: ParsedArgs, name: string): number | number[] | undefined {
  const items = list(args, name);
  if (!items) return undefined;
  const values = items.map(Number);
  if (items.some((s) => s === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(
      `--${name} must be a number or numbers separated by commas, got "${str(args, name)}"`,
    );
  }
  return values.length === 1 ? values[0] : values;
}

/** The metadata the options describe; checked by the converter (metadata.ts). */
function metadataOf(args: ParsedArgs): ModelMetadata {
  const meta: ModelMetadata = {};
  for (const key of ['name', 'description', 'version'] as const) {
    const v = str(args, key);
    if (v !== undefined) meta[key] = v;
  }
  const labels = list(args, 'labels');
  if (labels) meta.labels = labels;
  const task = str(args, 'task');
  if (task !== undefined) meta.task = task as ModelMetadata['task'];
  const scaling: InputScaling = {};
  for (const key of ['mean', 'std', 'min', 'max'] as const) {
    const v = numbers(args, key);
    if (v !== undefined) scaling[key] = v;
  }
  if (Object.keys(scaling).length > 0) meta.inputScaling = scaling;
  return meta;
}

export const convert: Command = {
  name: 'convert',
  summary: 'convert a TensorFlow.js model to a float32 .tflite',
  usage: [
    'tinyml convert MODEL.json --out M.tflite [metadata options]',
    '',
    'metadata stored in the file (docs/formats.md):',
    '  --name NAME  --version V  --description TEXT',
    '  --labels a,b,c                 class names, in output order',
    '  --task classification|regression|anomaly|other',
    "  --mean M --std S               input scaling x' = (x - M) / S (numbers or lists)",
    "  --min A --max B                input scaling x' = (x - A) / (B - A)",
  ].join('\n'),
  options: {
    out: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    labels: { type: 'string' },
    task: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    min: { type: 'string' },
    max: { type: 'string' },
  },
  async run(args, io) {
    const modelPath = positional(args, 0, 'MODEL.json');
    const out = str(args, 'out', true)!;
    const metadata = metadataOf(args);
    const model = await loadModelFile(modelPath);
    const tfl = convertLayersModel(model, { metadata });
    model.dispose();
    const bytes = writeModel(tfl);
    await writeFile(out, bytes);
    const report = inspectModel(readModel(bytes), bytes.length);
    io.out(
      `wrote ${out}: ${bytes.length} bytes, ${report.params} parameters, ${report.macs} MACs, ops ${report.requiredOps.join(', ')}, arena ${report.arenaBytes} bytes`,
    );
    return 0;
  },
};
