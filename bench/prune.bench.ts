/**
 * Pruning and distillation on real data (UCI digits, iris; held-out split,
 * fixed seeds), against the dense float model measured in the same run:
 * sparsity, parameters, .tflite bytes raw and gzip, arena, MACs, held-out
 * accuracy, and the ratios the optimize issue sets targets for (80% sparsity
 * with ≤ 1 pp drop and gzip ≤ 0.35×; half the units with ≤ 1.5 pp; a
 * distilled student ≥ the student alone). Each target is printed with
 * "met" or "MISSED by ..."; nothing here is tuned to the answer.
 *
 * The digits CNN trains on TensorFlow.js's pure-JavaScript CPU backend,
 * whose convolution gradients are slow: it is most of this benchmark's
 * time (about 20 minutes on a busy 2-core machine).
 */
import { table, type Benchmark } from './index';
import { pruneModel } from '../src/optimize/prune';
import { distillModel } from '../src/optimize/distill';
import { primaryEvaluation, type ModelMeasure, type OptimizeReport } from '../src/optimize/report';
import type { ModelSpec } from '../src/model/spec';
import {
  DIGITS_MLP,
  DIGITS_STUDENT,
  IRIS_MLP,
  IRIS_STUDENT,
  trainOn,
  type Trained,
} from '../test/optimize/models';

const DIGITS_CNN: ModelSpec = {
  name: 'digits-cnn',
  inputShape: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
  loss: 'sparseCategoricalCrossentropy',
  epochs: 20,
  batchSize: 32,
  learningRate: 0.002,
  seed: 1,
};

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
const x = (v: number | undefined) => (v === undefined ? '-' : `×${v.toFixed(3)}`);
const n = (v: number | undefined) => (v === undefined ? '-' : String(v));

function accuracy(m: ModelMeasure): number | undefined {
  return primaryEvaluation(m)?.accuracy;
}

function row(label: string, m: ModelMeasure, ref: ModelMeasure, seconds?: number): string[] {
  const a = accuracy(m);
  const r = accuracy(ref);
  const ratio = (p?: number, q?: number) => (p === undefined || !q ? undefined : p / q);
  return [
    label,
    pct(m.weightSparsity),
    n(m.params),
    n(m.nonzeroParams),
    n(m.tflite?.bytes),
    n(m.tflite?.gzipBytes),
    x(ratio(m.tflite?.gzipBytes, ref.tflite?.gzipBytes)),
    n(m.tflite?.arenaBytes),
    n(m.tflite?.macs),
    pct(a),
    a === undefined || r === undefined ? '-' : `${((r - a) * 100).toFixed(2)}`,
    seconds === undefined ? '' : seconds.toFixed(1),
  ];
}

const HEADERS = [
  'model',
  'sparsity',
  'params',
  'non-zero',
  '.tflite B',
  'gzip B',
  'gzip ratio',
  'arena B',
  'MACs',
  'accuracy',
  'drop pp',
  's',
];

function verdict(what: string, value: number, limit: number, unit: string, below = true): string {
  const ok = below ? value <= limit : value >= limit;
  const by = below ? value - limit : limit - value;
  return `${what}: ${value.toFixed(3)}${unit} (target ${below ? '≤' : '≥'} ${limit}${unit}) ${ok ? 'met' : `MISSED by ${by.toFixed(3)}${unit}`}`;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = Date.now();
  const value = await f();
  return { value, seconds: (Date.now() - t0) / 1000 };
}

interface Variant {
  label: string;
  options: { sparsity: number; structured?: boolean; scope?: 'layer' | 'global' };
}

const magnitude = (sparsity: number, scope?: 'global'): Variant => ({
  label: `magnitude ${sparsity}${scope ? ' global' : ''}`,
  options: { sparsity, ...(scope ? { scope } : {}) },
});
const structuredAt = (sparsity: number): Variant => ({
  label: `structured ${sparsity}`,
  options: { sparsity, structured: true },
});

/** Runs each variant on the trained model; returns the reports by label. */
async function pruneTable(
  log: (line: string) => void,
  title: string,
  trained: Trained,
  variants: Variant[],
): Promise<Map<string, OptimizeReport>> {
  const rows: string[][] = [];
  const out = new Map<string, OptimizeReport>();
  let reference: ModelMeasure | undefined;
  for (const v of variants) {
    const { value: r, seconds } = await timed(() =>
      pruneModel(trained.model, trained.train, { ...v.options, heldOut: trained.test }),
    );
    const [before, after] = r.report.models;
    if (!reference) {
      reference = before;
      rows.push(row('dense (reference)', before, before));
    }
    rows.push(row(v.label, after, reference, seconds));
    out.set(v.label, r.report);
    for (const note of after.notes ?? []) log(`note (${v.label}): ${note}`);
  }
  log(`### ${title}\n`);
  log(table(HEADERS, rows));
  log('');
  return out;
}

async function distillTable(
  log: (line: string) => void,
  title: string,
  trained: Trained,
  students: { label: string; spec: ModelSpec }[],
  seeds: number[],
): Promise<{ label: string; seed: number; alone: number; distilled: number }[]> {
  const rows: string[][] = [];
  const results: { label: string; seed: number; alone: number; distilled: number }[] = [];
  let teacherRowDone = false;
  for (const { label, spec } of students) {
    for (const seed of seeds) {
      const { value: r, seconds } = await timed(() =>
        distillModel(trained.model, trained.train, {
          studentSpec: spec,
          seed,
          heldOut: trained.test,
        }),
      );
      const [teacher, alone, distilled] = r.report.models;
      if (!teacherRowDone) {
        rows.push(row('teacher (reference)', teacher, teacher));
        teacherRowDone = true;
      }
      rows.push(row(`${label} alone, seed ${seed}`, alone, teacher));
      rows.push(row(`${label} distilled, seed ${seed}`, distilled, teacher, seconds));
      results.push({ label, seed, alone: accuracy(alone)!, distilled: accuracy(distilled)! });
    }
  }
  log(`### ${title} (T = 4, α = 0.7; drop is against the teacher; s covers both runs)\n`);
  log(table(HEADERS, rows));
  log('');
  return results;
}

function targets(
  log: (line: string) => void,
  name: string,
  pruned: Map<string, OptimizeReport>,
  distilled: { label: string; seed: number; alone: number; distilled: number }[],
): void {
  log(`targets on ${name}:`);
  for (const label of ['magnitude 0.8', 'magnitude 0.8 global']) {
    const m = pruned.get(label)?.comparisons[0];
    if (!m) continue;
    log(`  ${verdict(`${label}: accuracy drop`, m.accuracyDropPp!, 1, ' pp')}`);
    if (m.gzipRatio !== undefined)
      log(`  ${verdict(`${label}: gzip ratio`, m.gzipRatio, 0.35, '')}`);
  }
  const s = pruned.get('structured 0.5')?.comparisons[0];
  if (s)
    log(
      `  ${verdict('structured 0.5 (half the units): accuracy drop', s.accuracyDropPp!, 1.5, ' pp')}`,
    );
  for (const d of distilled) {
    log(
      `  ${verdict(`distilled − alone (${d.label}, seed ${d.seed})`, (d.distilled - d.alone) * 100, 0, ' pp', false)}`,
    );
  }
  log('');
}

export const benchmark: Benchmark = {
  name: 'prune',
  description:
    'magnitude and structured pruning and distillation on UCI digits and iris, against the dense model',
  async run(log) {
    const digits = await trainOn('digits', DIGITS_MLP);
    const dp = await pruneTable(log, 'digits MLP 64-64-32-10 (1348 train / 449 held out)', digits, [
      magnitude(0.5),
      magnitude(0.8),
      magnitude(0.8, 'global'),
      magnitude(0.9),
      structuredAt(0.5),
      structuredAt(0.75),
    ]);
    const dd = await distillTable(
      log,
      'digits distillation: teacher MLP 64-64-32-10',
      digits,
      [
        { label: '64-8-10', spec: DIGITS_STUDENT },
        {
          label: '64-16-10',
          spec: {
            ...DIGITS_STUDENT,
            layers: [{ type: 'dense', units: 16, activation: 'relu' }, DIGITS_STUDENT.layers[1]],
          },
        },
      ],
      [1, 2, 3],
    );
    targets(log, 'digits MLP', dp, dd);

    const iris = await trainOn('iris', IRIS_MLP, 0.3);
    const ip = await pruneTable(
      log,
      'iris MLP 4-32-16-3 (105 train / 45 held out; one sample = 2.22 pp)',
      iris,
      [magnitude(0.5), magnitude(0.8), magnitude(0.8, 'global'), structuredAt(0.5)],
    );
    const id = await distillTable(
      log,
      'iris distillation: teacher MLP 4-32-16-3',
      iris,
      [{ label: '4-4-3', spec: IRIS_STUDENT }],
      [1, 2, 3],
    );
    targets(log, 'iris MLP', ip, id);

    // The flat 64-value rows fill the CNN's 8×8×1 input in row-major order.
    const cnn = await trainOn('digits', DIGITS_CNN);
    const cp = await pruneTable(
      log,
      'digits CNN conv16-pool-conv32-pool-dense32-10 (1348 train / 449 held out)',
      cnn,
      [magnitude(0.8), magnitude(0.8, 'global'), structuredAt(0.5)],
    );
    targets(log, 'digits CNN', cp, []);
  },
};
