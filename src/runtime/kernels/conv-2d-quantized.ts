/**
 * Quantized CONV_2D: the parameters prepare() computes once (TFLM's OpData)
 * and the reference loop (kernels/internal/reference/integer_ops/conv.h),
 * which the int8 and int16 SIMD paths (conv-2d-int8.ts, conv-2d-int16.ts)
 * must equal exactly and which runs whatever they do not take.
 *
 * int8 (per-channel): acc = bias + sum w * (x + input_offset) over the taps
 * inside the image (taps in the padding are skipped, i.e. read as the input's
 * zero point), rescaled per output channel, plus output_offset, clamped. For
 * outputs whose taps are all inside the image the input_offset term is the
 * same for every pixel and joins the bias once in prepare(); integer sums are
 * exact in any order, so the result is the reference's. The int32 accumulator
 * of a 3x3x256 int8 conv is at most 2304 * 128 * 255 < 2^27: no overflow.
 * int16 (16x8): acc = bias + sum w * x without offsets, 64-bit when the bias
 * is int64, no output offset (int16 zero points are 0).
 */
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
  optionalInput,
  output,
  requireQuantization,
  type NodeContext,
} from '../kernel';
import { quantizedActivationRange } from '../quant/activation';
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
} from '../quant/multiplier';
import type { ConvParams } from './conv-params';
import { tapEnd, tapStart } from './padding';
import { biasValues, foldInputOffset, perChannelMultipliers } from './quant-params';

export interface ConvQuantParams extends ConvParams {
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: Int32Array;
  outputShift: Int32Array;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
  bias: Float64Array;
  /** bias + input_offset * (sum of the whole filter): the accumulator start for interior pixels. */
  accBase: Float64Array;
  int64Accumulator: boolean;
}

/** int8 x int8 or int16 x int8 convolution, per-channel requantization. */
export function convQuantized(
  p: ConvQuantParams,
  x: Int8Array | Int16Array,
  w: Int8Array,
  y: Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth, filterInputDepth } = p;
  const { outputHeight, outputWidth, outputDepth, filtersPerGroup, inputOffset } = p;
  const { outputMultiplier, outputShift, bias, accBase, outputOffset, int64Accumulator } = p;
  const min = p.quantizedActivationMin;
  const max = p.quantizedActivationMax;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const ky0 = tapStart(inY0, p.dilationHeight, filterHeight);
      const ky1 = tapEnd(inY0, p.dilationHeight, filterHeight, inputHeight);
      for (let ox = 0; ox < outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const kx0 = tapStart(inX0, p.dilationWidth, filterWidth);
        const kx1 = tapEnd(inX0, p.dilationWidth, filterWidth, inputWidth);
        const interior = ky0 === 0 && ky1 === filterHeight && kx0 === 0 && kx1 === filterWidth;
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let oc = 0; oc < outputDepth; oc++) {
          const inC0 = Math.trunc(oc / filtersPerGroup) * filterInputDepth;
          let acc = interior ? accBase[oc] : bias[oc];
          const offset = interior ? 0 : inputOffset;
          for (let ky = ky0; ky < ky1; ky++) {
            const iy = inY0 + p.dilationHeight * ky;
            for (let kx = kx0; kx < kx1; kx++) {
              const ix = inX0 + p.dilationWidth * kx;
              const inBase = ((b * inputHeight + iy) * inputWidth + ix) * inputDepth + inC0;
              const wBase = ((oc * filterHeight + ky) * filterWidth + kx) * filterInputDepth;
              for (let ic = 0; ic < filterInputDepth; ic++) {
                acc += w[wBase + ic] * (x[inBase + ic] + offset);
              }
            }
          }
          let scaled = int64Accumulator
            ? multiplyByQuantizedMultiplier64(acc, outputMultiplier[oc], outputShift[oc])
            : multiplyByQuantizedMultiplier(acc | 0, outputMultiplier[oc], outputShift[oc]);
          scaled += outputOffset;
          y[outBase + oc] = scaled < min ? min : scaled > max ? max : scaled;
        }
      }
    }
  }
}

export function prepareConvQuantized(node: NodeContext, c: ConvParams): ConvQuantParams {
  const x = input(node, 0);
  const w = input(node, 1);
  const bias = optionalInput(node, 2);
  const y = output(node, 0);
  expectType(node, w, 'int8');
  const inQ = requireQuantization(node, x);
  requireQuantization(node, w);
  const outQ = requireQuantization(node, y);
  const { multiplier, shift } = perChannelMultipliers(
    node,
    inQ.scale,
    w,
    outQ.scale,
    c.outputDepth,
  );
  let int64Accumulator = false;
  if (x.type === 'int16') {
    if (bias) {
      expectType(node, bias, 'int32', 'int64');
      int64Accumulator = bias.type === 'int64';
    } else {
      int64Accumulator = node.options?.quantizedBiasType !== 'int32';
    }
  } else if (bias) {
    expectType(node, bias, 'int32');
  }
  if (bias && !bias.isConstant) throw new KernelError(node, `bias "${bias.name}" must be constant`);
  if (!w.isConstant) throw new KernelError(node, `filter "${w.name}" must be constant`);
  const biasData = biasValues(node, bias, c.outputDepth);
  // int16 activations have no input offset (zero point 0 by the quantization spec).
  const inputOffset = x.type === 'int16' ? 0 : -inQ.zeroPoint;
  // Filters are [outputDepth, h, w, inputDepth]: one contiguous run per output channel.
  const perFilter = c.filterHeight * c.filterWidth * c.filterInputDepth;
  const accBase = foldInputOffset(
    biasData,
    inputOffset,
    w.data as Int8Array,
    c.outputDepth,
    perFilter,
    perFilter,
    1,
  );
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    outQ.scale,
    outQ.zeroPoint,
  );
  return {
    ...c,
    inputOffset,
    outputOffset: x.type === 'int16' ? 0 : outQ.zeroPoint,
    outputMultiplier: multiplier,
    outputShift: shift,
    quantizedActivationMin,
    quantizedActivationMax,
    bias: biasData,
    accBase,
    int64Accumulator,
  };
}
