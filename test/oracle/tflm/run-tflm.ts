/**
 * The hand-run TFLM oracle (README.md): converts every converter test model,
 * runs it and the real TFLM models in a TFLite Micro runner built outside the
 * project (README.md) and prints, per model, TFLM's planned arena against inspect's and
 * the largest difference between TFLM's outputs and tfjs predict.
 *
 *   node dist/test/oracle/tflm/run-tflm.js [path/to/arena]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertLayersModel } from '../../../src/tflite/convert';
import { writeModel } from '../../../src/tflite/writer';
import { readModel } from '../../../src/tflite/reader';
import { inspectModel } from '../../../src/tflite/inspect';
import { CASES, reference, seedModel } from '../convert-cases';
import { maxRelDiff } from '../../helpers/models';
import { sharedModel } from '../../helpers/paths';

const REAL = [
  'hello_world_float',
  'hello_world_int8',
  'micro_speech_quantized',
  'person_detect',
  'keyword_scrambled_8bit',
  'simple_add_model',
  ...['conv', 'add', 'pad'].flatMap((k) => [0, 1, 2, 3].map((i) => `seanet/${k}${i}`)),
];

interface Entry {
  name: string;
  file: string;
  planned: number;
  outputs?: Float32Array[];
}

function main(): void {
  const binary = process.argv[2] ?? '/tmp/tflm-oracle/arena';
  if (!existsSync(binary))
    throw new Error(`no TFLM oracle at ${binary}; run test/oracle/tflm/build.sh`);
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-tflm-'));
  const entries: Entry[] = [];
  CASES.forEach((c, i) => {
    const model = c.build();
    seedModel(model, 1000 + i);
    const { inputs, outputs } = reference(model, 2000 + i);
    const bytes = writeModel(convertLayersModel(model));
    const file = join(dir, `case${i}.tflite`);
    writeFileSync(file, bytes);
    writeFileSync(file + '.in', Buffer.concat(inputs.map((x) => Buffer.from(x.buffer))));
    const planned = inspectModel(readModel(bytes), bytes.length).arenaBytes;
    entries.push({ name: c.name, file, planned, outputs: outputs.map((o) => o.data) });
    model.dispose();
  });
  for (const name of REAL) {
    const file = sharedModel(`${name}.tflite`);
    const bytes = readFileSync(file);
    entries.push({ name, file, planned: inspectModel(readModel(bytes), bytes.length).arenaBytes });
  }
  const lines = execFileSync(
    binary,
    entries.map((e) => e.file),
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n');
  for (const e of entries) {
    const line = lines.find((l) => l.startsWith(`${e.file} `)) ?? `${e.file} NO OUTPUT`;
    const tflm = /nonpersistent=(\d+)/.exec(line);
    const planned = tflm ? Number(tflm[1]) : NaN;
    const verdict = !tflm
      ? 'FAILED'
      : planned === e.planned
        ? 'equal'
        : planned > e.planned
          ? 'below TFLM'
          : 'ABOVE TFLM';
    let agreement = '';
    if (e.outputs && existsSync(e.file + '.out')) {
      const raw = readFileSync(e.file + '.out');
      const all = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      let at = 0;
      const diffs = e.outputs.map((ref) => {
        const got = all.subarray(at, at + ref.length);
        at += ref.length;
        return maxRelDiff(got, ref).toExponential(1);
      });
      agreement = `  max diff vs tfjs ${diffs.join(', ')}`;
    }
    console.log(
      `${verdict.padEnd(10)} inspect ${e.planned}, TFLM ${line.replace(`${e.file} `, '')}${agreement}  ${e.name}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

main();
