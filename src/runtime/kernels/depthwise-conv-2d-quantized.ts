/**
 * Quantized DEPTHWISE_CONV_2D: the parameters prepare() computes once and the
 * reference loop (kernels/internal/reference/integer_ops/depthwise_conv.h),
 * which the int8 SIMD path (depthwise-conv-2d-int8.ts) must equal exactly and
 * which runs whatever it does not take.
 *
 * int8 is per-channel like CONV_2D (see conv-2d-quantized.ts for why the input
 * offset of interior pixels can join the bias); int16 activations accumulate
 * in int64 with an int64 bias and no offsets.
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
import type { DepthwiseParams } from './conv-params';
import { tapEnd, tapStart } from './padding';
import { biasValues, foldInputOffset, perChannelMultipliers } from './quant-params';

export interface DepthwiseQuantParams extends DepthwiseParams {
  inputOffset: number;
  outputOffset: number;
  outputMultiplier: Int32Array;
  outputShift: Int32Array;
  quantizedActivationMin: number;
  quantizedActivationMax: number;
  bias: Float64Array;
  accBase: Float64Array;
  int64Accumulator: boolean;
}

export function depthwiseConvQuantized(
  p: DepthwiseQuantParams,
  x: Int8Array | Int16Array,
  w: Int8Array,
  y: Int8Array | Int16Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = p;
  const { outputHeight, outputWidth, outputDepth, depthMultiplier, inputOffset } = p;
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
        const offset = interior ? 0 : inputOffset;
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let ic = 0; ic < inputDepth; ic++) {
          for (let m = 0; m < depthMultiplier; m++) {
            const oc = m + ic * depthMultiplier;
            let acc = interior ? accBase[oc] : bias[oc];
            for (let ky = ky0; ky < ky1; ky++) {
              const iy = inY0 + p.dilationHeight * ky;
              for (let kx = kx0; kx < kx1; kx++) {
                const ix = inX0 + p.dilationWidth * kx;
                acc +=
                  w[(ky * filterWidth + kx) * outputDepth + oc] *
                  (x[((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic] + offset);
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
}

export function prepareDepthwiseQuantized(
  node: NodeContext,
  d: DepthwiseParams,
): DepthwiseQuantParams {
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
    d.outputDepth,
  );
  const int64Accumulator = x.type === 'int16';
  if (bias) expectType(node, bias, x.type === 'int16' ? 'int64' : 'int32');
  if (bias && !bias.isConstant) throw new KernelError(node, `bias "${bias.name}" must be constant`);
  if (!w.isConstant) throw new KernelError(node, `filter "${w.name}" must be constant`);
  const biasData = biasValues(node, bias, d.outputDepth);
  const inputOffset = x.type === 'int16' ? 0 : -inQ.zeroPoint;
  // Filters are [1, h, w, outputDepth]: a channel's taps are outputDepth apart.
  const accBase = foldInputOffset(
    biasData,
    inputOffset,
    w.data as Int8Array,
    d.outputDepth,
    d.filterHeight * d.filterWidth,
    1,
    d.outputDepth,
  );
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    outQ.scale,
    outQ.zeroPoint,
  );
  return {
    ...d,
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
