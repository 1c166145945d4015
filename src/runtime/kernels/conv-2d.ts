/**
 * CONV_2D over NHWC tensors with an [outDepth, fh, fw, inDepth / groups]
 * filter (kernels/internal/reference/conv.h, integer_ops/conv.h;
 * micro/kernels/conv_common.cc). This file only checks what every data type
 * shares and dispatches; the kernels live by data type:
 * conv-2d-float.ts (float32), conv-2d-hybrid.ts (float32 with int8 weights),
 * conv-2d-quantized.ts (int8 and int16 parameters and reference loop),
 * conv-2d-int8.ts and conv-2d-int16.ts (their WebAssembly SIMD paths).
 */
import { expectType, input, KernelError, output, type Kernel } from '../kernel';
import { convGeometry, groupedParams } from './conv-params';
import {
  bindConvFloat,
  evalConvFloat,
  prepareConvFloat,
  type ConvFloatData,
} from './conv-2d-float';
import {
  bindConvHybrid,
  evalConvHybrid,
  prepareConvHybrid,
  type ConvHybridData,
} from './conv-2d-hybrid';
import { convQuantized, prepareConvQuantized, type ConvQuantParams } from './conv-2d-quantized';
import {
  bindConvInt8Simd,
  convInt8Simd,
  prepareConvInt8Simd,
  type ConvInt8Simd,
} from './conv-2d-int8';
import {
  bindConvInt16Simd,
  convInt16Simd,
  prepareConvInt16Simd,
  type ConvInt16Simd,
} from './conv-2d-int16';

type ConvData =
  | ConvFloatData
  | ConvHybridData
  | { kind: 'int8'; p: ConvQuantParams; simd: ConvInt8Simd }
  | { kind: 'int16'; p: ConvQuantParams; simd: ConvInt16Simd }
  | { kind: 'quantized'; p: ConvQuantParams };

export const conv2d: Kernel<ConvData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const c = groupedParams(node, convGeometry(node));
    if (x.type === 'float32' && w.type === 'int8') return prepareConvHybrid(node, ctx, c);
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      return prepareConvFloat(node, ctx, c);
    }
    const p = prepareConvQuantized(node, c);
    if (x.type === 'int16') {
      const simd = prepareConvInt16Simd(ctx, p, w.data as Int8Array);
      return simd ? { kind: 'int16', p, simd } : { kind: 'quantized', p };
    }
    const simd = prepareConvInt8Simd(ctx, p);
    return simd ? { kind: 'int8', p, simd } : { kind: 'quantized', p };
  },
  bind(node, data, simd) {
    const w = node.inputs[1]!.data;
    if (data.kind === 'hybrid') bindConvHybrid(node, data, simd);
    else if (data.kind === 'float') bindConvFloat(node, data, simd);
    else if (data.kind === 'int8') bindConvInt8Simd(data.simd, data.p, simd, w as Int8Array);
    else if (data.kind === 'int16') bindConvInt16Simd(data.simd, data.p, simd, w as Int8Array);
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const w = node.inputs[1]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'hybrid') evalConvHybrid(node, data);
    else if (data.kind === 'float') evalConvFloat(node, data);
    else if (data.kind === 'int8' && data.simd.runtime) {
      convInt8Simd(data.p, data.simd, node.scratch, x as Int8Array, y as Int8Array);
    } else if (data.kind === 'int16' && data.simd.gemm.runtime) {
      convInt16Simd(data.p, data.simd, node.scratch, x as Int16Array, y as Int16Array);
    } else {
      const xq = x as Int8Array | Int16Array;
      convQuantized(data.p, xq, w as Int8Array, y as Int8Array | Int16Array);
    }
  },
};
