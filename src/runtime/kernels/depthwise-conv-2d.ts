/**
 * DEPTHWISE_CONV_2D over NHWC tensors with a [1, fh, fw, inDepth * multiplier]
 * filter: output channel ic * multiplier + m sees input channel ic only
 * (kernels/internal/reference/depthwiseconv_float.h, integer_ops/
 * depthwise_conv.h; micro/kernels/depthwise_conv_common.cc). This file only
 * checks what every data type shares and dispatches; the kernels live by data
 * type: depthwise-conv-2d-float.ts, depthwise-conv-2d-hybrid.ts,
 * depthwise-conv-2d-quantized.ts (int8 and int16 parameters and reference
 * loop) and depthwise-conv-2d-int8.ts (its WebAssembly SIMD path).
 */
import { expectType, input, KernelError, output, type Kernel } from '../kernel';
import { convGeometry, depthwiseParams } from './conv-params';
import {
  bindDepthwiseFloat,
  evalDepthwiseFloat,
  prepareDepthwiseFloat,
  type DepthwiseFloatData,
} from './depthwise-conv-2d-float';
import {
  bindDepthwiseHybrid,
  evalDepthwiseHybrid,
  prepareDepthwiseHybrid,
  type DepthwiseHybridData,
} from './depthwise-conv-2d-hybrid';
import {
  depthwiseConvQuantized,
  prepareDepthwiseQuantized,
  type DepthwiseQuantParams,
} from './depthwise-conv-2d-quantized';
import {
  bindDepthwiseInt8Simd,
  depthwiseInt8Simd,
  prepareDepthwiseInt8Simd,
  type DepthwiseInt8Simd,
} from './depthwise-conv-2d-int8';

type DepthwiseData =
  | DepthwiseFloatData
  | DepthwiseHybridData
  | { kind: 'int8'; p: DepthwiseQuantParams; simd: DepthwiseInt8Simd }
  | { kind: 'quantized'; p: DepthwiseQuantParams };

export const depthwiseConv2d: Kernel<DepthwiseData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const d = depthwiseParams(node, convGeometry(node));
    if (x.type === 'float32' && w.type === 'int8') return prepareDepthwiseHybrid(node, ctx, d);
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      return prepareDepthwiseFloat(node, ctx, d);
    }
    const p = prepareDepthwiseQuantized(node, d);
    const simd =
      x.type === 'int8' ? prepareDepthwiseInt8Simd(ctx, p, w.data as Int8Array) : undefined;
    return simd ? { kind: 'int8', p, simd } : { kind: 'quantized', p };
  },
  bind(node, data, simd) {
    const w = node.inputs[1]!.data;
    if (data.kind === 'hybrid') bindDepthwiseHybrid(node, data, simd);
    else if (data.kind === 'float') bindDepthwiseFloat(node, data, simd);
    else if (data.kind === 'int8') bindDepthwiseInt8Simd(data.simd, data.p, simd, w as Int8Array);
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const w = node.inputs[1]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'hybrid') evalDepthwiseHybrid(node, data);
    else if (data.kind === 'float') evalDepthwiseFloat(node, data);
    else if (data.kind === 'int8' && data.simd.runtime) {
      depthwiseInt8Simd(data.p, data.simd, node.scratch, x as Int8Array, y as Int8Array);
    } else {
      const xq = x as Int8Array | Int16Array;
      depthwiseConvQuantized(data.p, xq, w as Int8Array, y as Int8Array | Int16Array);
    }
  },
};
