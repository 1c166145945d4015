/**
 * `tinyml run` (ARCHITECTURE.md CLI contract): the interpreter behind the
 * command line, in process through main() for speed, plus one child process
 * for the exit code and the single stderr line a user sees. Expected values
 * come from TFLM's recorded goldens, not from the interpreter.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { BuiltinOperator } from '../../src/tflite/model';
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import { writeModel } from '../../src/tflite/writer';
import { ROOT, sharedModel } from '../helpers/paths';
import type { Golden } from '../oracle/tflm-reference/make-goldens';

async function tinyml(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out, err };
}

const goldens = (
  JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'tflm-goldens', 'goldens.json'), 'utf8'),
  ) as {
    goldens: Golden[];
  }
).goldens;

describe('tinyml run', function () {
  this.timeout(60000);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-run-'));
  const write = (name: string, value: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it("prints TFLM's exact int8 outputs as JSON (person_detect on person.bmp)", async () => {
    const golden = goldens.find((g) => g.name === 'person_detect.tflite')!;
    const step = golden.steps[golden.steps.length - 2]; // person.bmp
    const r = await tinyml(
      'run',
      sharedModel('person_detect.tflite'),
      '--input',
      write('person.json', step.inputs[0]),
      '--json',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    const result = JSON.parse(r.out[0]) as {
      outputs: { name: string; shape: number[]; dtype: string; data: number[] }[];
      latencyMs: number;
    };
    assert.deepEqual(result.outputs[0].shape, [1, 2]);
    assert.equal(result.outputs[0].dtype, 'int8');
    assert.deepEqual(result.outputs[0].data, step.outputs[0]);
    assert.equal(typeof result.latencyMs, 'number');
  });

  it('takes one entry per input for a multi-input model (simple_add)', async () => {
    const golden = goldens.find((g) => g.name === 'simple_add_model.tflite')!;
    const r = await tinyml(
      'run',
      sharedModel('simple_add_model.tflite'),
      '--input',
      write('add.json', golden.steps[0].inputs),
      '--json',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(JSON.parse(r.out[0]).outputs[0].data, golden.steps[0].outputs[0]);
  });

  it('--float quantizes real inputs and dequantizes outputs of an int8 model', async () => {
    const r = await tinyml(
      'run',
      sharedModel('hello_world_int8.tflite'),
      '--input',
      write('x.json', [[1.57]]),
      '--json',
      '--float',
    );
    assert.equal(r.code, 0, r.err.join('\n'));
    const out = JSON.parse(r.out[0]).outputs[0];
    assert.equal(out.dtype, 'float32');
    assert.ok(Math.abs(out.data[0] - Math.sin(1.57)) < 0.05, String(out.data[0]));
  });

  it('prints one line per output without --json, latency on stderr', async () => {
    const r = await tinyml(
      'run',
      sharedModel('hello_world_float.tflite'),
      '--input',
      write('one.json', [1]),
    );
    assert.equal(r.code, 0);
    assert.match(r.out[0], /^StatefulPartitionedCall:0 \[1,1\] float32: 0\.86/);
    assert.match(r.err[0], /^latency \d+\.\d{3} ms$/);
  });

  it('rejects bad input with one line naming the problem', async () => {
    const int8 = sharedModel('hello_world_int8.tflite');
    const cases: [string[], RegExp][] = [
      [
        ['run', int8, '--input', write('big.json', [300])],
        /int8 input .* takes integers in \[-128, 127\]/,
      ],
      [
        ['run', int8, '--input', write('two.json', [1, 2])],
        /takes 1 values \(shape \[1,1\]\), got 2/,
      ],
      [['run', int8, '--input', write('obj.json', { x: 1 })], /input must be an array/],
      [['run', int8, '--input', write('str.json', ['a'])], /input/],
      [['run', int8], /--input is required/],
      [['run', join(dir, 'missing.tflite'), '--input', write('m.json', [1])], /missing\.tflite/],
    ];
    for (const [argv, message] of cases) {
      const r = await tinyml(...argv);
      assert.notEqual(r.code, 0, argv.join(' '));
      assert.equal(r.err.length, 1, r.err.join('\n'));
      assert.match(r.err[0], /^tinyml run: /);
      assert.match(r.err[0], message);
    }
  });

  it('names an unsupported op and the model op list, exit 1, one stderr line (child process)', () => {
    const g = new GraphBuilder();
    const a = g.addTensor('a', [1, 4]);
    const y = g.addTensor('y', [1, 4]);
    g.addOperator(BuiltinOperator.LOG, [a], [y]);
    const model = join(dir, 'log.tflite');
    writeFileSync(model, writeModel(g.finish([a], [y], 'log')));
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'tinyml.js'), 'run', model, '--input', write('log.json', [1, 2, 3, 4])],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^tinyml run: op LOG is not supported by this interpreter; the model uses LOG; supported: ABS, ADD, /,
    );
  });
});
