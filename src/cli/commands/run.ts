import { positional, readJson, str, type Command } from '../args';
import { readBytes } from '../args';
import { Interpreter } from '../../runtime/interpreter';
import { runJson } from '../../runtime/io';

export const run: Command = {
  name: 'run',
  summary: "run a .tflite on an input with the project's interpreter",
  usage:
    'tinyml run M.tflite --input IN.json [--json] [--float]\n' +
    '  IN.json: an array with one entry per model input, or a bare array for a single-input model\n' +
    "  values are the tensors' own (integers for int8); --float takes real values for quantized\n" +
    '  inputs (quantized with their scale and zero point) and prints dequantized outputs',
  options: { input: { type: 'string' }, json: { type: 'boolean' }, float: { type: 'boolean' } },
  async run(args, io) {
    const model = await readBytes(positional(args, 0, 'M.tflite'));
    const input = await readJson(str(args, 'input', true)!);
    const interp = new Interpreter(model);
    const result = runJson(interp, input, { float: args.values.float === true });
    if (args.values.json) {
      io.out(JSON.stringify(result));
    } else {
      for (const o of result.outputs)
        io.out(`${o.name} [${o.shape}] ${o.dtype}: ${o.data.join(' ')}`);
      io.err(`latency ${result.latencyMs.toFixed(3)} ms`);
    }
    return 0;
  },
};
