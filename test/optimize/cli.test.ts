/**
 * `tinyml prune` and `tinyml distill` as a user runs them: a model trained by
 * `tinyml train`, data files, output directories, report.json, the table, and
 * one-line errors with the documented exit codes.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';
import { loadBuiltinDataset, splitDataset } from '../../src/model/builtin-datasets';
import { readModel } from '../../src/tflite/reader';
import { countZeros, weightTensors } from '../../src/optimize/report';

const BIN = join(ROOT, 'bin', 'tinyml.js');

function tinyml(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 120000,
    env: { ...process.env, TINYML_QUIET: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tinyml prune and distill', function () {
  this.timeout(180000);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-prune-'));
  const p = (name: string) => join(dir, name);

  before(() => {
    const { train, test } = splitDataset(loadBuiltinDataset('iris'), 0.3, 1);
    writeFileSync(p('train.json'), JSON.stringify(train));
    writeFileSync(p('test.json'), JSON.stringify(test));
    writeFileSync(
      p('spec.json'),
      JSON.stringify({
        inputShape: [4],
        layers: [
          { type: 'dense', units: 16, activation: 'relu' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
        loss: 'sparseCategoricalCrossentropy',
        epochs: 40,
        batchSize: 16,
        learningRate: 0.01,
        seed: 1,
      }),
    );
    writeFileSync(
      p('student.json'),
      JSON.stringify({
        inputShape: [4],
        layers: [
          { type: 'dense', units: 4, activation: 'relu' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
      }),
    );
    const t = tinyml(
      'train',
      '--spec',
      p('spec.json'),
      '--data',
      p('train.json'),
      '--out',
      p('teacher'),
      '-q',
    );
    assert.equal(t.code, 0, t.err);
  });

  it('prune writes the model, the .tflite and report.json, and prints the table', () => {
    const r = tinyml(
      'prune',
      p('teacher/model.json'),
      '--data',
      p('train.json'),
      '--test',
      p('test.json'),
      '--sparsity',
      '0.75',
      '--epochs',
      '5',
      '--out',
      p('pruned'),
      '-q',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /magnitude pruning \(weights\): classification, 105 training samples, 45 held out/,
    );
    assert.match(r.out, /weight sparsity\s+0\.00%\s+75\.\d\d%/);
    assert.match(r.out, /pruned vs original: .*gzip ×/);
    for (const f of ['model.json', 'weights.bin', 'model.tflite', 'report.json']) {
      assert.ok(existsSync(p(`pruned/${f}`)), f);
    }
    const report = JSON.parse(readFileSync(p('pruned/report.json'), 'utf8'));
    assert.equal(report.settings.sparsity, 0.75);
    assert.equal(report.settings.epochs, 5);
    assert.equal(report.models[1].tflite.bytes, readFileSync(p('pruned/model.tflite')).length);
    const tfl = readModel(new Uint8Array(readFileSync(p('pruned/model.tflite'))));
    const sg = tfl.subgraphs[0];
    for (const i of weightTensors(tfl)) {
      const t = sg.tensors[i];
      const n = t.shape.reduce((a, b) => a * b, 1);
      assert.ok(countZeros(t, tfl.buffers[t.buffer].data) >= Math.ceil(0.75 * n - 1e-9));
    }
  });

  it('prune --structured --json prints report.json and shrinks the hidden layer', () => {
    const r = tinyml(
      'prune',
      p('teacher/model.json'),
      '--data',
      p('train.json'),
      '--sparsity',
      '0.5',
      '--structured',
      '--epochs',
      '3',
      '--out',
      p('structured'),
      '--json',
      '-q',
    );
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.deepEqual(
      report.settings.layers.map((l: { kept: number }) => l.kept),
      [8],
    );
    assert.equal(report.models[1].params, 4 * 8 + 8 + 8 * 3 + 3);
    // No --test: 20% of the data is held out, and the report warns why that flatters the original.
    assert.match(report.data.heldOut, /20% of the data, seeded split/);
    assert.match(report.notes[0], /split of the data given/);
  });

  it('distill trains the student alone and distilled and reports all three', () => {
    const r = tinyml(
      'distill',
      '--teacher',
      p('teacher/model.json'),
      '--student-spec',
      p('student.json'),
      '--data',
      p('train.json'),
      '--test',
      p('test.json'),
      '--epochs',
      '5',
      '--temperature',
      '3',
      '--alpha',
      '0.6',
      '--out',
      p('student'),
      '-q',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /teacher\s+student alone\s+distilled/);
    assert.match(r.out, /distilled vs student alone: /);
    const report = JSON.parse(readFileSync(p('student/report.json'), 'utf8'));
    assert.deepEqual(
      [report.settings.temperature, report.settings.alpha, report.settings.epochs],
      [3, 0.6, 5],
    );
    assert.ok(existsSync(p('student/student-spec.json')));
    assert.ok(existsSync(p('student/model.tflite')));
  });

  it('distill derives a student for a flash budget', () => {
    const r = tinyml(
      'distill',
      '--teacher',
      p('teacher/model.json'),
      '--flash-bytes',
      '1700', // the 4-16-3 teacher's float .tflite is about 1.9 KB
      '--data',
      p('train.json'),
      '--epochs',
      '2',
      '--no-baseline',
      '--out',
      p('budget'),
      '--json',
      '-q',
    );
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out);
    assert.ok(
      report.models.find((m: { name: string }) => m.name === 'distilled').tflite.bytes <= 1700,
    );
    assert.equal(report.models.length, 2); // teacher and distilled: --no-baseline
    const spec = JSON.parse(readFileSync(p('budget/student-spec.json'), 'utf8'));
    assert.ok(spec.layers[0].units < 16);
  });

  it('bad input is one line on stderr with exit 1; bad usage exits 2', () => {
    const model = p('teacher/model.json');
    const cases: [string[], number, RegExp][] = [
      [
        ['prune', model, '--data', p('train.json'), '--sparsity', '1.5', '--out', p('x')],
        1,
        /^tinyml prune: options\.sparsity must be < 1$/m,
      ],
      [
        ['prune', model, '--data', p('train.json'), '--out', p('x')],
        2,
        /^tinyml prune: --sparsity is required$/m,
      ],
      [
        ['prune', model, '--data', p('nope.json'), '--sparsity', '0.5', '--out', p('x')],
        1,
        /cannot read .*nope\.json: ENOENT/,
      ],
      [
        ['prune', p('spec.json'), '--data', p('train.json'), '--sparsity', '0.5', '--out', p('x')],
        1,
        /spec\.json\.modelTopology is required/,
      ],
      [
        ['distill', '--teacher', model, '--data', p('train.json'), '--out', p('x')],
        2,
        /give --student-spec, or a budget/,
      ],
      [
        [
          'distill',
          '--teacher',
          model,
          '--student-spec',
          p('train.json'),
          '--data',
          p('train.json'),
          '--out',
          p('x'),
        ],
        1,
        /spec has unknown field "xs"|spec\.inputShape is required/,
      ],
      [
        [
          'distill',
          '--teacher',
          model,
          '--flash-bytes',
          '100',
          '--data',
          p('train.json'),
          '--out',
          p('x'),
        ],
        1,
        /no student fits the budget/,
      ],
      [
        [
          'distill',
          '--teacher',
          model,
          '--profile',
          'toaster',
          '--data',
          p('train.json'),
          '--out',
          p('x'),
        ],
        2,
        /--profile "toaster" is unknown; profiles: rpi, esp32/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = tinyml(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
      const lines = r.err.trim().split('\n');
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0], message);
      assert.doesNotMatch(r.err, /at .*\.js:\d+/);
    }
  });
});
