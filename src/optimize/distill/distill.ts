/**
 * Knowledge distillation (Hinton et al. 2015): trains a student on the
 * teacher's softened outputs mixed with the hard labels (loss.ts), and — for
 * an honest comparison — the same student alone on the hard labels: the same
 * spec, the same initial weights, the same data in the same seeded batch
 * order, the same optimizer and epochs; only the loss differs.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { buildModel, type ModelSpec } from '../../model/spec';
import type { Dataset } from '../../model/dataset';
import type { ConvertOptions } from '../../tflite/convert';
import { datasetTensors, fit, hardLoss, stepsPerEpoch, type OptimizerName } from '../finetune';
import {
  cloneModel,
  copyWeights,
  inputShapeOf,
  outputUnits,
  taskOf,
  trainingTwin,
  type Task,
} from '../twin';
import { checkLossOptions, distillationLoss, regressionDistillationLoss } from './loss';
import { parseStudentSpec, studentForBudget, type Budget, type BudgetSearch } from './student';
import { fitNormalization, withNormalization, type RescalingFactors } from '../../model/normalize';
import { ValidationError } from '../../errors';

export interface DistillOptions {
  /** The student's spec (validated); or leave it out and give a budget. */
  studentSpec?: unknown;
  budget?: Budget;
  /** Conversion options of the final .tflite, so a budget is checked on the file as written. */
  convert?: ConvertOptions;
  /** Softmax temperature T of the soft targets (default 4). */
  temperature?: number;
  /** Weight of the soft (teacher) term; 1 − alpha weights the hard labels (default 0.7). */
  alpha?: number;
  /** Training settings; default to the student spec's, then `defaultStudentEpochs`, batch 32, lr 0.001. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Also train the student alone on the hard labels, for comparison (default true). */
  baseline?: boolean;
  onEpoch?: (run: 'distilled' | 'alone', epoch: number, epochs: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface DistillSettings {
  temperature: number;
  alpha: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  seed: number;
}

export interface DistillResult {
  task: Task;
  student: tfTypes.LayersModel;
  alone?: tfTypes.LayersModel;
  spec: ModelSpec;
  search?: BudgetSearch;
  settings: DistillSettings;
  losses: { distilled: number[]; alone?: number[] };
}

/**
 * Epochs when neither the options nor the spec say: a student learns from
 * scratch, so at least 50 epochs and 1500 optimizer steps (a small data set
 * such as iris, 4 steps an epoch at batch 32, gets 375 epochs).
 */
export function defaultStudentEpochs(samples: number, batchSize: number): number {
  return Math.max(50, Math.ceil(1500 / stepsPerEpoch(samples, batchSize)));
}

function resolveSpec(
  teacher: tfTypes.LayersModel,
  o: DistillOptions,
): { spec: ModelSpec; search?: BudgetSearch } {
  if (o.studentSpec !== undefined) return { spec: parseStudentSpec(o.studentSpec) };
  if (o.budget !== undefined) return studentForBudget(teacher, o.budget, o.convert);
  throw new ValidationError('distillation needs a student spec or a device budget');
}

/**
 * The student sees the teacher's inputs: a student spec without its own
 * normalization layer gets the one its `normalize` asks for (statistics of
 * the training data), or else the teacher's own Rescaling layer.
 */
function withInputNormalization(
  spec: ModelSpec,
  teacher: tfTypes.LayersModel,
  train: Dataset,
): ModelSpec {
  if (spec.layers[0]?.type === 'rescaling') return spec;
  if (spec.normalize !== undefined && spec.normalize !== 'none') {
    return withNormalization(spec, fitNormalization(spec.normalize, train, spec.inputShape));
  }
  const first = teacher.layers.find((l) => l.getClassName() !== 'InputLayer');
  if (first?.getClassName() !== 'Rescaling') return spec;
  return withNormalization(spec, first.getConfig() as unknown as RescalingFactors);
}

function checkStudent(teacher: tfTypes.LayersModel, student: tfTypes.LayersModel): void {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (!same(inputShapeOf(teacher), inputShapeOf(student))) {
    throw new ValidationError(
      `student input shape [${inputShapeOf(student)}] differs from the teacher's [${inputShapeOf(teacher)}]`,
    );
  }
  if (outputUnits(teacher) !== outputUnits(student)) {
    throw new ValidationError(
      `student has ${outputUnits(student)} outputs; the teacher has ${outputUnits(teacher)}`,
    );
  }
  if (taskOf(teacher) !== taskOf(student)) {
    throw new ValidationError(
      `the teacher is a ${taskOf(teacher)} model but the student spec makes a ${taskOf(student)} model; a classifier's last layer needs a softmax activation`,
    );
  }
}

/** The teacher's logits (classifier) or outputs (regression) for x. */
async function teacherTargets(
  teacher: tfTypes.LayersModel,
  x: tfTypes.Tensor,
): Promise<tfTypes.Tensor> {
  const twin = await trainingTwin(teacher);
  try {
    return twin.predict(x, { batchSize: 256 }) as tfTypes.Tensor;
  } finally {
    if (twin !== teacher) twin.dispose();
  }
}

export async function distill(
  teacher: tfTypes.LayersModel,
  train: Dataset,
  o: DistillOptions = {},
): Promise<DistillResult> {
  const task = taskOf(teacher);
  const resolved = resolveSpec(teacher, o);
  const search = resolved.search;
  const spec = withInputNormalization(resolved.spec, teacher, train);
  const settings: DistillSettings = {
    temperature: o.temperature ?? 4,
    alpha: o.alpha ?? 0.7,
    epochs: 0,
    batchSize: o.batchSize ?? spec.batchSize ?? 32,
    learningRate: o.learningRate ?? spec.learningRate ?? 0.001,
    optimizer: spec.optimizer ?? 'adam',
    seed: o.seed ?? spec.seed ?? 1,
  };
  settings.epochs =
    o.epochs ?? spec.epochs ?? defaultStudentEpochs(train.xs.length, settings.batchSize);
  checkLossOptions(settings);
  const seeded: ModelSpec = { ...spec, seed: settings.seed };
  const initial = buildModel(seeded);
  checkStudent(teacher, initial);

  const { x, y } = datasetTensors(teacher, train);
  const targets = await teacherTargets(teacher, x);
  const fitOptions = {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    optimizer: settings.optimizer,
    learningRateDecay: spec.learningRateDecay,
    seed: settings.seed,
    signal: o.signal,
  };
  const run = async (
    which: 'distilled' | 'alone',
  ): Promise<{ model: tfTypes.LayersModel; losses: number[] }> => {
    const model = await cloneModel(initial);
    const net = await trainingTwin(model);
    const losses = await fit(net, x, [y, targets], {
      ...fitOptions,
      loss: (out, [yb, tb]) => {
        if (which === 'alone') return hardLoss(task, out, yb);
        return task === 'classification'
          ? distillationLoss(out, tb, yb, settings)
          : regressionDistillationLoss(out, tb, yb, settings.alpha);
      },
      onEpoch: (e, n, loss) => o.onEpoch?.(which, e, n, loss),
    });
    copyWeights(net, model);
    if (net !== model) net.dispose();
    return { model, losses };
  };
  try {
    const alone = o.baseline === false ? undefined : await run('alone');
    const distilled = await run('distilled');
    const result: DistillResult = {
      task,
      student: distilled.model,
      spec: seeded,
      settings,
      losses: { distilled: distilled.losses },
    };
    if (alone) {
      result.alone = alone.model;
      result.losses.alone = alone.losses;
    }
    if (search) result.search = search;
    return result;
  } finally {
    for (const t of [x, y, targets]) t.dispose();
    initial.dispose();
  }
}
