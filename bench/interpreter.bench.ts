/**
 * Invokes per second of the project's interpreter and of the real TFLite
 * runtime (@tensorflow/tfjs-tflite: TFLite's C++ interpreter with XNNPACK,
 * compiled to WebAssembly with SIMD, one thread), measured in the same run on
 * the same model and inputs, with their ratio (> 1: the interpreter is
 * faster) and the planned arena. Both sides warm up for a round first. The reference is timed on its model
 * runner's own infer(), without tfjs tensor conversion, in its own process.
 * Each side runs for the same wall-clock budget after a warm-up, rounds of the
 * two alternating (five each); numbers are
 * medians of rounds. On a shared machine both sides lose CPU to other
 * processes, so the ratio of CPU time per invoke (each process's own
 * process.cpuUsage, the best round of each) is printed beside the
 * wall-clock ratio.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { table, type Benchmark } from './index';
import { Interpreter } from '../src/runtime/interpreter';
import { readModel } from '../src/tflite/reader';
import { writeModel } from '../src/tflite/writer';
import { mulberry32 } from '../src/model/random';
import { TfliteOracle } from '../test/oracle/tflite-runtime';
import { simdAvailable } from '../src/runtime/wasm/simd-runtime';
import { quantizeModel } from '../src/optimize/quantize';
import { floatFromInt8 } from '../test/helpers/float-models';

const MODELS = join(__dirname, '..', '..', 'test', 'fixtures', 'models');

const file = (name: string) => () => new Uint8Array(readFileSync(join(MODELS, name)));
const personFloat = () => floatFromInt8(file('person_detect.tflite')());
const CASES: { label: string; bytes: () => Uint8Array }[] = [
  { bytes: file('person_detect.tflite'), label: 'person_detect (VWW MobileNet v1 0.25, int8)' },
  { bytes: file('micro_speech_quantized.tflite'), label: 'micro_speech (int8)' },
  { bytes: file('keyword_scrambled_8bit.tflite'), label: 'keyword benchmark (SVDF, int8)' },
  { bytes: file('seanet/conv1.tflite'), label: 'seanet conv1 (int16x8)' },
  { bytes: file('hello_world_int8.tflite'), label: 'hello_world (int8)' },
  { bytes: file('hello_world_float.tflite'), label: 'hello_world (float32)' },
  // test/helpers/float-models.ts: person_detect dequantized, then our quantizer's float16 and dynamic range
  { bytes: personFloat, label: 'person_detect float32 (dequantized)' },
  {
    bytes: () => quantizeModel(personFloat(), undefined, { mode: 'float16' }).bytes,
    label: 'person_detect float16 weights',
  },
  {
    bytes: () => quantizeModel(personFloat(), undefined, { mode: 'dynamic' }).bytes,
    label: 'person_detect dynamic range (hybrid)',
  },
];

const ROUND_MS = 700;
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The model as full TFLite accepts it: 1-D per-channel tensors on dimension 0 (see real-models.test.ts). */
function forTflite(bytes: Uint8Array): Uint8Array {
  const model = readModel(bytes);
  for (const t of model.subgraphs[0].tensors) {
    if (t.quantization && t.shape.length === 1) t.quantization.quantizedDimension = 0;
  }
  return writeModel(model);
}

interface Rate {
  /** Invokes per wall-clock second. */
  perSecond: number;
  /** CPU milliseconds per invoke. */
  cpuMs: number;
}

/** Warms up as long as a round: V8 optimizes WebAssembly and JavaScript after a baseline tier, on both sides. */
function warmUp(interp: Interpreter): void {
  const warmUntil = process.hrtime.bigint() + BigInt(ROUND_MS * 1e6);
  while (process.hrtime.bigint() < warmUntil) interp.invoke();
}

/** One timed round of our interpreter. */
function oursRound(interp: Interpreter): Rate {
  let n = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let ms = 0;
  // The clock is read every 4 invokes, as the reference's loop does.
  do {
    for (let i = 0; i < 4; i++) interp.invoke();
    n += 4;
    ms = Number(process.hrtime.bigint() - start) / 1e6;
  } while (ms < ROUND_MS);
  const used = process.cpuUsage(cpuStart);
  return { perSecond: (n * 1000) / ms, cpuMs: (used.user + used.system) / 1000 / n };
}

export const benchmark: Benchmark = {
  name: 'interpreter',
  description:
    "invokes/s of the project's interpreter vs the real TFLite runtime (tfjs-tflite, XNNPACK, WASM SIMD, 1 thread), same run",
  async run(log) {
    const rows: (string | number)[][] = [];
    const only = process.env.BENCH_MODELS;
    for (const c of CASES) {
      if (only && !c.label.includes(only)) continue;
      const bytes = c.bytes();
      const interp = new Interpreter(bytes);
      const rand = mulberry32(11);
      const inputs = interp.inputs.map((t) =>
        Array.from({ length: t.data.length }, () =>
          t.type === 'float32' ? rand() * 2 - 1 : Math.floor(rand() * 200) - 100,
        ),
      );
      inputs.forEach((v, i) => interp.setInput(i, v));
      warmUp(interp);
      // Rounds alternate between the two runtimes, so that both see the same
      // share of whatever else the machine runs; medians of each.
      const ours: Rate[] = [];
      const theirs: Rate[] = [];
      // A fresh runtime per round: tfjs-tflite cannot always load a model
      // again after disposing it (see real-models.test.ts).
      const model = forTflite(bytes);
      for (let r = 0; r < ROUNDS; r++) {
        ours.push(oursRound(interp));
        const oracle = new TfliteOracle();
        try {
          const { timing } = await oracle.run(model, inputs, { timeMs: ROUND_MS });
          theirs.push({
            perSecond: (timing!.invokes * 1000) / timing!.ms,
            cpuMs: timing!.cpuMs / timing!.invokes,
          });
        } finally {
          await oracle.close();
        }
      }
      // Invokes per second: medians. CPU time per invoke: the best round of
      // each, the least disturbed by other processes (contention only adds).
      const mine = {
        perSecond: median(ours.map((x) => x.perSecond)),
        cpuMs: Math.min(...ours.map((x) => x.cpuMs)),
      };
      const reference: Rate = {
        perSecond: median(theirs.map((x) => x.perSecond)),
        cpuMs: Math.min(...theirs.map((x) => x.cpuMs)),
      };
      rows.push([
        c.label,
        mine.perSecond.toFixed(0),
        reference.perSecond.toFixed(0),
        (mine.perSecond / reference.perSecond).toFixed(2),
        (reference.cpuMs / mine.cpuMs).toFixed(2),
        interp.layout.arenaBytes,
        interp.persistentBytes,
      ]);
    }
    log(
      table(
        [
          'model',
          'ours inv/s',
          'TFLite inv/s',
          'ratio',
          'CPU-time ratio',
          'arena bytes',
          'SIMD weights bytes',
        ],
        rows,
      ),
    );
    log(
      `\nratio: ours / TFLite invokes per second (medians); CPU-time ratio: TFLite CPU ms per invoke / ours (best rounds). WebAssembly SIMD kernels: ${simdAvailable() ? 'yes' : 'no'}.`,
    );
  },
};
