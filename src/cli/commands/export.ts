import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { positional, readBytes, str, UsageError, type Command } from '../args';
import { exportModel, type ExportFormat } from '../../export/c-source';

export const exportCmd: Command = {
  name: 'export',
  summary:
    'write a .tflite as C sources for a firmware build (model array, op resolver, arena size)',
  usage:
    'tinyml export M.tflite --format c|arduino [--out DIR] [--symbol g_model]\n' +
    '  writes SYMBOL.h, SYMBOL.c (or .cpp for arduino) and SYMBOL_op_resolver.h',
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    symbol: { type: 'string' },
  },
  async run(args, io) {
    const path = positional(args, 0, 'M.tflite');
    const format = (str(args, 'format') ?? 'c') as ExportFormat;
    if (format !== 'c' && format !== 'arduino') {
      throw new UsageError(`--format must be c or arduino, got "${format}"`);
    }
    const files = exportModel(await readBytes(path), { format, symbol: str(args, 'symbol') });
    const out = str(args, 'out') ?? '.';
    await mkdir(out, { recursive: true });
    for (const f of files) await writeFile(join(out, f.name), f.content);
    io.out(`wrote ${files.map((f) => join(out, f.name)).join(', ')}`);
    return 0;
  },
};
