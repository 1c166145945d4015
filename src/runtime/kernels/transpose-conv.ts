/**
 * TRANSPOSE_CONV (micro/kernels/transpose_conv.cc, reference/transpose_conv.h,
 * reference/integer_ops/transpose_conv.h). Inputs: output_shape (unused, as
 * in TFLM: the output tensor's shape counts), filter [out_c, kh, kw, in_c],
 * input NHWC, optional bias; dilation is always 1.
 *
 * Every input pixel scatters input * filter into the output window at
 * (in * stride - pad), pad computed as for a convolution from the output's
 * size. float: accumulated in the output in float32 in TFLM's loop order,
 * then bias and the activation range. int8 (per-channel or per-tensor
 * filter scales, int32 bias): (input - input zero point) * filter summed in
 * an int32 scratch of the output's size (TFLM asks the arena for it), then
 * bias, the per-channel multiplier, the output zero point and the clamp.
 */
import type { PaddingName } from '../../tflite/model';
import {
  expectRank,
  expectType,
  fusedActivation,
  input,
  KernelError,
  numberOption,
  optionalInput,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import { multiplyByQuantizedMultiplier } from '../quant/multiplier';
import { f32 } from '../quant/rounding';
import type { ConvGeometry } from './conv-params';
import { computePaddingHeightWidth } from './padding';
import { biasValues, perChannelMultipliers } from './quant-params';

/** A convolution's geometry with dilation 1; pads computed from the output's size. */
export type TransposeConvGeometry = ConvGeometry;

type TransposeConvData =
  | { kind: 'float'; g: TransposeConvGeometry; min: number; max: number }
  | {
      kind: 'int8';
      g: TransposeConvGeometry;
      inputOffset: number;
      outputOffset: number;
      multiplier: Int32Array;
      shift: Int32Array;
      min: number;
      max: number;
      scratch: number;
    };

function geometry(node: NodeContext): TransposeConvGeometry {
  const w = input(node, 1);
  const x = input(node, 2);
  const y = output(node, 0);
  expectRank(node, x, 4);
  expectRank(node, w, 4);
  expectRank(node, y, 4);
  const strideHeight = numberOption(node, 'strideH', 1);
  const strideWidth = numberOption(node, 'strideW', 1);
  if (strideHeight < 1 || strideWidth < 1) {
    throw new KernelError(node, `strides (${strideHeight}, ${strideWidth}) must be positive`);
  }
  const [batches, inputHeight, inputWidth, inputDepth] = x.shape;
  const [outputDepth, filterHeight, filterWidth, filterDepth] = w.shape;
  const [outBatches, outputHeight, outputWidth, outDepth] = y.shape;
  if (outBatches !== batches || outDepth !== outputDepth || filterDepth !== inputDepth) {
    throw new KernelError(
      node,
      `input [${x.shape}], filter [${w.shape}] and output [${y.shape}] do not agree (batches, filter [out_c, kh, kw, in_c])`,
    );
  }
  const padding = (node.options?.padding as PaddingName | undefined) ?? 'SAME';
  const pad = computePaddingHeightWidth(
    strideHeight,
    strideWidth,
    1,
    1,
    outputHeight,
    outputWidth,
    filterHeight,
    filterWidth,
    padding,
  );
  return {
    batches,
    inputHeight,
    inputWidth,
    inputDepth,
    filterHeight,
    filterWidth,
    outputHeight,
    outputWidth,
    outputDepth,
    strideHeight,
    strideWidth,
    dilationHeight: 1,
    dilationWidth: 1,
    padHeight: pad.height,
    padWidth: pad.width,
  };
}

/** acc[out] += f(input index, filter index) over TFLM's scatter loops. */
function scatter(
  g: TransposeConvGeometry,
  acc: Float32Array | Int32Array,
  product: (inIndex: number, filterIndex: number) => number,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = g;
  const { outputHeight, outputWidth, outputDepth } = g;
  const filterStride = filterHeight * filterWidth * inputDepth;
  for (let b = 0; b < g.batches; b++) {
    for (let iy = 0; iy < inputHeight; iy++) {
      for (let ix = 0; ix < inputWidth; ix++) {
        for (let ic = 0; ic < inputDepth; ic++) {
          const inIndex = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic;
          const oxOrigin = ix * g.strideWidth - g.padWidth;
          const oyOrigin = iy * g.strideHeight - g.padHeight;
          for (let fy = 0; fy < filterHeight; fy++) {
            const oy = oyOrigin + fy;
            if (oy < 0 || oy >= outputHeight) continue;
            for (let fx = 0; fx < filterWidth; fx++) {
              const ox = oxOrigin + fx;
              if (ox < 0 || ox >= outputWidth) continue;
              const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
              const filterBase = (fy * filterWidth + fx) * inputDepth + ic;
              for (let oc = 0; oc < outputDepth; oc++) {
                acc[outBase + oc] += product(inIndex, oc * filterStride + filterBase);
              }
            }
          }
        }
      }
    }
  }
}

export function transposeConvFloat(
  g: TransposeConvGeometry,
  min: number,
  max: number,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  y.fill(0);
  // Float32Array stores round each partial sum to float32, as TFLM's float += does.
  scatter(g, y, (i, k) => f32(x[i] * w[k]));
  const depth = g.outputDepth;
  for (let i = 0; i < y.length; i++) {
    const acc = bias ? f32(y[i] + bias[i % depth]) : y[i];
    y[i] = Math.min(Math.max(acc, min), max);
  }
}

export function transposeConvInt8(
  d: Extract<TransposeConvData, { kind: 'int8' }>,
  x: Int8Array,
  w: Int8Array,
  bias: Int32Array | null,
  acc: Int32Array,
  y: Int8Array,
): void {
  const { g, inputOffset, outputOffset, multiplier, shift, min, max } = d;
  acc.fill(0);
  scatter(g, acc, (i, k) => (x[i] + inputOffset) * w[k]);
  const depth = g.outputDepth;
  for (let i = 0; i < y.length; i++) {
    const oc = i % depth;
    let v = bias ? (acc[i] + bias[oc]) | 0 : acc[i];
    v = multiplyByQuantizedMultiplier(v, multiplier[oc], shift[oc]) + outputOffset;
    y[i] = v < min ? min : v > max ? max : v;
  }
}

export const transposeConv: Kernel<TransposeConvData> = {
  prepare(node, ctx) {
    if (node.inputs.length !== 3 && node.inputs.length !== 4) {
      throw new KernelError(node, `expected 3 or 4 inputs, got ${node.inputs.length}`);
    }
    const w = input(node, 1);
    const x = input(node, 2);
    const bias = optionalInput(node, 3);
    const y = output(node, 0);
    const g = geometry(node);
    expectType(node, x, 'float32', 'int8');
    expectType(node, w, x.type);
    expectType(node, y, x.type);
    if (!w.isConstant) throw new KernelError(node, `filter "${w.name}" must be constant`);
    if (bias && !bias.isConstant)
      throw new KernelError(node, `bias "${bias.name}" must be constant`);
    if (bias && bias.data.length !== g.outputDepth) {
      throw new KernelError(
        node,
        `bias "${bias.name}" has ${bias.data.length} values; expected ${g.outputDepth}`,
      );
    }
    if (x.type === 'float32') {
      if (bias) expectType(node, bias, 'float32');
      const [min, max] = floatActivationRange(fusedActivation(node));
      return { kind: 'float', g, min, max };
    }
    if (bias) expectType(node, bias, 'int32');
    biasValues(node, bias, g.outputDepth);
    const inQ = requireQuantization(node, x);
    requireQuantization(node, w);
    const outQ = requireQuantization(node, y);
    const { multiplier, shift } = perChannelMultipliers(
      node,
      inQ.scale,
      w,
      outQ.scale,
      g.outputDepth,
    );
    const [min, max] = quantizedActivationRange(
      fusedActivation(node),
      y.type,
      outQ.scale,
      outQ.zeroPoint,
    );
    const scratch = ctx.requestScratch(
      'int32',
      y.shape.reduce((a, b) => a * b, 1),
    );
    return {
      kind: 'int8',
      g,
      inputOffset: -inQ.zeroPoint,
      outputOffset: outQ.zeroPoint,
      multiplier,
      shift,
      min,
      max,
      scratch,
    };
  },
  eval(node, data) {
    const w = node.inputs[1]!.data;
    const x = node.inputs[2]!.data;
    const bias = node.inputs[3]?.data ?? null;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      transposeConvFloat(
        data.g,
        data.min,
        data.max,
        x as Float32Array,
        w as Float32Array,
        bias as Float32Array | null,
        y as Float32Array,
      );
    } else {
      transposeConvInt8(
        data,
        x as Int8Array,
        w as Int8Array,
        bias as Int32Array | null,
        node.scratch[data.scratch] as Int32Array,
        y as Int8Array,
      );
    }
  },
};
