/**
 * The `tinyml` command as a user runs it: a child process, exit codes and
 * one-line errors. Trains the sine preset, converts it and runs it.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

const BIN = join(ROOT, 'bin', 'tinyml.js');

function tinyml(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tinyml CLI', function () {
  this.timeout(180000);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-cli-'));

  it('train (sine preset) → convert → run gives sin(x) within 0.1', () => {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ preset: 'sine' }));
    const train = tinyml('train', '--spec', join(dir, 'spec.json'), '--out', join(dir, 'sine'));
    assert.equal(train.code, 0, train.err);
    const convert = tinyml(
      'convert',
      join(dir, 'sine', 'model.json'),
      '--out',
      join(dir, 'sine.tflite'),
    );
    assert.equal(convert.code, 0, convert.err);
    for (const x of [0.5, 1.5, 2.5, 4, 5.5]) {
      writeFileSync(join(dir, 'in.json'), JSON.stringify([x]));
      const run = tinyml(
        'run',
        join(dir, 'sine.tflite'),
        '--input',
        join(dir, 'in.json'),
        '--json',
      );
      assert.equal(run.code, 0, run.err);
      const result = JSON.parse(run.out);
      assert.deepEqual(result.outputs[0].shape, [1, 1]);
      assert.ok(
        Math.abs(result.outputs[0].data[0] - Math.sin(x)) < 0.1,
        `x=${x}: ${result.outputs[0].data[0]}`,
      );
      assert.equal(typeof result.latencyMs, 'number');
    }
    const inspect = tinyml('inspect', join(dir, 'sine.tflite'), '--json');
    assert.equal(inspect.code, 0, inspect.err);
    const report = JSON.parse(inspect.out);
    assert.deepEqual(report.requiredOps, ['FULLY_CONNECTED']);
    assert.equal(report.params, 321);
  });

  it('a malformed spec gives one clear line and a non-zero exit', () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({ inputShape: [1], layers: [{ type: 'dense', units: -1 }] }),
    );
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ xs: [[1]], ys: [1] }));
    const r = tinyml(
      'train',
      '--spec',
      join(dir, 'bad.json'),
      '--data',
      join(dir, 'data.json'),
      '--out',
      join(dir, 'x'),
    );
    assert.notEqual(r.code, 0);
    const lines = r.err
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('tinyml train:'));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /spec\.layers\[0\]/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/); // no stack trace
  });

  it('a corrupt .tflite, a missing file and bad usage are one-line errors', () => {
    writeFileSync(join(dir, 'junk.tflite'), Buffer.alloc(64, 7));
    const junk = tinyml('inspect', join(dir, 'junk.tflite'));
    assert.equal(junk.code, 1);
    assert.match(junk.err, /^tinyml inspect: not a TensorFlow Lite model/);
    const missing = tinyml('run', join(dir, 'nope.tflite'), '--input', join(dir, 'in.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read .*nope\.tflite: ENOENT/);
    const usage = tinyml('convert', '--bogus');
    assert.equal(usage.code, 2);
    assert.match(usage.err, /Unknown option '--bogus'/);
  });

  it('every command answers --help', () => {
    for (const cmd of [
      'train',
      'convert',
      'quantize',
      'prune',
      'distill',
      'inspect',
      'run',
      'deploy',
      'device',
      'bench',
    ]) {
      const r = tinyml(cmd, '--help');
      assert.equal(r.code, 0, cmd);
      assert.match(r.out, /usage: tinyml/);
    }
  });
});
