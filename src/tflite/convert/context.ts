/**
 * What every layer converter receives, and the small helpers they share:
 * reading a weight, reading a layer's config with one clear error, and the
 * TensorFlow output-size rule of convolutions and pools.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph-builder';
import { UnsupportedError } from '../../errors';

export interface WeightValue {
  shape: number[];
  values: Float32Array;
}

export interface LayerContext {
  g: GraphBuilder;
  layer: tfTypes.layers.Layer;
  className: string;
  config: Record<string, unknown>;
  /** Weight values by their short name ("kernel", "bias", "gamma", ...). */
  weights: Map<string, WeightValue>;
  /** TFLite tensor indices of the layer's inputs. */
  inputs: number[];
}

/**
 * Emits the TFLite operators of one Keras layer and returns the TFLite
 * tensors of its outputs.
 */
export type LayerConverter = (ctx: LayerContext) => number[];

/** An UnsupportedError that names the layer and its class. */
export function layerError(ctx: LayerContext, message: string): UnsupportedError {
  return new UnsupportedError(`layer "${ctx.layer.name}" (${ctx.className}): ${message}`);
}

export function weight(ctx: LayerContext, name: string): WeightValue {
  const w = ctx.weights.get(name);
  if (!w) {
    throw layerError(
      ctx,
      `has no weight "${name}" (weights: ${[...ctx.weights.keys()].join(', ') || 'none'})`,
    );
  }
  return w;
}

export function inputShape(ctx: LayerContext, i = 0): number[] {
  return ctx.g.tensors[ctx.inputs[i]].shape;
}

/** The input's shape, which must have `rank` dimensions. */
export function expectRank(ctx: LayerContext, rank: number, i = 0): number[] {
  const shape = inputShape(ctx, i);
  if (shape.length !== rank) {
    throw layerError(ctx, `expects an input of rank ${rank}, got shape [${shape}]`);
  }
  return shape;
}

/** A config value that is a list of `n` positive integers (kernelSize, strides, ...). */
export function intList(ctx: LayerContext, key: string, n: number, fallback?: number): number[] {
  let v = ctx.config[key];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw layerError(ctx, `config "${key}" is missing`);
    v = new Array<number>(n).fill(fallback);
  }
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 1 && n > 1) while (list.length < n) list.push(list[0]);
  if (list.length !== n || !list.every((d) => Number.isInteger(d) && d > 0)) {
    throw layerError(
      ctx,
      `config "${key}" must be ${n} positive integers, got ${JSON.stringify(v)}`,
    );
  }
  return list as number[];
}

/** Keras channels-last is the only layout TFLite kernels take (NHWC). */
export function requireChannelsLast(ctx: LayerContext): void {
  const format = ctx.config.dataFormat;
  if (format !== undefined && format !== null && format !== 'channelsLast') {
    throw layerError(
      ctx,
      `data format "${String(format)}" is not supported; TFLite is NHWC (use channelsLast)`,
    );
  }
}

export type KerasPadding = 'same' | 'valid';

export function padding(ctx: LayerContext, allowed: string[] = ['same', 'valid']): string {
  const p = ctx.config.padding ?? 'valid';
  if (typeof p !== 'string' || !allowed.includes(p)) {
    throw layerError(
      ctx,
      `padding ${JSON.stringify(p)} is not supported; supported: ${allowed.join(', ')}`,
    );
  }
  return p;
}

/**
 * Output length of a convolution or pool along one axis, as TensorFlow
 * computes it (tensorflow/core/framework/kernel_shape_util.cc,
 * GetWindowedOutputSize): VALID ceil((in - effective + 1) / stride), SAME
 * ceil(in / stride), where effective = (k - 1) * dilation + 1.
 */
export function windowedOutputSize(
  inSize: number,
  k: number,
  stride: number,
  dilation: number,
  pad: string,
): number {
  const effective = (k - 1) * dilation + 1;
  if (pad === 'same') return Math.ceil(inSize / stride);
  return Math.max(0, Math.ceil((inSize - effective + 1) / stride));
}

/** Reorders a dense row-major array of `shape` by `perm` (out dim i = in dim perm[i]). */
export function permute(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  if (shape.length === 4 && perm.join() === '3,0,1,2') return kernelToFilters(values, shape);
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const strideOfOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d] * strideOfOut[d];
    out[o] = values[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * The Keras-to-TFLite convolution kernel transpose, [kh, kw, in, out] to
 * [out, kh, kw, in], as plain loops: it is most of the converter's time on
 * large models (bench/convert.bench.ts).
 */
function kernelToFilters(values: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, cin, cout] = shape;
  const spatial = kh * kw;
  const out = new Float32Array(values.length);
  for (let o = 0; o < cout; o++) {
    const base = o * spatial * cin;
    for (let s = 0; s < spatial; s++) {
      const src = s * cin * cout + o;
      const dst = base + s * cin;
      for (let i = 0; i < cin; i++) out[dst + i] = values[src + i * cout];
    }
  }
  return out;
}
