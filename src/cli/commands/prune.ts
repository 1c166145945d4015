import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { num, positional, str, UsageError, type Command, type ParsedArgs } from '../args';
import { loadDataset } from './train';
import { loadModelFile, saveModelDir } from '../../model/artifacts';
import { pruneModel } from '../../optimize/prune';
import { formatReport } from '../../optimize/report';

/** Options shared by prune and distill: data, held-out data, training settings, output. */
export const TRAINING_OPTIONS = {
  data: { type: 'string' },
  test: { type: 'string' },
  'test-fraction': { type: 'string' },
  label: { type: 'string' },
  'no-header': { type: 'boolean' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const TRAINING_USAGE =
  '  --test HELDOUT       held-out data (default: --test-fraction of DATA, seeded split)\n' +
  '  --test-fraction F    fraction of DATA held out when --test is absent (default 0.2)\n' +
  '  --label COL, --no-header   CSV options as for tinyml train\n' +
  '  --epochs N --batch-size N --lr X --seed N   fine-tuning settings\n' +
  '  --json               print report.json instead of the table';

/** The data and training settings of the shared options, as engine options. */
export async function trainingInputs(
  args: ParsedArgs,
): Promise<{ data: unknown; options: Record<string, unknown> }> {
  const label = str(args, 'label');
  const noHeader = args.values['no-header'] === true;
  const data = await loadDataset(str(args, 'data', true)!, label, noHeader);
  const testPath = str(args, 'test');
  const options: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) options[key] = value;
  };
  set('heldOut', testPath ? await loadDataset(testPath, label, noHeader) : undefined);
  set('testFraction', num(args, 'test-fraction'));
  set('epochs', num(args, 'epochs'));
  set('batchSize', num(args, 'batch-size'));
  set('learningRate', num(args, 'lr'));
  set('seed', num(args, 'seed'));
  return { data, options };
}

export function epochLogger(args: ParsedArgs, err: (line: string) => void, prefix = '') {
  return (epoch: number, epochs: number, loss: number) => {
    if (args.values.quiet) return;
    if (epoch === epochs || epoch % Math.max(1, Math.floor(epochs / 10)) === 0) {
      err(`${prefix}epoch ${epoch}/${epochs} loss ${loss.toFixed(5)}`);
    }
  };
}

export const prune: Command = {
  name: 'prune',
  summary: 'magnitude or structured pruning with fine-tuning',
  usage:
    'tinyml prune MODEL.json --data DATA --sparsity 0.8 [--structured] --out DIR [options]\n' +
    '  magnitude (default): zero the smallest weights of every kernel to SPARSITY over\n' +
    '    fine-tuning (polynomial schedule, Zhu & Gupta 2017); biases are kept\n' +
    '    --scope layer|global: each kernel to SPARSITY (default), or one threshold over all\n' +
    '  --structured: remove SPARSITY of the units/filters of every hidden Dense/Conv layer\n' +
    '    (smallest L1 norms), rebuild the smaller model, fine-tune\n' +
    TRAINING_USAGE +
    '\n  writes DIR/model.json + weights.bin, DIR/model.tflite (when convertible), DIR/report.json',
  options: {
    ...TRAINING_OPTIONS,
    sparsity: { type: 'string' },
    structured: { type: 'boolean' },
    scope: { type: 'string' },
  },
  async run(args, io) {
    const modelPath = positional(args, 0, 'MODEL.json');
    const out = str(args, 'out', true)!;
    const sparsity = num(args, 'sparsity');
    if (sparsity === undefined) throw new UsageError('--sparsity is required');
    const model = await loadModelFile(modelPath);
    const { data, options } = await trainingInputs(args);
    options.sparsity = sparsity;
    if (args.values.structured) options.structured = true;
    const scope = str(args, 'scope');
    if (scope !== undefined) options.scope = scope;
    const result = await pruneModel(model, data, options, {
      onEpoch: epochLogger(args, io.err),
    });
    const saved = await saveModelDir(result.model, out);
    if (result.tflite) await writeFile(join(out, 'model.tflite'), result.tflite);
    const report = {
      ...result.report,
      model: saved,
      ...(result.tflite ? { tflite: join(out, 'model.tflite') } : {}),
    };
    await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2));
    io.out(
      args.values.json
        ? JSON.stringify(report, null, 2)
        : `${formatReport(result.report)}\n\nwrote ${saved}`,
    );
    return 0;
  },
};
