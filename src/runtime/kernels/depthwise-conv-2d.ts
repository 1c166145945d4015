/**
 * DEPTHWISE_CONV_2D over NHWC tensors with a [1, fh, fw, inDepth * multiplier]
 * filter: output channel ic * multiplier + m sees input channel ic only
 * (kernels/internal/reference/depthwiseconv_float.h, integer_ops/
 * depthwise_conv.h; micro/kernels/depthwise_conv_common.cc).
 *
 * int8 is per-channel like CONV_2D (see conv-2d.ts for why the input offset of
 * interior pixels can join the bias); int16 activations accumulate in int64
 * with an int64 bias and no offsets.
 */
import {
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
import {
  multiplyByQuantizedMultiplier,
  multiplyByQuantizedMultiplier64,
} from '../quant/multiplier';
import { convGeometry, type ConvGeometry } from './conv-params';
import { tapEnd, tapStart } from './padding';
import { biasValues, perChannelMultipliers } from './quant-params';

export interface DepthwiseParams extends ConvGeometry {
  depthMultiplier: number;
}

export interface DepthwiseFloatParams extends DepthwiseParams {
  activationMin: number;
  activationMax: number;
}

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

export function depthwiseConvFloat(
  p: DepthwiseFloatParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const { inputHeight, inputWidth, inputDepth, filterHeight, filterWidth } = p;
  const { outputHeight, outputWidth, outputDepth, depthMultiplier } = p;
  for (let b = 0; b < p.batches; b++) {
    for (let oy = 0; oy < outputHeight; oy++) {
      const inY0 = oy * p.strideHeight - p.padHeight;
      const ky0 = tapStart(inY0, p.dilationHeight, filterHeight);
      const ky1 = tapEnd(inY0, p.dilationHeight, filterHeight, inputHeight);
      for (let ox = 0; ox < outputWidth; ox++) {
        const inX0 = ox * p.strideWidth - p.padWidth;
        const kx0 = tapStart(inX0, p.dilationWidth, filterWidth);
        const kx1 = tapEnd(inX0, p.dilationWidth, filterWidth, inputWidth);
        const outBase = ((b * outputHeight + oy) * outputWidth + ox) * outputDepth;
        for (let ic = 0; ic < inputDepth; ic++) {
          for (let m = 0; m < depthMultiplier; m++) {
            const oc = m + ic * depthMultiplier;
            let total = 0;
            for (let ky = ky0; ky < ky1; ky++) {
              const iy = inY0 + p.dilationHeight * ky;
              for (let kx = kx0; kx < kx1; kx++) {
                const ix = inX0 + p.dilationWidth * kx;
                total +=
                  x[((b * inputHeight + iy) * inputWidth + ix) * inputDepth + ic] *
                  w[(ky * filterWidth + kx) * outputDepth + oc];
              }
            }
            if (bias) total += bias[oc];
            y[outBase + oc] = Math.min(Math.max(total, p.activationMin), p.activationMax);
          }
        }
      }
    }
  }
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

type DepthwiseData =
  { kind: 'float'; p: DepthwiseFloatParams } | { kind: 'quantized'; p: DepthwiseQuantParams };

function depthwiseParams(node: NodeContext, g: ConvGeometry): DepthwiseParams {
  const w = input(node, 1);
  if (w.shape[0] !== 1 || w.shape[3] !== g.outputDepth) {
    throw new KernelError(
      node,
      `filter [${w.shape}] must be [1, h, w, ${g.outputDepth}] for ${g.outputDepth} output channels`,
    );
  }
  // Old converters leave depth_multiplier 0; the shapes determine it.
  let depthMultiplier = numberOption(node, 'depthMultiplier', 0);
  if (g.inputDepth > 0 && depthMultiplier * g.inputDepth !== g.outputDepth) {
    depthMultiplier = g.outputDepth / g.inputDepth;
  }
  if (!Number.isInteger(depthMultiplier) || depthMultiplier < 1) {
    throw new KernelError(
      node,
      `output depth ${g.outputDepth} is not a multiple of the input depth ${g.inputDepth}`,
    );
  }
  return { ...g, depthMultiplier };
}

function prepareQuantized(node: NodeContext, d: DepthwiseParams): DepthwiseQuantParams {
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
  const accBase = new Float64Array(d.outputDepth);
  const wd = w.data as Int8Array;
  const taps = d.filterHeight * d.filterWidth;
  for (let oc = 0; oc < d.outputDepth; oc++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += wd[k * d.outputDepth + oc];
    accBase[oc] = biasData[oc] + inputOffset * sum;
  }
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

export const depthwiseConv2d: Kernel<DepthwiseData> = {
  prepare(node) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const d = depthwiseParams(node, convGeometry(node));
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      const [activationMin, activationMax] = floatActivationRange(fusedActivation(node));
      return { kind: 'float', p: { ...d, activationMin, activationMax } };
    }
    return { kind: 'quantized', p: prepareQuantized(node, d) };
  },
  eval(node, data) {
    const x = node.inputs[0]!.data;
    const w = node.inputs[1]!.data;
    const y = node.outputs[0].data;
    if (data.kind === 'float') {
      const bias = node.inputs[2];
      depthwiseConvFloat(
        data.p,
        x as Float32Array,
        w as Float32Array,
        bias ? (bias.data as Float32Array) : null,
        y as Float32Array,
      );
    } else {
      depthwiseConvQuantized(data.p, x as Int8Array, w as Int8Array, y as Int8Array);
    }
  },
};
