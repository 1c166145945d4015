/**
 * Pooling layers as MAX_POOL_2D / AVERAGE_POOL_2D over NHWC tensors.
 *
 * 1-D pools are lowered as Keras lowers them (Pooling1D: expand_dims at axis
 * 2, pool with [pool, 1], squeeze): RESHAPE [batch, width, channels] to
 * [batch, width, 1, channels], the 2-D pool, RESHAPE back.
 *
 * Global average pooling is AVERAGE_POOL_2D with a filter as large as the
 * input, then RESHAPE to [batch, channels]. TensorFlow's converter writes MEAN
 * over axes [1, 2] instead; AVERAGE_POOL_2D is chosen because TFLite Micro's
 * optimised kernel libraries have it (tflite-micro kernels/cmsis_nn, arc_mli
 * and xtensa pooling.cc, and Espressif's ESP-NN) while MEAN is optimised only
 * for Xtensa and its reference kernel requests arena scratch buffers
 * (kernels/reduce_common.cc); both compute the same float result. Global max
 * pooling is MAX_POOL_2D the same way.
 */
import { BuiltinOperator } from '../model';
import type { GraphBuilder } from './graph-builder';
import {
  expectRank,
  intList,
  padding,
  requireChannelsLast,
  windowedOutputSize,
  type LayerContext,
  type LayerConverter,
} from './context';
import { emitReshape } from './reshape';

interface PoolParams {
  filter: number[];
  strides: number[];
  padding: string;
}

function emitPool2d(
  g: GraphBuilder,
  op: number,
  input: number,
  p: PoolParams,
  outName: string,
): number {
  const [batch, h, w, c] = g.tensors[input].shape;
  const oh = windowedOutputSize(h, p.filter[0], p.strides[0], 1, p.padding);
  const ow = windowedOutputSize(w, p.filter[1], p.strides[1], 1, p.padding);
  const out = g.addTensor(outName, [batch, oh, ow, c]);
  g.addOperator(op, [input], [out], {
    type: 'Pool2DOptions',
    padding: p.padding.toUpperCase(),
    strideH: p.strides[0],
    strideW: p.strides[1],
    filterHeight: p.filter[0],
    filterWidth: p.filter[1],
    fusedActivationFunction: 'NONE',
  });
  return out;
}

function pool2d(op: number): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    expectRank(ctx, 4);
    const filter = intList(ctx, 'poolSize', 2, 2);
    const s = ctx.config.strides;
    // Keras: strides default to the pool size.
    const strides = s === undefined || s === null ? filter : intList(ctx, 'strides', 2);
    return [
      emitPool2d(
        ctx.g,
        op,
        ctx.inputs[0],
        { filter, strides, padding: padding(ctx) },
        ctx.layer.name,
      ),
    ];
  };
}

function strides1d(ctx: LayerContext, pool: number): number {
  const s = ctx.config.strides;
  return s === undefined || s === null ? pool : intList(ctx, 'strides', 1)[0];
}

function pool1d(op: number): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    const [batch, width, channels] = expectRank(ctx, 3);
    const [pool] = intList(ctx, 'poolSize', 1, 2);
    const name = ctx.layer.name;
    const expanded = emitReshape(
      ctx.g,
      ctx.inputs[0],
      [batch, width, 1, channels],
      `${name}/ExpandDims`,
    );
    const pooled = emitPool2d(
      ctx.g,
      op,
      expanded,
      { filter: [pool, 1], strides: [strides1d(ctx, pool), 1], padding: padding(ctx) },
      `${name}/pool`,
    );
    const outWidth = ctx.g.tensors[pooled].shape[1];
    return [emitReshape(ctx.g, pooled, [batch, outWidth, channels], name)];
  };
}

function globalPool2d(op: number): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    const [batch, h, w, c] = expectRank(ctx, 4);
    const name = ctx.layer.name;
    const keep = ctx.config.keepDims === true;
    const pooled = emitPool2d(
      ctx.g,
      op,
      ctx.inputs[0],
      { filter: [h, w], strides: [1, 1], padding: 'valid' },
      keep ? name : `${name}/pool`,
    );
    return keep ? [pooled] : [emitReshape(ctx.g, pooled, [batch, c], name)];
  };
}

function globalPool1d(op: number): LayerConverter {
  return (ctx) => {
    requireChannelsLast(ctx);
    const [batch, width, channels] = expectRank(ctx, 3);
    const name = ctx.layer.name;
    const expanded = emitReshape(
      ctx.g,
      ctx.inputs[0],
      [batch, width, 1, channels],
      `${name}/ExpandDims`,
    );
    const pooled = emitPool2d(
      ctx.g,
      op,
      expanded,
      { filter: [width, 1], strides: [1, 1], padding: 'valid' },
      `${name}/pool`,
    );
    return [emitReshape(ctx.g, pooled, [batch, channels], name)];
  };
}

const MAX = BuiltinOperator.MAX_POOL_2D;
const AVG = BuiltinOperator.AVERAGE_POOL_2D;

export const POOLING_CONVERTERS: Record<string, LayerConverter> = {
  MaxPooling2D: pool2d(MAX),
  AveragePooling2D: pool2d(AVG),
  MaxPooling1D: pool1d(MAX),
  AveragePooling1D: pool1d(AVG),
  GlobalAveragePooling2D: globalPool2d(AVG),
  GlobalMaxPooling2D: globalPool2d(MAX),
  GlobalAveragePooling1D: globalPool1d(AVG),
  GlobalMaxPooling1D: globalPool1d(MAX),
};
