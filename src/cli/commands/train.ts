import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { num, readJson, readText, str, type Command } from '../args';
import { parseCsv } from '../../model/dataset';
import { saveModelDir } from '../../model/artifacts';
import { trainModel } from '../../model/train';

/** Reads a dataset file: JSON {xs, ys}, or CSV (header row; .gz allowed). */
export async function loadDataset(
  path: string,
  labelColumn?: string,
  noHeader = false,
): Promise<unknown> {
  if (/\.csv(\.gz)?$/i.test(path))
    return parseCsv(await readText(path), { labelColumn, noHeader }, path);
  return readJson(path);
}

export const train: Command = {
  name: 'train',
  summary: 'train a TensorFlow.js model from a spec and a dataset',
  usage:
    'tinyml train --spec SPEC.json [--data DATA.(json|csv)] --out DIR [--label COLUMN] [--no-header] [--epochs N]\n' +
    '  SPEC.json: {"inputShape":[..],"layers":[{"type":"dense","units":16,"activation":"relu"}],...}\n' +
    '             or {"preset":"sine"} (data optional: the preset makes its own)\n' +
    '  "normalize":"standardize"|"minmax" in the spec: per-feature input scaling learnt from the\n' +
    '             training samples, carried by the model (raw features in, everywhere)\n' +
    '  without "loss": a softmax last layer trains a classifier on class indices, else a regression\n' +
    '  writes DIR/model.json, DIR/weights.bin (TensorFlow.js format) and DIR/report.json',
  options: {
    spec: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    label: { type: 'string' },
    'no-header': { type: 'boolean' },
    epochs: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(args, io) {
    const spec = (await readJson(str(args, 'spec', true)!)) as Record<string, unknown>;
    const out = str(args, 'out', true)!;
    const epochs = num(args, 'epochs');
    if (epochs !== undefined) spec.epochs = epochs;
    const dataPath = str(args, 'data');
    const data = dataPath
      ? await loadDataset(dataPath, str(args, 'label'), args.values['no-header'] === true)
      : undefined;
    const result = await trainModel(spec, data, {
      onEpoch: (p) => {
        if (args.values.quiet) return;
        if (p.epoch === p.epochs || p.epoch % Math.max(1, Math.floor(p.epochs / 10)) === 0) {
          const val = p.valLoss !== undefined ? ` val_loss ${p.valLoss.toFixed(5)}` : '';
          const m = p.metric !== undefined ? ` acc ${p.metric.toFixed(4)}` : '';
          io.err(`epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(5)}${val}${m}`);
        }
      },
    });
    const modelPath = await saveModelDir(result.model, out);
    const report = { ...result.report, labels: result.labels, model: modelPath };
    await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2));
    io.out(
      `trained ${report.name}: ${report.params} parameters, loss ${report.loss.toFixed(5)}` +
        (report.valAccuracy !== undefined
          ? `, val accuracy ${(report.valAccuracy * 100).toFixed(2)}%`
          : '') +
        ` -> ${modelPath}`,
    );
    return 0;
  },
};
