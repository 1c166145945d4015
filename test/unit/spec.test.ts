import { strict as assert } from 'node:assert';
import { buildModel, parseSpec, type ModelSpec } from '../../src/model/spec';
import { convertLayersModel } from '../../src/tflite/convert';
import { operatorName } from '../../src/tflite/model';
import { parseCsv, parseDataset } from '../../src/model/dataset';
import { trainModel } from '../../src/model/train';
import { ValidationError } from '../../src/errors';

function fails(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error) => err instanceof ValidationError && pattern.test(err.message));
}

describe('model spec and dataset validation', () => {
  it('names the field and what was expected', () => {
    fails(
      () => parseSpec({ inputShape: [1], layers: [] }),
      /spec\.layers must NOT have fewer than 1 items/,
    );
    fails(
      () => parseSpec({ inputShape: [0], layers: [{ type: 'dense' }] }),
      /spec\.inputShape\[0\] must be >= 1/,
    );
    fails(
      () => parseSpec({ inputShape: [1], layers: [{ units: 3 }] }),
      /spec\.layers\[0\]\.type is required/,
    );
    fails(
      () => parseSpec({ inputShape: [1], layers: [{ type: 'dense' }], loss: 'mse2' }),
      /spec\.loss must be one of/,
    );
    fails(() => parseSpec([1, 2]), /spec must be a JSON object/);
  });

  it('rejects an unknown layer type with the list of factories', async () => {
    await assert.rejects(
      trainModel(
        { inputShape: [1], layers: [{ type: 'densee', units: 1 }] },
        { xs: [[1]], ys: [1] },
      ),
      (err: Error) =>
        err instanceof ValidationError &&
        /spec\.layers\[0\]\.type "densee".*dense/.test(err.message),
    );
  });

  it('rejects a dataset whose samples do not match the input shape', async () => {
    await assert.rejects(
      trainModel(
        { inputShape: [2], layers: [{ type: 'dense', units: 1 }] },
        { xs: [[1]], ys: [1] },
      ),
      /shape \[1\] \(1 values\); the model's input shape \[2\] takes 2/,
    );
  });

  it('checks dataset structure', () => {
    fails(() => parseDataset({ xs: [[1]], ys: [1, 2] }), /1 samples but data\.ys has 2/);
    fails(() => parseDataset({ xs: [[1], [1, 2]], ys: [1, 2] }), /ragged/);
    fails(() => parseDataset({ xs: 'a', ys: [1] }), /data\.xs must be an array/);
  });

  it('gates an LSTM with sigmoid unless the spec says otherwise, so it converts to TFLite', () => {
    const spec = (recurrentActivation?: string): ModelSpec => ({
      inputShape: [5, 2],
      layers: [
        { type: 'lstm', units: 3, ...(recurrentActivation ? { recurrentActivation } : {}) },
        { type: 'dense', units: 1 },
      ],
    });
    const lstm = buildModel(spec());
    assert.equal(lstm.layers[0].getConfig().recurrentActivation, 'sigmoid');
    const converted = convertLayersModel(lstm);
    const ops = converted.subgraphs[0].operators.map((op) => operatorName(converted, op));
    assert.ok(ops.includes('UNIDIRECTIONAL_SEQUENCE_LSTM'), ops.join(', '));
    const hard = buildModel(spec('hardSigmoid'));
    assert.equal(hard.layers[0].getConfig().recurrentActivation, 'hardSigmoid');
    assert.throws(() => convertLayersModel(hard), /recurrentActivation "hardSigmoid"/);
  });

  it('parses CSV with a header and text labels', () => {
    const ds = parseCsv('a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n');
    assert.deepEqual(ds.xs, [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(ds.ys, [0, 1, 0]);
    assert.deepEqual(ds.labels, ['cat', 'dog']);
    fails(() => parseCsv('a,label\n1,2\nx,3\n'), /CSV line 3 column 1 is not a number/);
  });

  it('takes the last column as the label when none is named "label" or given', () => {
    const ds = parseCsv('x,y,class\n1,2,0\n3,4,1\n');
    assert.deepEqual(ds.xs, [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(ds.ys, [0, 1]);
    assert.deepEqual(parseCsv('x,y,class\n1,2,0\n', { labelColumn: 'x' }).xs, [[2, 0]]);
  });

  it('refuses a first row of numbers as a header instead of dropping that sample', () => {
    // The UCI digits file has no header: its first sample must not become column names.
    const headerless = '0,0,5,13,0\n0,0,0,12,1\n';
    fails(() => parseCsv(headerless), /first row is all numbers.*no header/);
    assert.deepEqual(parseCsv(headerless, { noHeader: true }).ys, [0, 1]);
    fails(() => parseCsv('a,b,a,label\n1,2,3,0\n'), /names a column twice: "a"/);
  });
});
