/**
 * The student: a model spec given by the user, or derived from the teacher to
 * fit a device budget (flash and arena bytes).
 *
 * The derivation keeps the teacher's layers and scales the width (units,
 * filters) of every hidden Dense/Conv layer by one factor. The .tflite's
 * flash bytes and planned arena never decrease as widths grow (more weights,
 * wider activations), so the widest student that fits is found by bisection
 * on the width of the teacher's widest hidden layer: k in [1, max], each
 * candidate built, converted and measured exactly (file bytes and the
 * interpreter's arena plan), about log2(max) builds. The chosen width was
 * itself measured, so it always fits; the search relies on monotonicity only
 * to skip widths. When even width 1 does not fit, the budget is refused with
 * the smallest footprint found. Depth is not searched: the student keeps the
 * teacher's layers.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import {
  buildModel,
  layerTypes,
  parseSpec,
  isPreset,
  type LayerSpec,
  type ModelSpec,
} from '../../model/spec';
import { convertLayersModel, type ConvertOptions } from '../../tflite/convert';
import { writeModel } from '../../tflite/writer';
import { planArena } from '../../runtime/memory';
import { inputShapeOf } from '../twin';
import { PRODUCERS } from '../prune/channels';
import { UnsupportedError, ValidationError } from '../../errors';

export interface Budget {
  flashBytes?: number;
  arenaBytes?: number;
}

export interface Footprint {
  width: number;
  flashBytes: number;
  arenaBytes: number;
  params: number;
  fits: boolean;
}

export interface BudgetSearch {
  budget: Budget;
  /** Width of the teacher's widest hidden layer, and the chosen one. */
  teacherWidth: number;
  chosenWidth: number;
  /** Every candidate measured, in search order. */
  tried: Footprint[];
}

/** Keys of a layer config that describe a fresh layer (no names, shapes, initial values). */
const DROPPED_KEYS = new Set([
  'name',
  'trainable',
  'dtype',
  'batchInputShape',
  'inputShape',
  'inputDType',
]);

/** tf.layers factories whose name is not the class name with a lower-case first letter. */
const FACTORY_NAMES: Record<string, string> = { ReLU: 'reLU', ELU: 'elu', PReLU: 'prelu' };

function factoryName(className: string): string {
  if (FACTORY_NAMES[className]) return FACTORY_NAMES[className];
  return className.charAt(0).toLowerCase() + className.slice(1).replace(/([123])D$/, '$1d');
}

/** A spec that rebuilds the teacher's architecture (fresh weights). */
export function specFromModel(model: tfTypes.LayersModel): ModelSpec {
  const types = layerTypes();
  const layers: LayerSpec[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    const type = factoryName(cls);
    if (!types.includes(type)) {
      throw new UnsupportedError(`cannot describe layer "${layer.name}" (${cls}) as a spec layer`);
    }
    const spec: LayerSpec = { type };
    for (const [k, v] of Object.entries(layer.getConfig())) {
      if (DROPPED_KEYS.has(k) || v === null || v === undefined) continue;
      const plain =
        ['string', 'number', 'boolean'].includes(typeof v) ||
        (Array.isArray(v) && v.every((e) => typeof e === 'number'));
      if (plain) spec[k] = v;
    }
    layers.push(spec);
  }
  return { name: `${model.name}-student`, inputShape: inputShapeOf(model), layers };
}

/** Indices of the spec's hidden Dense/Conv layers (all but the last such layer). */
function hiddenProducers(spec: ModelSpec): number[] {
  const types = new Set(Object.keys(PRODUCERS).map(factoryName));
  const idx = spec.layers.map((l, i) => (types.has(l.type) ? i : -1)).filter((i) => i >= 0);
  return idx.slice(0, -1);
}

function widthKey(l: LayerSpec): string {
  const cls = Object.keys(PRODUCERS).find((c) => factoryName(c) === l.type)!;
  return PRODUCERS[cls].configKey;
}

/** The spec with every hidden layer's width scaled so the widest becomes `width`. */
export function scaleSpec(spec: ModelSpec, width: number, maxWidth: number): ModelSpec {
  const hidden = new Set(hiddenProducers(spec));
  return {
    ...spec,
    layers: spec.layers.map((l, i) => {
      if (!hidden.has(i)) return { ...l };
      const key = widthKey(l);
      return { ...l, [key]: Math.max(1, Math.round((Number(l[key]) * width) / maxWidth)) };
    }),
  };
}

/**
 * Flash (file bytes) and planned arena of the float32 .tflite of a spec,
 * converted with the options (metadata) the final file will have.
 */
export function footprintOf(
  spec: ModelSpec,
  convert: ConvertOptions = {},
): {
  flashBytes: number;
  arenaBytes: number;
  params: number;
} {
  const model = buildModel(spec);
  try {
    const tfl = convertLayersModel(model, convert);
    const bytes = writeModel(tfl);
    return {
      flashBytes: bytes.length,
      arenaBytes: planArena(tfl).arenaBytes,
      params: model.countParams(),
    };
  } finally {
    model.dispose();
  }
}

function fits(f: { flashBytes: number; arenaBytes: number }, b: Budget): boolean {
  return (
    (b.flashBytes === undefined || f.flashBytes <= b.flashBytes) &&
    (b.arenaBytes === undefined || f.arenaBytes <= b.arenaBytes)
  );
}

export function checkBudget(b: Budget): void {
  if (b.flashBytes === undefined && b.arenaBytes === undefined) {
    throw new ValidationError('a device budget needs flash bytes, arena bytes or both');
  }
  for (const [k, v] of Object.entries(b)) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new ValidationError(`budget ${k} must be a positive integer number of bytes, got ${v}`);
    }
  }
}

/** The widest scaling of the teacher's architecture that fits the budget. */
export function studentForBudget(
  teacher: tfTypes.LayersModel,
  budget: Budget,
  convert: ConvertOptions = {},
): { spec: ModelSpec; search: BudgetSearch } {
  checkBudget(budget);
  const base = specFromModel(teacher);
  const hidden = hiddenProducers(base);
  if (hidden.length === 0) {
    throw new UnsupportedError(
      `teacher "${teacher.name}" has no hidden Dense or Conv layer to make narrower for a budget`,
    );
  }
  const maxWidth = Math.max(...hidden.map((i) => Number(base.layers[i][widthKey(base.layers[i])])));
  const tried: Footprint[] = [];
  const measure = (width: number): Footprint => {
    let f: ReturnType<typeof footprintOf>;
    try {
      f = footprintOf(scaleSpec(base, width, maxWidth), convert);
    } catch (err) {
      if (err instanceof UnsupportedError) {
        throw new UnsupportedError(`cannot size a student for a device budget: ${err.message}`);
      }
      throw err;
    }
    const r = { width, ...f, fits: fits(f, budget) };
    tried.push(r);
    return r;
  };
  // Invariant: width lo fits, width hi + 1 does not (or is past the teacher).
  const smallest = measure(1);
  if (!smallest.fits) {
    throw new ValidationError(
      `no student fits the budget (flash ${budget.flashBytes ?? 'any'}, arena ${budget.arenaBytes ?? 'any'} bytes): the narrowest (width 1) needs flash ${smallest.flashBytes} and arena ${smallest.arenaBytes} bytes`,
    );
  }
  let lo = 1;
  let hi = maxWidth;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(mid).fits) lo = mid;
    else hi = mid - 1;
  }
  const spec = scaleSpec(base, lo, maxWidth);
  return { spec, search: { budget, teacherWidth: maxWidth, chosenWidth: lo, tried } };
}

/** Validates a user's student spec (presets are refused: they bring their own data). */
export function parseStudentSpec(value: unknown): ModelSpec {
  const spec = parseSpec(value);
  if (isPreset(spec)) {
    throw new ValidationError(`student spec must describe layers, not a preset ("${spec.preset}")`);
  }
  return spec;
}
