/**
 * FULLY_CONNECTED: output[b, o] = act(sum_d input[b, d] * weights[o, d] + bias[o]).
 * Weights are [outputDepth, accumDepth] (TFLite layout); the input is read as
 * [batches, accumDepth] whatever its rank, batches coming from the output's
 * shape, as the reference kernels do (kernels/internal/reference/
 * fully_connected.h and integer_ops/fully_connected.h, micro/kernels/
 * fully_connected_common.cc).
 *
 * int8: acc = sum (w + weights_offset) * (x + input_offset) + bias, int32,
 * rescaled per tensor or per channel. With constant symmetric weights the
 * sum splits into sum w * x + input_offset * sum w, and the second term joins
 * the bias once in prepare(); integer sums are exact in any order, so this is
 * the reference's result. int16 activations with int8 weights accumulate in
 * int64 when the bias is int64 (16x8 quantization), in int32 otherwise.
 * SIMD: int8 on gemm_int8 (gemm-simd.ts), 16x8 with an int64 bias on
 * gemm_i16 (gemm16-simd.ts), both with constant symmetric weights.
 */
import type { ActivationName } from '../../tflite/model';
import {
  expectType,
  fusedActivation,
  input,
  KernelError,
  optionalInput,
  output,
  requireQuantization,
  type Kernel,
  type NodeContext,
} from '../kernel';
import { floatActivationRange, quantizedActivationRange } from '../quant/activation';
import {
  fullyConnectedFloat,
  fullyConnectedQuantized,
  type FullyConnectedFloatParams,
  type FullyConnectedQuantParams,
  type FullyConnectedShape,
} from './fully-connected-reference';
import {
  biasValues,
  foldInputOffset,
  perChannelMultipliers,
  perTensorConvMultiplier,
} from './quant-params';
import { bindSimdGemm, prepareSimdGemm, runSimdGemm, type SimdGemm } from './gemm-simd';
import { bindSimdGemm16, prepareSimdGemm16, runSimdGemm16, type SimdGemm16 } from './gemm16-simd';
import type { SimdRuntime } from '../wasm/simd-runtime';
import {
  bindFloatGemm,
  floatSimdUsable,
  prepareFloatSimd,
  runFloatGemm,
  type FloatSimd,
} from './float-simd';
import {
  bindHybridGemm,
  hybridFullyConnected,
  hybridGemmUsable,
  prepareHybrid,
  prepareHybridGemm,
  quantizeHybridInput,
  runHybridGemm,
  type HybridData,
  type HybridGemm,
} from './hybrid';

type FullyConnectedData =
  | { kind: 'float'; p: FullyConnectedFloatParams; simd?: FloatSimd }
  | { kind: 'hybrid'; p: FullyConnectedShape; h: HybridData; gemm?: HybridGemm }
  | { kind: 'quantized'; p: FullyConnectedQuantParams; gemm?: SimdGemm; simd?: SimdRuntime }
  | { kind: 'int16'; p: FullyConnectedQuantParams; gemm: SimdGemm16 };

function shapeOf(node: NodeContext): FullyConnectedShape {
  const x = input(node, 0);
  const w = input(node, 1);
  const y = output(node, 0);
  if (w.shape.length < 2) throw new KernelError(node, `weights must be 2-D, got [${w.shape}]`);
  const accumDepth = w.shape[w.shape.length - 1];
  const outputDepth = y.shape[y.shape.length - 1] ?? 1;
  const weightRows = w.shape[w.shape.length - 2];
  if (outputDepth > weightRows) {
    throw new KernelError(
      node,
      `output depth ${outputDepth} exceeds the ${weightRows} rows of weights [${w.shape}]`,
    );
  }
  const batches = outputDepth === 0 ? 0 : countOf(y.shape) / outputDepth;
  if (countOf(x.shape) < batches * accumDepth) {
    throw new KernelError(
      node,
      `input [${x.shape}] holds ${countOf(x.shape)} values; ${batches} batches of ${accumDepth} are needed`,
    );
  }
  return { batches, accumDepth, outputDepth };
}

function countOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function prepareQuantized(
  node: NodeContext,
  shape: FullyConnectedShape,
): FullyConnectedQuantParams {
  const x = input(node, 0);
  const w = input(node, 1);
  const bias = optionalInput(node, 2);
  const y = output(node, 0);
  expectType(node, w, 'int8');
  const inQ = requireQuantization(node, x);
  const wQ = requireQuantization(node, w);
  const outQ = requireQuantization(node, y);
  const scales = w.quantization!.scale;
  let outputMultiplier: Int32Array;
  let outputShift: Int32Array;
  if (scales.length > 1) {
    ({ multiplier: outputMultiplier, shift: outputShift } = perChannelMultipliers(
      node,
      inQ.scale,
      w,
      outQ.scale,
      shape.outputDepth,
    ));
  } else {
    const m = perTensorConvMultiplier(inQ.scale, wQ.scale, outQ.scale);
    outputMultiplier = new Int32Array(shape.outputDepth).fill(m.multiplier);
    outputShift = new Int32Array(shape.outputDepth).fill(m.shift);
  }
  let int64Accumulator = false;
  if (bias) {
    if (x.type === 'int16') {
      expectType(node, bias, 'int32', 'int64');
      int64Accumulator = bias.type === 'int64';
    } else {
      expectType(node, bias, 'int32');
    }
  } else if (x.type === 'int16') {
    int64Accumulator = node.options?.quantizedBiasType !== 'int32';
  }
  const biasData = biasValues(node, bias, shape.outputDepth);
  const inputOffset = -inQ.zeroPoint;
  const weightsOffset = -wQ.zeroPoint;
  let accBase: Float64Array | null = null;
  if (w.isConstant && weightsOffset === 0 && (!bias || bias.isConstant)) {
    const { outputDepth, accumDepth } = shape;
    const wd = w.data as Int8Array;
    accBase = foldInputOffset(biasData, inputOffset, wd, outputDepth, accumDepth, accumDepth, 1);
  }
  const [quantizedActivationMin, quantizedActivationMax] = quantizedActivationRange(
    fusedActivation(node),
    y.type,
    outQ.scale,
    outQ.zeroPoint,
  );
  return {
    ...shape,
    inputOffset,
    weightsOffset,
    outputOffset: outQ.zeroPoint,
    outputMultiplier,
    outputShift,
    quantizedActivationMin,
    quantizedActivationMax,
    accBase: bias && !bias.isConstant ? null : accBase,
    bias: biasData,
    int64Accumulator,
  };
}

export const fullyConnected: Kernel<FullyConnectedData> = {
  prepare(node, ctx) {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (x.type !== y.type) {
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    }
    expectType(node, x, 'float32', 'int8', 'int16');
    const shape = shapeOf(node);
    if (x.type === 'float32' && w.type === 'int8') {
      // Dynamic-range weights (hybrid.ts): one quantized slice per batch row.
      const scheme = node.options?.asymmetricQuantizeInputs ? 'asymmetric' : 'symmetric';
      const b = optionalInput(node, 2);
      const h = prepareHybrid(
        node,
        ctx,
        w,
        b,
        shape.outputDepth,
        shape.batches,
        shape.accumDepth,
        scheme,
      );
      if (!hybridGemmUsable(ctx, w, b)) return { kind: 'hybrid', p: shape, h };
      const gemm = prepareHybridGemm(ctx, shape.outputDepth, shape.accumDepth);
      return { kind: 'hybrid', p: shape, h, gemm };
    }
    if (x.type === 'float32') {
      expectType(node, w, 'float32');
      const bias = optionalInput(node, 2);
      // From the shape: a bias computed by an operator (a DEQUANTIZE) has no data before the arena is bound.
      const biasCount = bias ? countOf(bias.shape) : shape.outputDepth;
      if (biasCount !== shape.outputDepth) {
        throw new KernelError(node, `bias has ${biasCount} values, expected ${shape.outputDepth}`);
      }
      const [activationMin, activationMax] = floatActivationRange(
        fusedActivation(node) as ActivationName,
      );
      const p = { ...shape, activationMin, activationMax };
      if (!floatSimdUsable(ctx, x, w, bias, shape.outputDepth, false)) return { kind: 'float', p };
      const s = prepareFloatSimd(
        ctx,
        shape.outputDepth,
        shape.accumDepth,
        activationMin,
        activationMax,
      );
      return { kind: 'float', p, simd: s };
    }
    const p = prepareQuantized(node, shape);
    const bias = optionalInput(node, 2);
    if (x.type === 'int16' && p.int64Accumulator && p.accBase && p.inputOffset === 0) {
      // 16x8 with constant symmetric weights and bias: gemm16-simd.ts when exact
      const gemm = prepareSimdGemm16(
        ctx,
        w.data as Int8Array,
        shape.accumDepth,
        shape.outputDepth,
        shape.batches,
        p.bias,
        p.outputMultiplier,
        p.outputShift,
      );
      if (gemm) return { kind: 'int16', p, gemm };
    }
    // The SIMD path: int8 activations, constant symmetric weights and bias.
    const simdable =
      ctx.simd && x.type === 'int8' && p.accBase !== null && (!bias || bias.isConstant);
    return simdable
      ? { kind: 'quantized', p, gemm: prepareSimdGemm(ctx, shape.outputDepth, shape.accumDepth) }
      : { kind: 'quantized', p };
  },
  bind(node, data, simd) {
    if (data.kind === 'hybrid' && data.gemm) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      bindHybridGemm(data.gemm, simd, node.inputs[1]!.data as Int8Array, b);
    }
    if (data.kind === 'float' && data.simd) {
      const bias = node.inputs[2];
      const b = bias ? (bias.data as Float32Array) : null;
      bindFloatGemm(data.simd, simd, node.inputs[1]!.data as Float32Array, b);
    }
    if (data.kind === 'int16') {
      const { p, gemm } = data;
      const w = node.inputs[1]!.data as Int8Array;
      bindSimdGemm16(gemm, simd, w, p.bias, p.outputMultiplier, p.outputShift);
    }
    if (data.kind !== 'quantized' || !data.gemm) return;
    const p = data.p;
    bindSimdGemm(
      data.gemm,
      simd,
      node.inputs[1]!.data as Int8Array,
      p.bias,
      p.outputMultiplier,
      p.outputShift,
      p.inputOffset,
    );
    data.simd = simd;
  },
  eval(node, data) {
    if (data.kind === 'hybrid') {
      const q = node.scratch[data.h.scratch] as Int8Array;
      quantizeHybridInput(data.h, node.inputs[0]!.data as Float32Array, q);
      const { gemm, p } = data;
      if (gemm?.runtime) {
        const y = node.outputs[0].data;
        for (let b = 0; b < p.batches; b++) {
          const col = q.byteOffset + b * p.accumDepth;
          runHybridGemm(
            gemm,
            data.h,
            b,
            col,
            p.accumDepth,
            1,
            y.byteOffset + b * p.outputDepth * 4,
          );
        }
        return;
      }
      const bias = node.inputs[2];
      hybridFullyConnected(
        data.h,
        data.p.outputDepth,
        q,
        node.inputs[1]!.data as Int8Array,
        bias ? (bias.data as Float32Array) : null,
        node.outputs[0].data as Float32Array,
      );
    } else if (data.kind === 'float' && data.simd?.runtime) {
      const { byteOffset } = node.inputs[0]!.data;
      runFloatGemm(data.simd, byteOffset, data.p.batches, node.outputs[0].data.byteOffset);
    } else if (data.kind === 'float') {
      const bias = node.inputs[2];
      fullyConnectedFloat(
        data.p,
        node.inputs[0]!.data as Float32Array,
        node.inputs[1]!.data as Float32Array,
        bias ? (bias.data as Float32Array) : null,
        node.outputs[0].data as Float32Array,
      );
    } else if (data.kind === 'int16' && data.gemm.runtime) {
      const p = data.p;
      runSimdGemm16(
        data.gemm,
        node.scratch,
        node.inputs[0]!.data.byteOffset,
        p.accumDepth * 2,
        p.batches,
        p.quantizedActivationMin,
        p.quantizedActivationMax,
        node.outputs[0].data.byteOffset,
      );
    } else if (data.kind === 'quantized' && data.gemm && data.simd) {
      const p = data.p;
      runSimdGemm(
        data.simd,
        data.gemm,
        node.inputs[0]!.data.byteOffset,
        p.accumDepth,
        p.batches,
        p.outputOffset,
        p.quantizedActivationMin,
        p.quantizedActivationMax,
        node.outputs[0].data.byteOffset,
      );
    } else {
      const p = data.p;
      if (!p.accBase) {
        // Non-constant weights or bias: read the bias now.
        const bias = node.inputs[2];
        if (bias) for (let o = 0; o < p.outputDepth; o++) p.bias[o] = Number(bias.data[o]);
      }
      fullyConnectedQuantized(
        p,
        node.inputs[0]!.data as Int8Array,
        node.inputs[1]!.data as Int8Array,
        node.outputs[0].data as Int8Array,
      );
    }
  },
};
