/**
 * `tinyml quantize` as a user runs it (the command's entry point in process):
 * files written, the report table and JSON, and one-line errors with the
 * CLI's exit codes (1 bad input, 2 bad usage).
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { main } from '../../src/cli/main';
import { convertLayersModel } from '../../src/tflite/convert';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { seededInput, seedWeights } from '../helpers/models';

async function tinyml(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tinyml quantize', function () {
  this.timeout(30000);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-quantize-'));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 12, 0.8);
  const floatPath = join(dir, 'm.tflite');
  writeFileSync(floatPath, writeModel(convertLayersModel(model)));
  const xs = Array.from({ length: 30 }, (_, i) => Array.from(seededInput([4], 70 + i, 2)));
  const calibPath = join(dir, 'calib.json');
  writeFileSync(calibPath, JSON.stringify({ xs }));
  const labelled = join(dir, 'labelled.json');
  writeFileSync(labelled, JSON.stringify({ xs, ys: xs.map((_, i) => i % 3) }));

  it('writes an int8 model and prints the before/after table', async () => {
    const out = join(dir, 'q.tflite');
    const r = await tinyml(
      'quantize',
      floatPath,
      '--calib',
      calibPath,
      '--out',
      out,
      '--io',
      'int8',
    );
    assert.equal(r.code, 0, r.err);
    const q = readModel(readFileSync(out));
    const sg = q.subgraphs[0];
    assert.equal(sg.tensors[sg.inputs[0]].type, 'int8');
    assert.match(r.out, /quantized int8 \(io int8\), calibrated on 30 samples/);
    assert.match(r.out, /bytes\s+\d+\s+\d+\s+0\.\d{3}/);
    assert.match(r.out, /gzip bytes/);
    assert.match(r.out, /arena bytes/);
  });

  it('reports accuracy on labelled calibration data as such, and writes JSON', async () => {
    const out = join(dir, 'q2.tflite');
    const reportPath = join(dir, 'report.json');
    const r = await tinyml(
      'quantize',
      floatPath,
      '--calib',
      labelled,
      '--out',
      out,
      '--report',
      reportPath,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out);
    assert.deepEqual(json, JSON.parse(readFileSync(reportPath, 'utf8')));
    assert.equal(json.report.evaluatedOn, 'calibration');
    assert.equal(json.report.before.evaluation.task, 'classification');
    assert.equal(json.report.after.bytes, readFileSync(out).length);
  });

  it('reads headerless CSV with --no-header, and refuses it without', async () => {
    const csvPath = join(dir, 'calib.csv');
    writeFileSync(csvPath, xs.map((x, i) => [...x, i % 3].join(',')).join('\n'));
    const out = join(dir, 'csv.tflite');
    const asked = ['quantize', floatPath, '--calib', csvPath, '--out', out, '--json'];
    const r = await tinyml(...asked, '--no-header');
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out).report;
    assert.equal(report.calibrationSamples, 30, 'no sample taken as a header');
    assert.equal(report.before.evaluation.samples, 30);
    const refused = await tinyml(...asked);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /first row is all numbers/);
  });

  it('float16 needs no calibration data', async () => {
    const out = join(dir, 'f16.tflite');
    const r = await tinyml('quantize', floatPath, '--mode', 'float16', '--out', out);
    assert.equal(r.code, 0, r.err);
    assert.ok(readModel(readFileSync(out)).subgraphs[0].tensors.some((t) => t.type === 'float16'));
  });

  it('the accuracy gate writes the model it chose and says why', async () => {
    const out = join(dir, 'gated.tflite');
    const r = await tinyml(
      'quantize',
      floatPath,
      '--calib',
      calibPath,
      '--val',
      labelled,
      '--max-drop',
      '1',
      '--out',
      out,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^wrote .*gated\.tflite\naccuracy gate: (chose|kept)/);
    assert.ok(existsSync(out));
    readModel(readFileSync(out));
  });

  it('refuses bad usage and bad input with one line and the right exit code', async () => {
    const out = join(dir, 'x.tflite');
    const cases: [string[], number, RegExp][] = [
      [
        ['--mode', 'int4', '--calib', calibPath],
        2,
        /--mode must be one of int8, int16x8, float16, dynamic, got "int4"/,
      ],
      [['--io', 'uint8', '--calib', calibPath], 2, /--io must be one of float32, int8, int16/],
      [[], 2, /--calib is required/],
      [
        ['--calib', calibPath, '--max-drop', '1'],
        2,
        /--max-drop and --max-mae-increase need --val/,
      ],
      [
        ['--calib', calibPath, '--mode', 'int8', '--io', 'int16'],
        1,
        /io int16 does not fit mode int8/,
      ],
      [['--calib', join(dir, 'nope.json')], 1, /cannot read .*nope\.json: ENOENT/],
      [['--calib', floatPath], 1, /m\.tflite is not valid JSON/],
    ];
    writeFileSync(join(dir, 'noxs.json'), JSON.stringify({ ys: [1] }));
    cases.push([['--calib', join(dir, 'noxs.json')], 1, /quantize\.calibration\.xs is required/]);
    writeFileSync(join(dir, 'short.json'), JSON.stringify({ xs: [[1, 2]] }));
    cases.push([
      ['--calib', join(dir, 'short.json')],
      1,
      /calibration sample 0 has 2 values; input "dense_Dense\d+_input" \(shape \[1,4\]\) takes 4/,
    ]);
    for (const [args, code, message] of cases) {
      const r = await tinyml('quantize', floatPath, '--out', out, ...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
      assert.equal(r.err.split('\n').length, 1, r.err);
      assert.match(r.err, /^tinyml quantize: /);
      assert.match(r.err, message);
    }
    assert.ok(!existsSync(out), 'nothing written on error');
  });
});
