import { writeFile } from 'node:fs/promises';
import { str, positional, type Command } from '../args';
import { loadModelFile } from '../../model/artifacts';
import { convertLayersModel } from '../../tflite/convert';
import { writeModel } from '../../tflite/writer';
import { readModel } from '../../tflite/reader';
import { inspectModel } from '../../tflite/inspect';

export const convert: Command = {
  name: 'convert',
  summary: 'convert a TensorFlow.js model to a float32 .tflite',
  usage: 'tinyml convert MODEL.json --out M.tflite [--name NAME] [--version V] [--labels a,b,c]',
  options: {
    out: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    labels: { type: 'string' },
  },
  async run(args, io) {
    const modelPath = positional(args, 0, 'MODEL.json');
    const out = str(args, 'out', true)!;
    const model = await loadModelFile(modelPath);
    const labels = str(args, 'labels')
      ?.split(',')
      .map((s) => s.trim());
    const tfl = convertLayersModel(model, {
      metadata: {
        ...(str(args, 'name') ? { name: str(args, 'name') } : {}),
        ...(str(args, 'version') ? { version: str(args, 'version') } : {}),
        ...(labels ? { labels } : {}),
      },
    });
    const bytes = writeModel(tfl);
    await writeFile(out, bytes);
    const report = inspectModel(readModel(bytes), bytes.length);
    io.out(
      `wrote ${out}: ${bytes.length} bytes, ${report.params} parameters, ops ${report.requiredOps.join(', ')}, arena ${report.arenaBytes} bytes`,
    );
    return 0;
  },
};
