/**
 * Development tool: writes the golden-case models and computes their expected
 * outputs with TensorFlow Lite Micro's reference kernels. TFLM is not part of
 * this project: TFLM_RUN must point to a host program, built separately from
 * tensorflow/tflite-micro, that runs `TFLM_RUN model.tflite in0.bin ...` and
 * prints {"arena_used_bytes", "outputs":[{"type","shape","data"}]} (or
 * {"error"}). Run: TFLM_RUN=/path/to/tflm_run node dist/test/goldens/compute.js
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goldenCases } from './cases';
import { moreOpCases } from './more-op-cases';
import { lstmCases } from './lstm-cases';
import { writeModel } from '../../src/tflite/writer';
import { readModel } from '../../src/tflite/reader';
import { tensorByteSize, type TensorDef } from '../../src/tflite/model';
import { mulberry32 } from '../../src/model/random';
import { ROOT } from '../helpers/paths';

const OUT = join(ROOT, 'test', 'fixtures', 'tflm-goldens');
const INPUT_SETS = 3;

function randomInput(t: TensorDef, seed: number): { values: number[]; bytes: Buffer } {
  const rand = mulberry32(seed);
  const n = tensorByteSize(t) / (t.type === 'int8' ? 1 : t.type === 'int16' ? 2 : 4);
  const values: number[] = [];
  const bytes = Buffer.alloc(tensorByteSize(t));
  for (let i = 0; i < n; i++) {
    if (t.type === 'int8') {
      const v = Math.floor(rand() * 256) - 128;
      values.push(v);
      bytes.writeInt8(v, i);
    } else if (t.type === 'int16') {
      const v = Math.floor(rand() * 65536) - 32768;
      values.push(v);
      bytes.writeInt16LE(v, i * 2);
    } else {
      const v = Math.fround((rand() * 2 - 1) * 3);
      values.push(v);
      bytes.writeFloatLE(v, i * 4);
    }
  }
  return { values, bytes };
}

function main(): void {
  const runner = process.env.TFLM_RUN;
  if (!runner) throw new Error('set TFLM_RUN to the TFLite Micro host runner');
  mkdirSync(OUT, { recursive: true });
  const tmp = join(tmpdir(), 'tinyml-goldens');
  mkdirSync(tmp, { recursive: true });
  const index: string[] = [];
  for (const c of [...goldenCases(), ...moreOpCases(), ...lstmCases()]) {
    const bytes = writeModel(c.model);
    const modelPath = join(OUT, `${c.name}.tflite`);
    const sg = c.model.subgraphs[0];
    const runs = [];
    let arena = 0;
    let failed = '';
    for (let k = 0; k < INPUT_SETS; k++) {
      const inputs = sg.inputs.map((t, i) => randomInput(sg.tensors[t], 7919 * (k + 1) + i));
      const files = inputs.map((inp, i) => {
        const p = join(tmp, `${c.name}_${k}_${i}.bin`);
        writeFileSync(p, inp.bytes);
        return p;
      });
      writeFileSync(modelPath, bytes);
      let out: {
        error?: string;
        arena_used_bytes: number;
        outputs: { type: number; shape: number[]; data: number[] }[];
      };
      try {
        out = JSON.parse(execFileSync(runner, [modelPath, ...files], { encoding: 'utf8' }));
      } catch (err) {
        out = {
          error: (err as { stdout?: string }).stdout || String(err),
          arena_used_bytes: 0,
          outputs: [],
        };
      }
      if (out.error) {
        failed = out.error;
        break;
      }
      arena = out.arena_used_bytes;
      runs.push({
        inputs: inputs.map((i) => i.values),
        outputs: out.outputs.map((o) => ({ shape: o.shape, data: o.data })),
      });
    }
    if (failed) {
      console.log(`${c.name}: TFLM refused the model (${failed.trim()}); not kept`);
      continue;
    }
    writeFileSync(
      join(OUT, `${c.name}.json`),
      JSON.stringify({ model: `${c.name}.tflite`, tflmArenaUsedBytesHost64: arena, runs }),
    );
    index.push(c.name);
    console.log(`${c.name}: ${runs.length} runs, arena ${arena}`);
  }
  for (const real of realModelCases()) {
    const runs = [];
    let arena = 0;
    for (const [k, inputs] of real.inputs.entries()) {
      const files = inputs.map((inp, i) => {
        const p = join(tmp, `${real.name}_${k}_${i}.bin`);
        writeFileSync(p, inp.bytes);
        return p;
      });
      const out = JSON.parse(execFileSync(runner, [real.path, ...files], { encoding: 'utf8' }));
      if (out.error) throw new Error(`${real.name}: ${out.error}`);
      arena = out.arena_used_bytes;
      runs.push({
        inputs: inputs.map((i) => i.values),
        outputs: out.outputs.map((o: { shape: number[]; data: number[] }) => ({
          shape: o.shape,
          data: o.data,
        })),
      });
    }
    writeFileSync(
      join(OUT, `${real.name}.json`),
      JSON.stringify({ model: `../models/${real.file}`, tflmArenaUsedBytesHost64: arena, runs }),
    );
    index.push(real.name);
    console.log(`${real.name}: ${runs.length} runs, arena ${arena}`);
  }
  writeFileSync(join(OUT, 'index.json'), JSON.stringify(index, null, 1));
}

/** The pixels of an 8-bit grayscale BMP, rows top to bottom, as int8 (TFLM's person_detection test). */
function bmpAsInt8(path: string): { values: number[]; bytes: Buffer } {
  const bmp = readFileSync(path);
  const offset = bmp.readUInt32LE(10);
  const width = bmp.readInt32LE(18);
  const height = bmp.readInt32LE(22);
  const bpp = bmp.readUInt16LE(28);
  if (bpp !== 8) throw new Error(`${path}: ${bpp} bits per pixel, expected 8`);
  const rowBytes = Math.ceil(width / 4) * 4;
  const rows = Math.abs(height);
  const bytes = Buffer.alloc(width * rows);
  for (let r = 0; r < rows; r++) {
    const src = height > 0 ? rows - 1 - r : r; // positive height: stored bottom-up
    bmp.copy(bytes, r * width, offset + src * rowBytes, offset + src * rowBytes + width);
  }
  return { values: Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)), bytes };
}

function realModelCases(): {
  name: string;
  file: string;
  path: string;
  inputs: { values: number[]; bytes: Buffer }[][];
}[] {
  const dir = join(ROOT, 'test', 'fixtures', 'models');
  const cases = [];
  for (const file of [
    'hello_world_int8.tflite',
    'micro_speech_quantized.tflite',
    'person_detect.tflite',
    'keyword_scrambled_8bit.tflite',
    'hello_world_float.tflite',
  ]) {
    const path = join(dir, file);
    const model = readModel(readFileSync(path));
    const sg = model.subgraphs[0];
    const inputs = [];
    for (let k = 0; k < 4; k++)
      inputs.push(sg.inputs.map((t, i) => randomInput(sg.tensors[t], 104729 * (k + 1) + i)));
    if (file === 'person_detect.tflite') {
      inputs.push([bmpAsInt8(join(dir, 'testdata', 'person.bmp'))]);
      inputs.push([bmpAsInt8(join(dir, 'testdata', 'no_person.bmp'))]);
    }
    cases.push({ name: `real_${file.replace('.tflite', '')}`, file, path, inputs });
  }
  return cases;
}

main();
