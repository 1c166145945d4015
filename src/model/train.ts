/**
 * Training: builds the model a spec describes, fits it on a dataset with a
 * seeded shuffle and validation split, and reports what happened.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { buildModel, effectiveLoss, isPreset, parseSpec, type ModelSpec } from './spec';
import { fitNormalization, withNormalization, type Normalization } from './normalize';
import { checkInputShape, flatten, parseDataset, type Dataset } from './dataset';
import { resolvePreset } from './presets';
import { shuffledIndices } from './random';
import { tf, tfBackend } from './tf';
import { ValidationError } from '../errors';

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  valLoss?: number;
  metric?: number;
}

export interface TrainOptions {
  onEpoch?: (p: EpochProgress) => void;
  /** Stops training at the end of the current epoch when aborted. */
  signal?: AbortSignal;
}

export interface TrainReport {
  name: string;
  task: 'regression' | 'classification';
  samples: number;
  epochs: number;
  params: number;
  loss: number;
  valLoss?: number;
  accuracy?: number;
  valAccuracy?: number;
  history: { loss: number[]; valLoss: number[] };
  backend: string;
  durationMs: number;
  spec: ModelSpec;
  /** The input normalization the model's first layer applies (spec.normalize). */
  normalization?: Normalization;
}

export interface TrainResult {
  model: tfTypes.LayersModel;
  report: TrainReport;
  labels?: string[];
  /** The data trained on (a preset's own, or the caller's, validated). */
  data: Dataset;
}

function isClassification(spec: ModelSpec): boolean {
  const loss = effectiveLoss(spec);
  return loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy';
}

function makeOptimizer(spec: ModelSpec): tfTypes.Optimizer {
  const t = tf();
  const lr = spec.learningRate ?? 0.001;
  switch (spec.optimizer ?? 'adam') {
    case 'sgd':
      return t.train.sgd(lr);
    case 'rmsprop':
      return t.train.rmsprop(lr);
    case 'adagrad':
      return t.train.adagrad(lr);
    case 'adadelta':
      return t.train.adadelta(lr);
    case 'adamax':
      return t.train.adamax(lr);
    default:
      return t.train.adam(lr);
  }
}

/** The x and y tensors of a dataset for a spec (labels one-hot for classification). */
export function toTensors(
  spec: ModelSpec,
  ds: Dataset,
  outputUnits: number,
  order?: number[],
): { x: tfTypes.Tensor; y: tfTypes.Tensor } {
  const t = tf();
  const idx = order ?? ds.xs.map((_, i) => i);
  const width = spec.inputShape.reduce((a, b) => a * b, 1);
  const xv = new Float32Array(idx.length * width);
  idx.forEach((s, i) => xv.set(flatten(ds.xs[s]), i * width));
  const x = t.tensor(xv, [idx.length, ...spec.inputShape]);
  let y: tfTypes.Tensor;
  if (isClassification(spec) && typeof ds.ys[0] === 'number') {
    const yv = new Float32Array(idx.length * outputUnits);
    idx.forEach((s, i) => {
      const k = ds.ys[s] as number;
      if (!Number.isInteger(k) || k < 0 || k >= outputUnits) {
        throw new ValidationError(
          `data.ys[${s}] = ${k} is not a class index in [0, ${outputUnits - 1}] for a ${outputUnits}-unit output`,
        );
      }
      yv[i * outputUnits + k] = 1;
    });
    y = t.tensor2d(yv, [idx.length, outputUnits]);
  } else {
    const yw = typeof ds.ys[0] === 'number' ? 1 : (ds.ys[0] as number[]).length;
    if (yw !== outputUnits) {
      throw new ValidationError(
        `data.ys has ${yw} value(s) per sample; the model's output has ${outputUnits}`,
      );
    }
    const yv = new Float32Array(idx.length * yw);
    idx.forEach((s, i) => yv.set(flatten(ds.ys[s]), i * yw));
    y = t.tensor2d(yv, [idx.length, yw]);
  }
  return { x, y };
}

export async function trainModel(
  specInput: unknown,
  dataInput?: unknown,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const parsed = parseSpec(specInput);
  let spec: ModelSpec;
  let presetData: Dataset | undefined;
  if (isPreset(parsed)) {
    const p = resolvePreset(parsed);
    spec = p.spec;
    presetData = p.data;
  } else {
    spec = parsed;
    if (dataInput === undefined)
      throw new ValidationError('data is required to train a custom spec');
  }
  // Build first: tfjs checks every layer's config, so a bad spec is reported
  // before the data is looked at.
  let model = buildModel(spec);
  const data = dataInput === undefined ? presetData! : parseDataset(dataInput);
  checkInputShape(data, spec.inputShape);

  // Seeded split and per-epoch shuffles (not tfjs's Math.random ones), so the
  // same spec, data and seed train the same model.
  const seed = spec.seed ?? 1;
  const order = shuffledIndices(data.xs.length, seed);
  const valCount = Math.floor(order.length * (spec.validationSplit ?? 0));
  const trainCount = order.length - valCount;
  let normalization: Normalization | undefined;
  if (spec.normalize !== undefined && spec.normalize !== 'none') {
    // Statistics of the training samples only: the validation split stays unseen.
    normalization = fitNormalization(
      spec.normalize,
      data,
      spec.inputShape,
      order.slice(0, trainCount),
    );
    model.dispose();
    model = buildModel(withNormalization(spec, normalization));
  }

  const outShape = model.outputs[0].shape;
  const outputUnits = outShape[outShape.length - 1] ?? 1;
  const classification = isClassification(spec);
  const optimizer = makeOptimizer(spec);
  model.compile({
    optimizer,
    loss:
      effectiveLoss(spec) === 'sparseCategoricalCrossentropy'
        ? 'categoricalCrossentropy'
        : effectiveLoss(spec),
    metrics: classification ? ['accuracy'] : [],
  });

  const { x, y } = toTensors(spec, data, outputUnits, order);
  const t = tf();
  const xTrain = x.slice(0, trainCount);
  const yTrain = y.slice(0, trainCount);
  const validationData: [tfTypes.Tensor, tfTypes.Tensor] | undefined =
    valCount > 0 ? [x.slice(trainCount), y.slice(trainCount)] : undefined;
  const epochs = spec.epochs ?? 50;
  const history = { loss: [] as number[], valLoss: [] as number[] };
  const started = Date.now();
  let last: Record<string, number> = {};
  try {
    for (let epoch = 0; epoch < epochs && !options.signal?.aborted; epoch++) {
      const perm = t.tensor1d(shuffledIndices(trainCount, seed * 7919 + epoch), 'int32');
      const xe = t.gather(xTrain, perm);
      const ye = t.gather(yTrain, perm);
      perm.dispose();
      try {
        const h = await model.fit(xe, ye, {
          epochs: 1,
          batchSize: spec.batchSize ?? 32,
          validationData,
          shuffle: false,
          verbose: 0,
        });
        last = Object.fromEntries(
          Object.entries(h.history).map(([k, v]) => [k, Number(v[v.length - 1])]),
        );
      } finally {
        xe.dispose();
        ye.dispose();
      }
      history.loss.push(last.loss);
      if (last.val_loss !== undefined) history.valLoss.push(last.val_loss);
      options.onEpoch?.({
        epoch: epoch + 1,
        epochs,
        loss: last.loss,
        valLoss: last.val_loss,
        metric: last.acc ?? last.accuracy,
      });
      if (spec.learningRateDecay !== undefined) {
        // tfjs optimizers read their learning rate on every step.
        const o = optimizer as unknown as { learningRate: number };
        o.learningRate *= spec.learningRateDecay;
      }
    }
  } finally {
    for (const tensor of [x, y, xTrain, yTrain, ...(validationData ?? [])]) tensor.dispose();
  }

  const report: TrainReport = {
    name: spec.name ?? 'model',
    task: classification ? 'classification' : 'regression',
    samples: data.xs.length,
    epochs: history.loss.length,
    params: model.countParams(),
    loss: last.loss,
    history,
    backend: tfBackend(),
    durationMs: Date.now() - started,
    spec,
  };
  if (normalization) report.normalization = normalization;
  if (last.val_loss !== undefined) report.valLoss = last.val_loss;
  if (classification) {
    report.accuracy = last.acc ?? last.accuracy;
    const va = last.val_acc ?? last.val_accuracy;
    if (va !== undefined) report.valAccuracy = va;
  }
  const result: TrainResult = { model, report, data };
  const labels = spec.labels ?? data.labels;
  if (labels) result.labels = labels;
  return result;
}
