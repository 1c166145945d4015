import { positional, readBytes, type Command } from '../args';
import { readModel } from '../../tflite/reader';
import { formatInspect, inspectModel } from '../../tflite/inspect';

export const inspect: Command = {
  name: 'inspect',
  summary: 'show ops, tensors, parameters, MACs, flash and arena of a .tflite',
  usage: 'tinyml inspect M.tflite [--json]',
  options: { json: { type: 'boolean' } },
  async run(args, io) {
    const path = positional(args, 0, 'M.tflite');
    const bytes = await readBytes(path);
    const report = inspectModel(readModel(bytes), bytes.length);
    io.out(args.values.json ? JSON.stringify(report, null, 2) : formatInspect(report));
    return 0;
  },
};
