/**
 * int8 DEPTHWISE_CONV_2D on WebAssembly SIMD (wasm/int8-kernels.ts dw_int8,
 * dw3x3_int8): depth multiplier 1, or a one-channel input that every output
 * channel reads. Each output row goes through dw_int8 (any filter, taps in the
 * padding skipped as the reference does), except the columns of a 3x3 filter
 * whose nine taps are all inside the image, which dw3x3_int8 runs unrolled.
 */
import type { PrepareContext } from '../kernel';
import type { SimdRuntime } from '../wasm/simd-runtime';
import { packRequantParams, requantParamsBytes } from '../wasm/requantize';
import type { DepthwiseQuantParams } from './depthwise-conv-2d-quantized';

/** The SIMD path (wasm/int8-kernels.ts dw_int8) for int8 with depth multiplier 1. */
export interface DepthwiseInt8Simd {
  channels8: number;
  weights: number;
  /** 3x3 filters only: weights blocked [channels8 / 8][9][8] for dw3x3_int8, else 0. */
  blocked: number;
  /** Packed bias and multipliers (packRequantParams). */
  params: number;
  /** The same with the input offset folded into the bias, for dw3x3_int8. */
  params3x3: number;
  /** Scratch slot of the zero-point framed input (framedInput), or -1. */
  framed: number;
  runtime?: SimdRuntime;
}

/** The SIMD plan of an int8 depthwise convolution, or undefined when it takes the reference loop. */
export function prepareDepthwiseInt8Simd(
  ctx: PrepareContext,
  p: DepthwiseQuantParams,
  w8: Int8Array,
): DepthwiseInt8Simd | undefined {
  // Depth multiplier 1, or one input channel that every output channel reads.
  const simdable = p.depthMultiplier === 1 || p.inputDepth === 1;
  if (!ctx.simd || !simdable) return undefined;
  const channels8 = Math.ceil(p.outputDepth / 8) * 8;
  ctx.reservePersistent(p.filterHeight * p.filterWidth * channels8);
  ctx.reservePersistent(requantParamsBytes(channels8));
  // the unrolled 3x3 kernel sums tap products in pairs in i16, which needs no weight -128
  const is3x3 = p.filterHeight === 3 && p.filterWidth === 3 && !w8.includes(-128);
  if (is3x3) ctx.reservePersistent(9 * 2 * channels8);
  if (is3x3) ctx.reservePersistent(requantParamsBytes(channels8));
  const frame = is3x3 ? framedInput(p) : undefined;
  const framed = frame ? ctx.requestSimdScratch('int8', frame.height * frame.rowBytes) : -1;
  return { channels8, weights: 0, blocked: is3x3 ? 1 : 0, params: 0, params3x3: 0, framed };
}

/**
 * The input region a 3x3 depthwise reads, [-padHeight, ..) x [-padWidth, ..),
 * when it reaches outside the image (some output pixels have taps in the
 * padding); undefined when every tap is inside. Copied into a frame of the
 * zero point, those pixels take the unrolled kernel too: a tap on the zero
 * point adds (zero point + input offset) * w = 0, as the reference's skipped
 * tap.
 */
function framedInput(p: DepthwiseQuantParams): { height: number; rowBytes: number } | undefined {
  const height = (p.outputHeight - 1) * p.strideHeight + 2 * p.dilationHeight + 1;
  const width = (p.outputWidth - 1) * p.strideWidth + 2 * p.dilationWidth + 1;
  const inside =
    p.padHeight === 0 && p.padWidth === 0 && height <= p.inputHeight && width <= p.inputWidth;
  return inside ? undefined : { height, rowBytes: width * p.inputDepth };
}

/** Copies the weights (and for 3x3, the blocked i16 copy) and the packed requantization records. */
export function bindDepthwiseInt8Simd(
  s: DepthwiseInt8Simd,
  p: DepthwiseQuantParams,
  simd: SimdRuntime,
  src: Int8Array,
): void {
  const taps = p.filterHeight * p.filterWidth;
  s.weights = simd.alloc(taps * s.channels8);
  const w = simd.int8(s.weights, taps * s.channels8);
  const sumAbs = new Float64Array(p.outputDepth);
  for (let t = 0; t < taps; t++) {
    w.set(src.subarray(t * p.outputDepth, (t + 1) * p.outputDepth), t * s.channels8);
    for (let ch = 0; ch < p.outputDepth; ch++) sumAbs[ch] += Math.abs(src[t * p.outputDepth + ch]);
  }
  if (s.blocked) {
    s.blocked = simd.alloc(9 * 2 * s.channels8);
    const b = new Int16Array(simd.buffer, s.blocked, 9 * s.channels8);
    const folded = new Int32Array(p.outputDepth);
    const bound3x3 = new Float64Array(p.outputDepth);
    for (let ch = 0; ch < p.outputDepth; ch++) {
      const block = ch >> 3;
      let sum = 0;
      for (let t = 0; t < 9; t++) {
        b[block * 72 + t * 8 + (ch & 7)] = src[t * p.outputDepth + ch];
        sum += src[t * p.outputDepth + ch];
      }
      folded[ch] = (p.bias[ch] + p.inputOffset * sum) | 0;
      // int8 inputs, the offset in the bias
      bound3x3[ch] = Math.abs(p.bias[ch] + p.inputOffset * sum) + 128 * sumAbs[ch];
    }
    const packed3x3 = packRequantParams(
      folded,
      p.outputMultiplier,
      p.outputShift,
      p.outputDepth,
      bound3x3,
    );
    s.params3x3 = simd.alloc(packed3x3.length);
    new Uint8Array(simd.buffer, s.params3x3, packed3x3.length).set(packed3x3);
  }
  // generic rows: x + input_offset is at most 128 + |input_offset| in magnitude
  const bound = Float64Array.from(
    sumAbs,
    (a, ch) => Math.abs(p.bias[ch]) + (128 + Math.abs(p.inputOffset)) * a,
  );
  const packed = packRequantParams(p.bias, p.outputMultiplier, p.outputShift, p.outputDepth, bound);
  s.params = simd.alloc(packed.length);
  new Uint8Array(simd.buffer, s.params, packed.length).set(packed);
  s.runtime = simd;
}

export function depthwiseInt8Simd(
  p: DepthwiseQuantParams,
  s: DepthwiseInt8Simd,
  scratch: unknown[],
  x: Int8Array,
  y: Int8Array,
): void {
  if (s.framed >= 0) {
    framedDepthwise(p, s, scratch[s.framed] as Int8Array, x, y);
    return;
  }
  const kernels = s.runtime!.kernels;
  // depth multiplier 1, or a single input channel read by every output channel
  const single = p.depthMultiplier !== 1;
  const dw = single ? kernels.dwC1 : kernels.dw;
  const dw3x3 = single ? kernels.dw3x3C1 : kernels.dw3x3;
  const inBatch = p.inputHeight * p.inputWidth * p.inputDepth;
  const outRow = p.outputWidth * p.outputDepth;
  // Output columns whose 3x3 taps are all inside the image: [oxA, oxB).
  const dwx = p.dilationWidth;
  const oxA = Math.min(Math.ceil(p.padWidth / p.strideWidth), p.outputWidth);
  const oxB = Math.max(
    oxA,
    Math.min(
      p.outputWidth,
      Math.floor((p.inputWidth - 1 - 2 * dwx + p.padWidth) / p.strideWidth) + 1,
    ),
  );
  const generic = (input: number, iy0: number, out: number, ox0: number, ox1: number) => {
    if (ox1 <= ox0) return;
    dw(
      input,
      p.inputHeight,
      p.inputWidth,
      p.outputDepth,
      s.channels8,
      s.weights,
      p.filterHeight,
      p.filterWidth,
      p.strideWidth,
      p.dilationHeight,
      dwx,
      iy0,
      p.padWidth,
      out,
      ox0,
      ox1,
      s.params,
      p.inputOffset,
      p.outputOffset,
      p.quantizedActivationMin,
      p.quantizedActivationMax,
    );
  };
  for (let b = 0; b < p.batches; b++) {
    const input = x.byteOffset + b * inBatch;
    for (let oy = 0; oy < p.outputHeight; oy++) {
      const iy0 = oy * p.strideHeight - p.padHeight;
      const out = y.byteOffset + (b * p.outputHeight + oy) * outRow;
      const rowInside = iy0 >= 0 && iy0 + 2 * p.dilationHeight < p.inputHeight;
      if (!s.blocked || !rowInside) {
        generic(input, iy0, out, 0, p.outputWidth);
        continue;
      }
      generic(input, iy0, out, 0, oxA);
      dw3x3(
        input,
        p.inputWidth,
        p.outputDepth,
        s.channels8,
        s.blocked,
        p.strideWidth,
        p.dilationHeight,
        dwx,
        iy0,
        p.padWidth,
        out,
        oxA,
        oxB,
        s.params3x3,
        p.inputOffset,
        p.outputOffset,
        p.quantizedActivationMin,
        p.quantizedActivationMax,
        1, // this row only
        0,
        0,
      );
      generic(input, iy0, out, oxB, p.outputWidth);
    }
  }
}

/** Every output pixel on dw3x3_int8, over the input copied into its zero-point frame (pad_int8). */
function framedDepthwise(
  p: DepthwiseQuantParams,
  s: DepthwiseInt8Simd,
  frame: Int8Array,
  x: Int8Array,
  y: Int8Array,
): void {
  const kernels = s.runtime!.kernels;
  const dw3x3 = p.depthMultiplier !== 1 ? kernels.dw3x3C1 : kernels.dw3x3;
  const { height, rowBytes } = framedInput(p)!;
  const width = rowBytes / p.inputDepth;
  const inRow = p.inputWidth * p.inputDepth;
  const left = p.padWidth * p.inputDepth;
  const copy = Math.min(inRow, rowBytes - left);
  const outRow = p.outputWidth * p.outputDepth;
  for (let b = 0; b < p.batches; b++) {
    const input = x.byteOffset + b * p.inputHeight * inRow;
    kernels.pad(
      input,
      p.inputHeight,
      inRow,
      copy,
      frame.byteOffset,
      height,
      rowBytes,
      p.padHeight,
      left,
      -p.inputOffset,
    );
    // every output row in one call
    dw3x3(
      frame.byteOffset,
      width,
      p.outputDepth,
      s.channels8,
      s.blocked,
      p.strideWidth,
      p.dilationHeight,
      p.dilationWidth,
      0,
      0,
      y.byteOffset + b * p.outputHeight * outRow,
      0,
      p.outputWidth,
      s.params3x3,
      p.inputOffset,
      p.outputOffset,
      p.quantizedActivationMin,
      p.quantizedActivationMax,
      p.outputHeight,
      p.strideHeight,
      outRow,
    );
  }
}
