/**
 * The data an optimization trains on and the held-out data it is judged on:
 * a separate held-out set when the caller has one, else a seeded split of
 * the data (the same seed gives the same split, so before and after are
 * measured on the same samples).
 */
import { parseDataset, type Dataset } from '../model/dataset';
import { splitDataset } from '../model/builtin-datasets';
import { ValidationError } from '../errors';

export interface HoldoutOptions {
  /** A held-out set; when given, all of the data is used for training. */
  heldOut?: unknown;
  /** Fraction of the data held out when no held-out set is given (default 0.2). */
  testFraction?: number;
  seed?: number;
}

export interface Holdout {
  train: Dataset;
  test: Dataset;
  /** How the held-out part was chosen, for the report. */
  description: string;
  /** Set when the held-out part is a split of the data (a caveat for the report). */
  caveat?: string;
}

export function holdOut(data: unknown, o: HoldoutOptions = {}): Holdout {
  const ds = parseDataset(data, 'data');
  if (o.heldOut !== undefined) {
    return {
      train: ds,
      test: parseDataset(o.heldOut, 'heldOut'),
      description: 'separate held-out set',
    };
  }
  const fraction = o.testFraction ?? 0.2;
  const seed = o.seed ?? 1;
  if (ds.xs.length < 2) {
    throw new ValidationError(
      `data has ${ds.xs.length} sample; at least 2 are needed to hold some out`,
    );
  }
  const { train, test } = splitDataset(ds, fraction, seed);
  if (train.xs.length === 0) {
    throw new ValidationError(
      `holding out ${fraction} of ${ds.xs.length} samples leaves none to train on`,
    );
  }
  return {
    train,
    test,
    description: `${Math.round(fraction * 100)}% of the data, seeded split (seed ${seed})`,
    caveat:
      'the held-out samples are a split of the data given; if the original model was trained on all of it, its figure is optimistic — give a separate held-out set for an unbiased comparison',
  };
}
