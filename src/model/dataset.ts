/**
 * Datasets: JSON `{"xs": number[][] | nested, "ys": number[] | number[][]}` or
 * CSV with a header row (the label column named by option, default "label",
 * else the last column). Every sample is checked against the model's input
 * shape before training, and a problem names the sample (or CSV line).
 */
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';
import { flatten, shapeOf } from '../util/arrays';

export { flatten, shapeOf };

export interface Dataset {
  /** One flat Float32Array per sample would cost more; keep nested numbers. */
  xs: unknown[];
  ys: (number | number[])[];
  labels?: string[];
}

const nested: object = {
  anyOf: [{ type: 'number' }, { type: 'array', items: { $ref: '#/definitions/nested' } }],
};

export const datasetSchema = {
  type: 'object',
  required: ['xs', 'ys'],
  additionalProperties: false,
  definitions: { nested },
  properties: {
    xs: { type: 'array', minItems: 1, items: { $ref: '#/definitions/nested' } },
    ys: {
      type: 'array',
      minItems: 1,
      items: { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }] },
    },
    labels: { type: 'array', items: { type: 'string' } },
  },
};

const validateDataset = ajv.compile<Dataset>(datasetSchema);

export function parseDataset(value: unknown, root = 'data'): Dataset {
  const ds = check(validateDataset, value, root);
  if (ds.xs.length !== ds.ys.length) {
    throw new ValidationError(
      `${root}.xs has ${ds.xs.length} samples but ${root}.ys has ${ds.ys.length}`,
    );
  }
  const xShape = shapeOf(ds.xs);
  if (xShape === null) throw new ValidationError(`${root}.xs is ragged: samples differ in shape`);
  for (let i = 0; i < ds.ys.length; i++) {
    const y = ds.ys[i];
    const ok = typeof y === 'number' ? Number.isFinite(y) : y.every(Number.isFinite);
    if (!ok) throw new ValidationError(`${root}.ys[${i}] is not a finite number`);
  }
  const firstY = ds.ys[0];
  const yWidth = typeof firstY === 'number' ? -1 : firstY.length;
  ds.ys.forEach((y, i) => {
    const w = typeof y === 'number' ? -1 : y.length;
    if (w !== yWidth) throw new ValidationError(`${root}.ys[${i}] differs in shape from ys[0]`);
  });
  return ds;
}

/** Checks that every sample has the element count of `inputShape`. */
export function checkInputShape(ds: Dataset, inputShape: number[], root = 'data'): void {
  const want = inputShape.reduce((a, b) => a * b, 1);
  const shape = shapeOf(ds.xs)!;
  const got = shape.slice(1).reduce((a, b) => a * b, 1);
  if (got !== want) {
    throw new ValidationError(
      `${root}.xs samples have shape [${shape.slice(1)}] (${got} values); the model's input shape [${inputShape}] takes ${want}`,
    );
  }
}

export interface CsvOptions {
  labelColumn?: string;
  /** The CSV has no header row: the label is the last column. */
  noHeader?: boolean;
}

export function parseCsv(text: string, options: CsvOptions = {}, root = 'data'): Dataset {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < (options.noHeader ? 1 : 2)) {
    throw new ValidationError(`${root}: CSV needs a header row and at least one data row`);
  }
  let labelIndex: number;
  let start = 0;
  const width = lines[0].split(',').length;
  if (options.noHeader) {
    labelIndex = width - 1;
  } else {
    const header = lines[0].split(',').map((h) => h.trim());
    start = 1;
    // A first row of numbers is a sample, not a header: taking it as one
    // would silently drop that sample (and could pick the wrong label column).
    if (header.every((h) => h !== '' && Number.isFinite(Number(h)))) {
      throw new ValidationError(
        `${root}: the CSV's first row is all numbers, so it looks like a sample, not a header; ` +
          'say the file has no header (--no-header, noHeader) or add a header row',
      );
    }
    const repeated = header.filter((h, i) => header.indexOf(h) !== i);
    if (repeated.length > 0) {
      throw new ValidationError(
        `${root}: the CSV header names a column twice: "${repeated[0]}"; column names must be unique`,
      );
    }
    const name = options.labelColumn ?? (header.includes('label') ? 'label' : undefined);
    labelIndex = name === undefined ? width - 1 : header.indexOf(name);
    if (labelIndex < 0) {
      throw new ValidationError(
        `${root}: CSV has no column "${name}"; columns: ${header.join(', ')}`,
      );
    }
  }
  const xs: number[][] = [];
  const ys: number[] = [];
  const labelNames: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const cells = lines[i].split(',').map((c) => c.trim());
    if (cells.length !== width) {
      throw new ValidationError(
        `${root}: CSV line ${i + 1} has ${cells.length} columns, expected ${width}`,
      );
    }
    const x: number[] = [];
    for (let c = 0; c < cells.length; c++) {
      if (c === labelIndex) continue;
      const v = Number(cells[c]);
      if (cells[c] === '' || !Number.isFinite(v)) {
        throw new ValidationError(
          `${root}: CSV line ${i + 1} column ${c + 1} is not a number: "${cells[c]}"`,
        );
      }
      x.push(v);
    }
    const raw = cells[labelIndex];
    let y = Number(raw);
    if (raw === '' || !Number.isFinite(y)) {
      // Text labels become class indices in order of first appearance.
      let k = labelNames.indexOf(raw);
      if (k < 0) k = labelNames.push(raw) - 1;
      y = k;
    }
    xs.push(x);
    ys.push(y);
  }
  const ds: Dataset = { xs, ys };
  if (labelNames.length > 0) ds.labels = labelNames;
  return ds;
}
