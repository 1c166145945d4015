/**
 * Records golden outputs from TensorFlow Lite Micro's reference kernels
 * (a host runner built outside the project from a tflite-micro checkout; see
 * test/fixtures/tflm-goldens/README.md) for the real
 * models and the single-op cases, into test/fixtures/tflm-goldens/goldens.json,
 * which interpreter-tflm.test.ts compares the interpreter with, bit for bit.
 * Also records TFLM's planned (non-persistent) arena of each model.
 *
 *   node dist/test/oracle/tflm-reference/make-goldens.js /path/to/tflm_run
 *
 * The inputs are seeded, so re-running gives the same file; the project's
 * interpreter is only used to learn tensor sizes and types, never outputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interpreter } from '../../../src/runtime/interpreter';
import { readModel } from '../../../src/tflite/reader';
import { writeModel } from '../../../src/tflite/writer';
import { viewAs } from '../../../src/runtime/tensor';
import { mulberry32 } from '../../../src/model/random';
import { readGreyBmp } from '../../helpers/bmp';
import { sharedModel, ROOT } from '../../helpers/paths';
import { buildCase, commonCases, seededCaseInputs, tflmCases } from '../op-cases';

export interface GoldenStep {
  inputs: number[][];
  outputs: number[][];
}

export interface Golden {
  name: string;
  /** A model file under test/fixtures/models, or the model itself (base64). */
  file?: string;
  model?: string;
  steps: GoldenStep[];
  /** TFLM's non-persistent arena ("head") after AllocateTensors. */
  arenaHead: number;
}

function randomInputs(interp: Interpreter, seed: number): number[][] {
  const rand = mulberry32(seed);
  return interp.inputs.map((t) =>
    Array.from({ length: t.data.length }, () =>
      t.type === 'int16'
        ? Math.floor(rand() * 65536) - 32768
        : t.type === 'float32'
          ? rand() * 2 - 1
          : Math.floor(rand() * 256) - 128,
    ),
  );
}

function runTflm(
  tool: string,
  bytes: Uint8Array,
  stepInputs: number[][][],
): { outputs: number[][][]; head: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tflm-golden-'));
  const interp = new Interpreter(bytes, { simd: false });
  const chunks: Buffer[] = [];
  for (const inputs of stepInputs) {
    interp.inputs.forEach((t, i) => {
      const view = viewAs(t.type, new ArrayBuffer(t.data.byteLength), 0, t.data.length);
      (view as Float32Array).set(inputs[i]);
      chunks.push(Buffer.from(view.buffer));
    });
  }
  writeFileSync(join(dir, 'model.tflite'), bytes);
  writeFileSync(join(dir, 'in.bin'), Buffer.concat(chunks));
  const log = execFileSync(tool, [
    join(dir, 'model.tflite'),
    join(dir, 'in.bin'),
    join(dir, 'out.bin'),
    String(stepInputs.length),
  ]).toString();
  const head = Number(/head=(\d+)/.exec(log)![1]);
  const raw = readFileSync(join(dir, 'out.bin'));
  const outputs: number[][][] = [];
  let offset = 0;
  for (let s = 0; s < stepInputs.length; s++) {
    outputs.push(
      interp.outputs.map((t) => {
        const copy = new Uint8Array(raw.subarray(offset, offset + t.data.byteLength)).buffer;
        offset += t.data.byteLength;
        return Array.from(
          viewAs(t.type, copy, 0, t.data.length) as ArrayLike<number | bigint>,
          Number,
        );
      }),
    );
  }
  return { outputs, head };
}

function main(): void {
  const tool = process.argv[2];
  if (!tool) throw new Error('usage: make-goldens.js /path/to/tflm_run');
  const goldens: Golden[] = [];
  const record = (name: string, bytes: Uint8Array, steps: number[][][], file?: string) => {
    try {
      const { outputs, head } = runTflm(tool, bytes, steps);
      const g: Golden = {
        name,
        steps: steps.map((inputs, s) => ({ inputs, outputs: outputs[s] })),
        arenaHead: head,
      };
      if (file) g.file = file;
      else g.model = Buffer.from(bytes).toString('base64');
      goldens.push(g);
      console.log(`${name}: ${steps.length} step(s), arena head ${head}`);
    } catch (err) {
      console.log(`${name}: TFLM failed (${(err as Error).message.split('\n')[0]}), skipped`);
    }
  };
  const models = [
    'hello_world_int8.tflite',
    'hello_world_float.tflite',
    'micro_speech_quantized.tflite',
    'person_detect.tflite',
    'keyword_scrambled_8bit.tflite',
    'simple_add_model.tflite',
  ];
  for (const file of models) {
    const bytes = readFileSync(sharedModel(file));
    const interp = new Interpreter(bytes, { simd: false });
    // Large inputs (person_detect, simple_add) get one random step, small ones three.
    const seeds = interp.inputs[0].data.length > 4096 ? [1] : [1, 2, 3];
    const steps = seeds.map((seed) => randomInputs(interp, seed));
    if (file === 'person_detect.tflite') {
      for (const image of ['person.bmp', 'no_person.bmp']) {
        const { pixels } = readGreyBmp(readFileSync(sharedModel(`testdata/${image}`)));
        steps.push([Array.from(new Int8Array(pixels.buffer, pixels.byteOffset, pixels.length))]);
      }
    }
    if (file === 'keyword_scrambled_8bit.tflite')
      steps.push(...[4, 5, 6, 7].map((s) => randomInputs(interp, s)));
    record(file, bytes, steps, file);
  }
  // The keyword model's outputs saturate, and micro_speech has four: record
  // them again with every operator's output exposed, so each op is checked.
  for (const file of ['keyword_scrambled_8bit.tflite', 'micro_speech_quantized.tflite']) {
    const model = readModel(readFileSync(sharedModel(file)));
    const sg = model.subgraphs[0];
    sg.outputs = [...new Set(sg.operators.flatMap((op) => op.outputs))].filter(
      (t) => !sg.tensors[t].isVariable,
    );
    const bytes = writeModel(model);
    const interp = new Interpreter(bytes, { simd: false });
    const seeds = file.startsWith('keyword') ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3];
    record(
      `${file} (every operator's output)`,
      bytes,
      seeds.map((seed) => randomInputs(interp, seed)),
    );
  }
  for (const c of [...commonCases(), ...tflmCases()]) {
    const steps = Array.from({ length: c.steps ?? 1 }, (_, step) => seededCaseInputs(c, step));
    record(c.name, buildCase(c), steps);
  }
  const out = join(ROOT, 'test', 'fixtures', 'tflm-goldens', 'goldens.json');
  writeFileSync(
    out,
    JSON.stringify({ generator: 'test/oracle/tflm-reference/make-goldens.ts', goldens }) + '\n',
  );
  console.log(`wrote ${goldens.length} goldens to ${out}`);
}

main();
