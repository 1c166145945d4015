/**
 * Commands whose engine is not built yet. They exit 2 with a line that says
 * so, instead of pretending (the optimize and benchmark issues bring them).
 */
import type { Command } from '../args';
import { NotImplementedError } from '../../errors';

function pending(name: string, summary: string, usage: string): Command {
  return {
    name,
    summary: `${summary} (not yet implemented)`,
    usage,
    options: {},
    async run() {
      throw new NotImplementedError(`${name} is not yet implemented`);
    },
  };
}

export const quantize = pending(
  'quantize',
  'post-training quantization (int8, float16, dynamic range)',
  'tinyml quantize M.tflite --calib DATA.json --out Q.tflite [--mode int8|float16|dynamic] [--io int8|float32]',
);
