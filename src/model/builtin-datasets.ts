/**
 * The real data sets shipped in data/ (UCI digits and iris, from
 * scikit-learn's copies; see data/README.md) and a seeded train/test split.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseCsv, type Dataset } from './dataset';
import { shuffledIndices } from './random';
import { ValidationError } from '../errors';

// Compiled to dist/src/model/: the package root is three levels up.
const DATA_DIR = join(__dirname, '..', '..', '..', 'data');

export const BUILTIN_DATASETS = ['digits', 'iris'] as const;
export type BuiltinDatasetName = (typeof BUILTIN_DATASETS)[number];

export function loadBuiltinDataset(name: string): Dataset {
  switch (name) {
    case 'digits': {
      // 8×8 images with pixel values 0..16, label last, no header.
      const text = gunzipSync(readFileSync(join(DATA_DIR, 'digits.csv.gz'))).toString('utf8');
      const ds = parseCsv(text, { noHeader: true }, 'digits');
      ds.labels = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
      return ds;
    }
    case 'iris': {
      // First line: rows, features, then the class names.
      const [header, ...rows] = readFileSync(join(DATA_DIR, 'iris.csv'), 'utf8').trim().split('\n');
      const ds = parseCsv(rows.join('\n'), { noHeader: true }, 'iris');
      ds.labels = header.split(',').slice(2);
      return ds;
    }
    default:
      throw new ValidationError(
        `unknown data set "${name}"; built in: ${BUILTIN_DATASETS.join(', ')}`,
      );
  }
}

/** Splits a dataset into train and test parts with a seeded shuffle. */
export function splitDataset(
  ds: Dataset,
  testFraction: number,
  seed: number,
): { train: Dataset; test: Dataset } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ValidationError(`test fraction must be in (0, 1), got ${testFraction}`);
  }
  const order = shuffledIndices(ds.xs.length, seed);
  const nTest = Math.max(1, Math.round(ds.xs.length * testFraction));
  const pick = (idx: number[]): Dataset => {
    const part: Dataset = { xs: idx.map((i) => ds.xs[i]), ys: idx.map((i) => ds.ys[i]) };
    if (ds.labels) part.labels = ds.labels;
    return part;
  };
  return { test: pick(order.slice(0, nTest)), train: pick(order.slice(nTest)) };
}
