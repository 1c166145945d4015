/**
 * Input normalization learnt from the training samples and carried by the
 * model itself: a fixed Rescaling layer (x * scale + offset per feature, the
 * last axis) in front of the spec's layers. The model then takes raw
 * features everywhere — tfjs predict, the converted .tflite (a float MUL and
 * ADD, which the int8 quantizer keeps in float ahead of its QUANTIZE op), the
 * infer node and the devices — and no caller has to remember the statistics.
 *
 * standardize: x' = (x - mean) / std; minmax: x' = (x - min) / (max - min).
 * A constant feature (std or range 0) is only shifted.
 */
import type { LayerSpec, ModelSpec, NormalizeMethod } from './spec';
import { flatten, type Dataset } from './dataset';

export interface Normalization {
  method: Exclude<NormalizeMethod, 'none'>;
  /** Per feature (the input's last axis). */
  scale: number[];
  offset: number[];
}

/** Per-feature statistics over the given samples (all of them by default). */
export function fitNormalization(
  method: Exclude<NormalizeMethod, 'none'>,
  data: Dataset,
  inputShape: number[],
  samples?: number[],
): Normalization {
  const features = inputShape[inputShape.length - 1];
  const idx = samples ?? data.xs.map((_, i) => i);
  const count = new Float64Array(features);
  const sum = new Float64Array(features);
  const sumSq = new Float64Array(features);
  const lo = new Float64Array(features).fill(Infinity);
  const hi = new Float64Array(features).fill(-Infinity);
  for (const s of idx) {
    flatten(data.xs[s]).forEach((v, k) => {
      const f = k % features;
      count[f]++;
      sum[f] += v;
      sumSq[f] += v * v;
      if (v < lo[f]) lo[f] = v;
      if (v > hi[f]) hi[f] = v;
    });
  }
  const scale: number[] = [];
  const offset: number[] = [];
  for (let f = 0; f < features; f++) {
    let center: number;
    let spread: number;
    if (method === 'standardize') {
      center = sum[f] / count[f];
      spread = Math.sqrt(Math.max(0, sumSq[f] / count[f] - center * center));
    } else {
      center = lo[f];
      spread = hi[f] - lo[f];
    }
    const k = spread > 1e-12 * Math.max(1, Math.abs(center)) ? 1 / spread : 1;
    scale.push(k);
    offset.push(-center * k);
  }
  return { method, scale, offset };
}

/** A Rescaling layer's factors: per feature, or one number for all. */
export interface RescalingFactors {
  scale: number | number[];
  offset: number | number[];
}

/** The spec with the normalization (a Rescaling's factors) as its first layer. */
export function withNormalization(spec: ModelSpec, n: RescalingFactors): ModelSpec {
  const layer: LayerSpec = {
    type: 'rescaling',
    name: 'normalize',
    scale: n.scale,
    offset: n.offset,
  };
  const built: ModelSpec = { ...spec, layers: [layer, ...spec.layers] };
  delete built.normalize;
  return built;
}
