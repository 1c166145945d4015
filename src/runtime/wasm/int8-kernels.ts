/**
 * The int8 inner loops of CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D as
 * WebAssembly SIMD, built with assembler.ts. They compute exactly what the
 * JavaScript reference functions compute (TFLM's reference kernels): integer
 * sums are exact in any order, and the requantization is TFLM's
 * double-rounding MultiplyByQuantizedMultiplier done in 64-bit lanes.
 *
 * gemm_int8: out[r][o] = clamp(out_zp + MBQM(bias[o] + sum_k w[o][k] * x[r][k])), with the
 *   input offset folded into the bias by the caller (bias + in_off * sum_k w[o][k]:
 *   integer sums are exact in any order, and im2col fills taps outside the
 *   image with the zero point, i.e. -in_off, so they still add nothing)
 *   for r < rows, o < channels, k < depth8 (a multiple of 8; weights are zero
 *   beyond the real depth and for channels past `channels` up to a multiple
 *   of 4, so whatever x holds there adds nothing). Eight products per
 *   i32x4.dot_i16x8_s, four output channels per pass so each input load
 *   serves four of them. Weights of a group of four channels interleaved by
 *   blocks of 8 inputs ([depth8 / 8][4][8]) so that one pointer serves the
 *   four, 16 inputs per loop iteration.
 * dw_int8: one output pixel row of a depthwise convolution with depth
 *   multiplier 1, eight channels per vector (i32x4.extmul_low/high_i16x8_s),
 *   taps outside the image skipped as in the reference.
 *
 * Requantization: requantize.ts.
 */
import { assembleModule, FunctionBuilder } from './assembler';
import { f32KernelBuilders } from './f32-kernels';
import { int16KernelBuilders } from './int16-kernels';
import { copyKernelBuilders } from './copy-kernels';
import { gemmInt8Lanes } from './gemm-lanes';
import {
  initRequant,
  loadBias,
  REQUANT_GROUP_BYTES,
  requantize,
  requantLocals,
  requantRecord,
  store4,
  storeLanes,
} from './requantize';

/** [sum v0, sum v1, sum v2, sum v3] of four i32x4 accumulators, by pairwise shuffles; into `into`. */
export function reduce4(
  f: FunctionBuilder,
  v: number[],
  t0: number,
  t1: number,
  into: number,
): void {
  const LO = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
  const HI = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  f.get(v[0]).get(v[1]).i8x16Shuffle(LO).get(v[0]).get(v[1]).i8x16Shuffle(HI).i32x4Add().set(t0);
  f.get(v[2]).get(v[3]).i8x16Shuffle(LO).get(v[2]).get(v[3]).i8x16Shuffle(HI).i32x4Add().set(t1);
  f.get(t0).get(t1).i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  f.get(t0).get(t1).i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]);
  f.i32x4Add().set(into);
}

/**
 * The row loop of the gemm kernels: two rows per pass (x0, x1 their starts)
 * share the weight loads, a last odd row goes alone; `body(2 | 1)` emits a pass.
 */
export function forRowPairs(
  f: FunctionBuilder,
  l: { col: number; colStride: number; rows: number; row: number; x0: number; x1: number },
  body: (rowsNow: 1 | 2) => void,
): void {
  const pass = f.local('i32');
  f.i32(0).set(l.row);
  f.block(() =>
    f.loop(() => {
      f.get(l.row).get(l.rows).i32GeS().brIf(1);
      f.get(l.col).get(l.row).get(l.colStride).i32Mul().i32Add().tee(l.x0);
      f.get(l.colStride).i32Add().set(l.x1);
      f.get(l.rows).get(l.row).i32Sub().i32(2).i32GeS().set(pass);
      f.get(pass);
      f.if(
        () => body(2),
        () => body(1),
      );
      f.get(l.row).i32(1).get(pass).i32Add().i32Add().set(l.row);
      f.br(0);
    }),
  );
}

function gemmInt8(): FunctionBuilder {
  // (col, colStride, rows, w, depth8, channels, params, inOff, outOff, min, max, out, outStride)
  const f = new FunctionBuilder('gemm_int8', new Array(13).fill('i32'), []);
  const [
    col,
    colStride,
    rows,
    w,
    depth8,
    channels,
    params,
    inOff,
    outOff,
    min,
    max,
    out,
    outStride,
  ] = Array.from({ length: 13 }, (_, i) => i);
  const row = f.local('i32');
  const o = f.local('i32');
  const k = f.local('i32');
  const x0 = f.local('i32');
  const x1 = f.local('i32');
  const wq = f.local('i32');
  const left = f.local('i32');
  const off = f.local('v128');
  const xv0 = f.local('v128');
  const xv1 = f.local('v128');
  const wv = f.local('v128');
  const a = [0, 1, 2, 3].map(() => f.local('v128'));
  const b = [0, 1, 2, 3].map(() => f.local('v128'));
  const t0 = f.local('v128');
  const t1 = f.local('v128');
  const rl = requantLocals(f);
  const record = () => requantRecord(f, params, o);
  const outAddr = (r: number) => () =>
    f.get(out).get(row).i32(r).i32Add().get(outStride).i32Mul().i32Add().get(o).i32Add();
  const finish = (acc: number[], r: number) => {
    reduce4(f, acc, t0, t1, acc[0]);
    requantize(f, acc[0], record, rl);
    f.get(channels).get(o).i32Sub().set(left);
    f.get(left).i32(4).i32GeS();
    f.if(
      () => store4(f, acc[0], outAddr(r)),
      () => storeLanes(f, acc[0], outAddr(r), left),
    );
  };
  /** All channel groups of `rowsNow` (1 or 2) rows starting at `row`. */
  const channelLoop = (rowsNow: 1 | 2) => {
    f.i32(0).set(o);
    f.block(() =>
      f.loop(() => {
        f.get(o).get(channels).i32GeS().brIf(1);
        for (const v of a) f.v128Zero().set(v);
        if (rowsNow === 2) for (const v of b) f.v128Zero().set(v);
        // the group's weights: blocks of 8 inputs of its four channels in turn
        f.get(w).get(o).get(depth8).i32Mul().i32Add().set(wq);
        /** The products of the 8 inputs from k + at (the block at wq + 4 * at). */
        const step = (at: number) => {
          f.get(x0).get(k).i32Add().i16x8Load8x8s(at).set(xv0);
          if (rowsNow === 2) f.get(x1).get(k).i32Add().i16x8Load8x8s(at).set(xv1);
          for (let j = 0; j < 4; j++) {
            f.get(wq)
              .i16x8Load8x8s(4 * at + 8 * j)
              .set(wv);
            f.get(a[j]).get(xv0).get(wv).i32x4DotI16x8s().i32x4Add().set(a[j]);
            if (rowsNow === 2) f.get(b[j]).get(xv1).get(wv).i32x4DotI16x8s().i32x4Add().set(b[j]);
          }
        };
        f.i32(0).set(k);
        f.block(() =>
          f.loop(() => {
            f.get(k).get(depth8).i32GeS().brIf(1);
            step(0);
            f.get(k).i32(8).i32Add().set(k);
            f.get(wq).i32(32).i32Add().set(wq);
            f.br(0);
          }),
        );
        finish(a, 0);
        if (rowsNow === 2) finish(b, 1);
        f.get(o).i32(4).i32Add().set(o);
        f.br(0);
      }),
    );
  };

  f.get(inOff).i16x8Splat().set(off);
  initRequant(f, rl, outOff, min, max);
  forRowPairs(f, { col, colStride, rows, row, x0, x1 }, channelLoop);
  return f;
}

/**
 * gemm_hybrid: the int8 x int8 gemm of the hybrid (dynamic-range) kernels
 * (kernels/hybrid.ts), with a float output instead of a requantized one:
 *   acc = sum_k w[o][k] * q[r][k] - offset * rowsum[o]   (int32, exact)
 *   out[r][o] = clamp(float(acc) * scale[o] + bias[o])    (float32 steps)
 * or, for a depthwise convolution (inScaleBits, the bits of a non-zero
 * float32, given), clamp(float(acc) * in_scale * scale[o] + bias[o]) left to right
 * for rows sharing one input quantization (offset, scales); `scale` holds
 * float(input_scale * filter_scale[o]) per channel. Weights as gemm_int8's
 * (rows of depth8, zero padded, channels padded to 4); scale, rowsum and
 * bias padded to a multiple of 4 channels.
 */
function gemmHybrid(): FunctionBuilder {
  // (col, colStride, rows, w, depth8, channels, rowsum, offset, scale, bias, minBits, maxBits, out, outStride, inScaleBits)
  // inScaleBits != 0: the depthwise order, float(acc) * in_scale * scale[o] with scale the filter scales
  const f = new FunctionBuilder('gemm_hybrid', new Array(15).fill('i32'), []);
  const inScaleBits = 14;
  const [col, colStride, rows, w, depth8, channels, rowsum, offset, scale, bias] = Array.from(
    { length: 10 },
    (_, i) => i,
  );
  const [minBits, maxBits, out, outStride] = [10, 11, 12, 13];
  const row = f.local('i32');
  const o = f.local('i32');
  const k = f.local('i32');
  const x0 = f.local('i32');
  const left = f.local('i32');
  const wp = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const xv = f.local('v128');
  const wv = f.local('v128');
  const a = [0, 1, 2, 3].map(() => f.local('v128'));
  const t0 = f.local('v128');
  const t1 = f.local('v128');
  const off = f.local('v128');
  const vmin = f.local('v128');
  const vmax = f.local('v128');
  f.get(offset).i32x4Splat().set(off);
  f.get(minBits).i32x4Splat().set(vmin);
  f.get(maxBits).i32x4Splat().set(vmax);
  f.i32(0).set(row);
  f.block(() =>
    f.loop(() => {
      f.get(row).get(rows).i32GeS().brIf(1);
      f.get(col).get(row).get(colStride).i32Mul().i32Add().set(x0);
      f.i32(0).set(o);
      f.block(() =>
        f.loop(() => {
          f.get(o).get(channels).i32GeS().brIf(1);
          for (const v of a) f.v128Zero().set(v);
          wp.forEach((p, j) =>
            f.get(w).get(o).i32(j).i32Add().get(depth8).i32Mul().i32Add().set(p),
          );
          f.i32(0).set(k);
          f.block(() =>
            f.loop(() => {
              f.get(k).get(depth8).i32GeS().brIf(1);
              f.get(x0).get(k).i32Add().i16x8Load8x8s().set(xv);
              wp.forEach((p, j) => {
                f.get(p).get(k).i32Add().i16x8Load8x8s().set(wv);
                f.get(a[j]).get(xv).get(wv).i32x4DotI16x8s().i32x4Add().set(a[j]);
              });
              f.get(k).i32(8).i32Add().set(k);
              f.br(0);
            }),
          );
          reduce4(f, a, t0, t1, a[0]);
          // acc - offset * rowsum, to float, * scale, + bias, clamp
          f.get(a[0]).get(off).get(rowsum).get(o).i32(4).i32Mul().i32Add().v128Load();
          f.i32x4Mul().i32x4Sub().f32x4ConvertI32x4s().set(a[1]);
          f.get(inScaleBits);
          f.if(() => f.get(a[1]).get(inScaleBits).i32x4Splat().f32x4Mul().set(a[1]));
          f.get(a[1]);
          f.get(scale).get(o).i32(4).i32Mul().i32Add().v128Load().f32x4Mul();
          f.get(bias).get(o).i32(4).i32Mul().i32Add().v128Load().f32x4Add();
          f.get(vmin).f32x4Pmax().get(vmax).f32x4Pmin().set(a[0]);
          const addr = () => {
            f.get(out).get(row).get(outStride).i32Mul().i32Add();
            f.get(o).i32(4).i32Mul().i32Add();
          };
          f.get(channels).get(o).i32Sub().set(left);
          f.get(left).i32(4).i32GeS();
          f.if(
            () => {
              addr();
              f.get(a[0]).v128Store();
            },
            () =>
              f.block(() => {
                for (let lane = 0; lane < 3; lane++) {
                  f.get(left).i32(lane).i32LeS().brIf(0);
                  addr();
                  f.get(a[0]).v128Store32Lane(lane, 4 * lane);
                }
              }),
          );
          f.get(o).i32(4).i32Add().set(o);
          f.br(0);
        }),
      );
      f.get(row).i32(1).i32Add().set(row);
      f.br(0);
    }),
  );
  return f;
}

/**
 * One output row of a depthwise convolution, eight channels per vector.
 * `broadcast`: the input has one channel which every output channel reads
 * (depth multiplier = channels), so each tap splats one input byte.
 */
function dwInt8(broadcast: boolean): FunctionBuilder {
  // (in, inH, inW, c, c8, w, fh, fw, sw, dh, dw, iy0, padW, out, ox0, ox1, params, inOff, outOff, min, max)
  // computes output pixels ox0 <= ox < ox1 of the row starting at `out`
  const f = new FunctionBuilder(
    broadcast ? 'dw_int8_c1' : 'dw_int8',
    new Array(21).fill('i32'),
    [],
  );
  const [inp, inH, inW, c, c8, w, fh, fw, sw, dh, dw, iy0, padW, out, ox0, outW] = Array.from(
    { length: 16 },
    (_, i) => i,
  );
  const [params, inOff, outOff, min, max] = Array.from({ length: 5 }, (_, i) => 16 + i);
  const ox = f.local('i32');
  const ix0 = f.local('i32');
  const ky0 = f.local('i32');
  const ky1 = f.local('i32');
  const kx0 = f.local('i32');
  const kx1 = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const cb = f.local('i32');
  const o = f.local('i32');
  const left = f.local('i32');
  const xp = f.local('i32');
  const wp = f.local('i32');
  const xStep = f.local('i32');
  const inStride = f.local('i32');
  const off = f.local('v128');
  const xv = f.local('v128');
  const wv = f.local('v128');
  const lo = f.local('v128');
  const hi = f.local('v128');
  const rl = requantLocals(f);
  const record = () => requantRecord(f, params, o);
  const outAddr = () => f.get(out).get(ox).get(c).i32Mul().i32Add().get(o).i32Add();
  // First tap k with origin + d * k >= 0 (a division only at the border).
  const tapStart = (origin: number, d: number, into: number) => {
    f.i32(0).set(into);
    f.get(origin).i32(0).i32LtS();
    f.if(() => {
      f.get(d).i32(1).i32Sub().get(origin).i32Sub().get(d).i32DivS().set(into);
    });
  };
  // One past the last tap with origin + d * k < size, at most `filter`.
  const tapEnd = (origin: number, d: number, size: number, filter: number, into: number) => {
    f.get(filter).set(into);
    f.get(origin).get(filter).i32(1).i32Sub().get(d).i32Mul().i32Add().get(size).i32GeS();
    f.if(() => {
      f.get(size).get(origin).i32Sub().get(d).i32Add().i32(1).i32Sub().get(d).i32DivS().set(into);
      f.i32(0).get(into).get(size).get(origin).i32Sub().i32(0).i32LeS().select().set(into);
    });
  };
  /** Requantizes and stores the four channels from `o` held in `v`. */
  const emitGroup = (v: number) => {
    f.block(() => {
      f.get(c).get(o).i32Sub().tee(left).i32(0).i32LeS().brIf(0);
      requantize(f, v, record, rl);
      f.get(left).i32(4).i32GeS();
      f.if(
        () => store4(f, v, outAddr),
        () => storeLanes(f, v, outAddr, left),
      );
    });
  };

  f.get(inOff).i16x8Splat().set(off);
  initRequant(f, rl, outOff, min, max);
  if (broadcast) f.i32(1).set(inStride);
  else f.get(c).set(inStride);
  f.get(dw).get(inStride).i32Mul().set(xStep);
  tapStart(iy0, dh, ky0);
  tapEnd(iy0, dh, inH, fh, ky1);
  f.get(ox0).set(ox);
  f.block(() =>
    f.loop(() => {
      f.get(ox).get(outW).i32GeS().brIf(1);
      f.get(ox).get(sw).i32Mul().get(padW).i32Sub().set(ix0);
      tapStart(ix0, dw, kx0);
      tapEnd(ix0, dw, inW, fw, kx1);
      f.i32(0).set(cb);
      f.block(() =>
        f.loop(() => {
          f.get(cb).get(c8).i32GeS().brIf(1);
          f.v128Zero().set(lo);
          f.v128Zero().set(hi);
          f.get(ky0).set(ky);
          f.block(() =>
            f.loop(() => {
              f.get(ky).get(ky1).i32GeS().brIf(1);
              // x at row iy0 + dh * ky, column ix0 + dw * kx0 (+ cb)
              f.get(iy0).get(dh).get(ky).i32Mul().i32Add().get(inW).i32Mul();
              f.get(ix0).get(dw).get(kx0).i32Mul().i32Add().i32Add();
              f.get(inStride).i32Mul().get(inp).i32Add();
              if (!broadcast) f.get(cb).i32Add();
              f.set(xp);
              // w at tap (ky, kx0), channel cb
              f.get(ky).get(fw).i32Mul().get(kx0).i32Add().get(c8).i32Mul();
              f.get(w).i32Add().get(cb).i32Add().set(wp);
              f.get(kx0).set(kx);
              f.block(() =>
                f.loop(() => {
                  f.get(kx).get(kx1).i32GeS().brIf(1);
                  if (broadcast) f.get(xp).i32Load8s().i16x8Splat();
                  else f.get(xp).i16x8Load8x8s();
                  f.get(off).i16x8Add().set(xv);
                  f.get(wp).i16x8Load8x8s().set(wv);
                  f.get(lo).get(xv).get(wv).i32x4ExtmulLowI16x8s().i32x4Add().set(lo);
                  f.get(hi).get(xv).get(wv).i32x4ExtmulHighI16x8s().i32x4Add().set(hi);
                  f.get(xp).get(xStep).i32Add().set(xp);
                  f.get(wp).get(c8).i32Add().set(wp);
                  f.get(kx).i32(1).i32Add().set(kx);
                  f.br(0);
                }),
              );
              f.get(ky).i32(1).i32Add().set(ky);
              f.br(0);
            }),
          );
          f.get(cb).set(o);
          emitGroup(lo);
          f.get(cb).i32(4).i32Add().set(o);
          emitGroup(hi);
          f.get(cb).i32(8).i32Add().set(cb);
          f.br(0);
        }),
      );
      f.get(ox).i32(1).i32Add().set(ox);
      f.br(0);
    }),
  );
  return f;
}

/**
 * The interior of a 3x3 depthwise convolution: output pixels ox0 <= ox < ox1
 * of one row whose nine taps are all inside the image, so there are no bounds
 * to compute and the taps are unrolled, and the input offset is folded into
 * the bias of the records passed (bias + in_off * sum of the channel's nine
 * weights; inOff is not read). Weights are i16, blocked [c8 / 8][9][8] so
 * each tap's weights sit at a constant offset, and none may be -128.
 */
function dw3x3Int8(broadcast: boolean): FunctionBuilder {
  // (in, inW, c, c8, w, sw, dh, dw, iy0, padW, out, ox0, ox1, params, inOff, outOff, min, max,
  //  rowCount, iyStep, outStep): rowCount output rows, the first tap row and the output row
  //  moving by iyStep input rows and outStep bytes from one to the next
  // broadcast: one input channel read by all c output channels (input pixel stride 1)
  const f = new FunctionBuilder(
    broadcast ? 'dw3x3_int8_c1' : 'dw3x3_int8',
    new Array(21).fill('i32'),
    [],
  );
  const [inp, inW, c, c8, w, sw, dh, dw, iy0, padW, out, ox0, ox1] = Array.from(
    { length: 13 },
    (_, i) => i,
  );
  const [params, , outOff, min, max, rowCount, iyStep, outStep] = Array.from(
    { length: 8 },
    (_, i) => 13 + i,
  );
  const oy = f.local('i32');
  const iy = f.local('i32');
  const outRow = f.local('i32');
  const ox = f.local('i32');
  const cb = f.local('i32');
  const o = f.local('i32');
  const left = f.local('i32');
  const rows = [f.local('i32'), f.local('i32'), f.local('i32')];
  const col1 = f.local('i32');
  const col2 = f.local('i32');
  const rowStep = f.local('i32');
  const pixStep = f.local('i32');
  const wp = f.local('i32');
  const xv = f.local('v128');
  const wv = [f.local('v128'), f.local('v128')];
  const lo = [f.local('v128'), f.local('v128')];
  const hi = [f.local('v128'), f.local('v128')];
  const rl = requantLocals(f);
  const record = () => requantRecord(f, params, o);
  const outAddr = (pix: number) => () => {
    f.get(outRow).get(ox);
    if (pix) f.i32(pix).i32Add();
    f.get(c).i32Mul().i32Add().get(o).i32Add();
  };
  const emitGroup = (v: number, pix: number) => {
    f.block(() => {
      f.get(c).get(o).i32Sub().tee(left).i32(0).i32LeS().brIf(0);
      requantize(f, v, record, rl, true);
      f.get(left).i32(4).i32GeS();
      f.if(
        () => store4(f, v, outAddr(pix)),
        () => storeLanes(f, v, outAddr(pix), left),
      );
    });
  };

  // pushes the input of tap t (ky * 3 + kx) of pixel ox + pix as i16x8, times weights wv[t % 2]
  const product = (t: number, pix: number) => {
    const ky = Math.floor(t / 3);
    const kx = t % 3;
    f.get(rows[ky]);
    if (pix) f.get(pixStep).i32Add();
    if (!broadcast) f.get(cb).i32Add();
    if (kx > 0) f.get(kx === 1 ? col1 : col2).i32Add();
    if (broadcast) f.i32Load8s().i16x8Splat();
    else f.i16x8Load8x8s();
    f.get(wv[t % 2]).i16x8Mul();
  };
  /**
   * All channel blocks of `pixels` (1 or 2) output pixels from ox: two
   * pixels share each weight load. Taps in pairs: with input and weights in
   * [-128, 127] and no weight -128 (bind checks), a product is at most
   * 2^14 - 2^7 in magnitude and two of them still fit an i16 lane, so the
   * pair is summed in i16 and widened once.
   */
  const blocks = (pixels: number) => {
    f.i32(0).set(cb);
    f.get(w).set(wp);
    f.block(() =>
      f.loop(() => {
        f.get(cb).get(c8).i32GeS().brIf(1);
        // the sums start from the bias of their group of four channels
        const blockRecord = () => requantRecord(f, params, cb);
        for (let pix = 0; pix < pixels; pix++) {
          loadBias(f, blockRecord);
          f.set(lo[pix]);
          loadBias(f, blockRecord, REQUANT_GROUP_BYTES);
          f.set(hi[pix]);
        }
        for (let t = 0; t < 9; t += 2) {
          f.get(wp)
            .v128Load(t * 16)
            .set(wv[0]);
          if (t + 1 < 9)
            f.get(wp)
              .v128Load((t + 1) * 16)
              .set(wv[1]);
          for (let pix = 0; pix < pixels; pix++) {
            product(t, pix);
            if (t + 1 < 9) {
              product(t + 1, pix);
              f.i16x8Add();
            }
            f.set(xv);
            f.get(lo[pix]).get(xv).i32x4ExtendLowI16x8s().i32x4Add().set(lo[pix]);
            f.get(hi[pix]).get(xv).i32x4ExtendHighI16x8s().i32x4Add().set(hi[pix]);
          }
        }
        for (let pix = 0; pix < pixels; pix++) {
          // a whole block of eight channels: one narrow and one 8-byte store
          f.get(c).get(cb).i32Sub().i32(8).i32GeS();
          f.if(
            () => {
              f.get(cb).i32(4).i32Add().set(o);
              requantize(f, hi[pix], record, rl, true);
              f.get(cb).set(o);
              requantize(f, lo[pix], record, rl, true);
              outAddr(pix)();
              f.get(lo[pix]).get(hi[pix]).i16x8NarrowI32x4s();
              f.v128Zero().i8x16NarrowI16x8s().v128Store64Lane(0);
            },
            () => {
              f.get(cb).set(o);
              emitGroup(lo[pix], pix);
              f.get(cb).i32(4).i32Add().set(o);
              emitGroup(hi[pix], pix);
            },
          );
        }
        f.get(cb).i32(8).i32Add().set(cb);
        f.get(wp).i32(144).i32Add().set(wp);
        f.br(0);
      }),
    );
  };

  initRequant(f, rl, outOff, min, max);
  // input pixel stride: c, or 1 for a broadcast input
  const inStride = () => (broadcast ? f.i32(1) : f.get(c));
  f.get(dw);
  inStride();
  f.i32Mul().set(col1);
  f.get(col1).get(col1).i32Add().set(col2);
  f.get(dh).get(inW).i32Mul();
  inStride();
  f.i32Mul().set(rowStep);
  f.get(sw);
  inStride();
  f.i32Mul().set(pixStep);
  const pixelLoop = () => {
    f.get(ox0).set(ox);
    f.block(() =>
      f.loop(() => {
        f.get(ox).get(ox1).i32GeS().brIf(1);
        // first tap row: in + (iy * inW + ox * sw - padW) * c
        f.get(iy).get(inW).i32Mul().get(ox).get(sw).i32Mul().i32Add().get(padW).i32Sub();
        inStride();
        f.i32Mul().get(inp).i32Add().set(rows[0]);
        f.get(rows[0]).get(rowStep).i32Add().set(rows[1]);
        f.get(rows[1]).get(rowStep).i32Add().set(rows[2]);
        // two pixels per pass, a last odd one alone
        f.get(ox1).get(ox).i32Sub().i32(2).i32GeS();
        f.if(
          () => {
            blocks(2);
            f.get(ox).i32(2).i32Add().set(ox);
          },
          () => {
            blocks(1);
            f.get(ox).i32(1).i32Add().set(ox);
          },
        );
        f.br(0);
      }),
    );
  };
  f.get(iy0).set(iy);
  f.get(out).set(outRow);
  f.i32(0).set(oy);
  f.block(() =>
    f.loop(() => {
      f.get(oy).get(rowCount).i32GeS().brIf(1);
      pixelLoop();
      f.get(oy).i32(1).i32Add().set(oy);
      f.get(iy).get(iyStep).i32Add().set(iy);
      f.get(outRow).get(outStep).i32Add().set(outRow);
      f.br(0);
    }),
  );
  return f;
}

/**
 * The stages of an int8 SVDF (int8 state and time weights) after its feature
 * stage (gemm_int8 wrote the clamped feature activations to `features`), for
 * one batch: each feature, offset by the state's zero point, goes into the
 * newest slot of its filter's memory (int8 store, wrapping like the C++);
 * each filter's memory . its time weights (rows of mem8, zero padded) into
 * `sums`; `rank` filters per unit added; then bias and requantization per
 * unit as in the other kernels (packed records), stored as int8.
 */
function svdfInt8(): FunctionBuilder {
  // (features, state, wt, filters, memory, mem8, rank, units, stateZp, sums, params, outOff, min, max, out)
  const f = new FunctionBuilder('svdf_int8', new Array(15).fill('i32'), []);
  const [
    features,
    state,
    wt,
    filters,
    memory,
    mem8,
    rank,
    units,
    stateZp,
    sums,
    params,
    outOff,
    min,
    max,
    out,
  ] = Array.from({ length: 15 }, (_, i) => i);
  const i = f.local('i32');
  const k = f.local('i32');
  const o = f.local('i32');
  const j = f.local('i32');
  const row = f.local('i32');
  const left = f.local('i32');
  const zpv = f.local('v128');
  const acc = f.local('v128');
  const v = f.local('v128');
  const rl = requantLocals(f);
  const record = () => requantRecord(f, params, o);
  const outAddr = () => f.get(out).get(o).i32Add();
  initRequant(f, rl, outOff, min, max);
  f.i32(0).get(stateZp).i32Sub().i16x8Splat().set(zpv);
  // 1. features into the newest memory slot of each filter
  f.i32(0).set(i);
  f.block(() =>
    f.loop(() => {
      f.get(i).get(filters).i32GeS().brIf(1);
      f.get(state).get(i).get(memory).i32Mul().i32Add().get(memory).i32Add().i32(1).i32Sub();
      f.get(features).get(i).i32Add().i32Load8s().get(stateZp).i32Add().i32Store8();
      f.get(i).i32(1).i32Add().set(i);
      f.br(0);
    }),
  );
  // 2. sums[i] = wt[i] . (state[i] - zp)
  f.i32(0).set(i);
  f.block(() =>
    f.loop(() => {
      f.get(i).get(filters).i32GeS().brIf(1);
      f.get(state).get(i).get(memory).i32Mul().i32Add().set(row);
      f.v128Zero().set(acc);
      f.i32(0).set(k);
      f.block(() =>
        f.loop(() => {
          f.get(k).get(mem8).i32GeS().brIf(1);
          f.get(acc);
          f.get(row).get(k).i32Add().i16x8Load8x8s().get(zpv).i16x8Add();
          f.get(wt).get(i).get(mem8).i32Mul().i32Add().get(k).i32Add().i16x8Load8x8s();
          f.i32x4DotI16x8s().i32x4Add().set(acc);
          f.get(k).i32(8).i32Add().set(k);
          f.br(0);
        }),
      );
      f.get(sums).get(i).i32(2).i32Shl().i32Add();
      f.get(acc).i32x4ExtractLane(0).get(acc).i32x4ExtractLane(1).i32Add();
      f.get(acc).i32x4ExtractLane(2).i32Add().get(acc).i32x4ExtractLane(3).i32Add();
      f.i32Store();
      f.get(i).i32(1).i32Add().set(i);
      f.br(0);
    }),
  );
  // 3. rank > 1: sums[u] = sum of its rank filters (in place, u <= u * rank)
  f.get(rank).i32(1).i32GtS();
  f.if(() => {
    f.i32(0).set(o);
    f.block(() =>
      f.loop(() => {
        f.get(o).get(units).i32GeS().brIf(1);
        f.i32(0).set(left);
        f.i32(0).set(j);
        f.block(() =>
          f.loop(() => {
            f.get(j).get(rank).i32GeS().brIf(1);
            f.get(left)
              .get(sums)
              .get(o)
              .get(rank)
              .i32Mul()
              .get(j)
              .i32Add()
              .i32(2)
              .i32Shl()
              .i32Add()
              .i32Load();
            f.i32Add().set(left);
            f.get(j).i32(1).i32Add().set(j);
            f.br(0);
          }),
        );
        f.get(sums).get(o).i32(2).i32Shl().i32Add().get(left).i32Store();
        f.get(o).i32(1).i32Add().set(o);
        f.br(0);
      }),
    );
  });
  // 4. bias, requantize, store, four units at a time
  f.i32(0).set(o);
  f.block(() =>
    f.loop(() => {
      f.get(o).get(units).i32GeS().brIf(1);
      f.get(sums).get(o).i32(2).i32Shl().i32Add().v128Load().set(v);
      requantize(f, v, record, rl);
      f.get(units).get(o).i32Sub().set(left);
      f.get(left).i32(4).i32GeS();
      f.if(
        () => store4(f, v, outAddr),
        () => storeLanes(f, v, outAddr, left),
      );
      f.get(o).i32(4).i32Add().set(o);
      f.br(0);
    }),
  );
  return f;
}

export interface Int8Kernels {
  memory: WebAssembly.Memory;
  gemm: (...args: number[]) => void;
  /** gemm with output channels in the lanes, 16 at a time (gemm-lanes.ts). */
  gemmLanes: (...args: number[]) => void;
  dw: (...args: number[]) => void;
  /** dw for a one-channel input read by every output channel. */
  dwC1: (...args: number[]) => void;
  /** The interior of 3x3 depthwise rows (blocked weights). */
  dw3x3: (...args: number[]) => void;
  /** The same for a one-channel input read by every output channel. */
  dw3x3C1: (...args: number[]) => void;
  /** One output row's receptive fields for gemm (copy-kernels.ts). */
  im2col: (...args: number[]) => void;
  /** An input image copied into a larger one framed by the zero point (copy-kernels.ts). */
  pad: (...args: number[]) => void;
  /** SVDF after its feature stage (int8 state and time weights). */
  svdf: (...args: number[]) => void;
  /** float32 gemm and depthwise rows (f32-kernels.ts). */
  gemmF32: (...args: number[]) => void;
  /** int8 x int8 with a float output: the hybrid kernels' gemm. */
  gemmHybrid: (...args: number[]) => void;
  dwF32: (...args: number[]) => void;
  dwHybrid: (...args: number[]) => void;
  /** int16 x int8 raw int32 sums and their int64 requantization (int16-kernels.ts). */
  gemmI16: (...args: number[]) => void;
  requantI16: (...args: number[]) => void;
}

let cachedModule: WebAssembly.Module | null | undefined;

/** The compiled module, or null when this engine has no WebAssembly SIMD. */
export function int8KernelModule(): WebAssembly.Module | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    const bytes = assembleModule([
      gemmInt8(),
      gemmInt8Lanes(),
      dwInt8(false),
      dwInt8(true),
      dw3x3Int8(false),
      dw3x3Int8(true),
      svdfInt8(),
      gemmHybrid(),
      ...f32KernelBuilders(),
      ...int16KernelBuilders(),
      ...copyKernelBuilders(),
    ]);
    cachedModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    cachedModule = null;
  }
  return cachedModule;
}

export function instantiateInt8Kernels(memory: WebAssembly.Memory): Int8Kernels | null {
  const module = int8KernelModule();
  if (!module) return null;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return {
    memory,
    gemm: instance.exports.gemm_int8 as (...args: number[]) => void,
    gemmLanes: instance.exports.gemm_int8_lanes as (...args: number[]) => void,
    dw: instance.exports.dw_int8 as (...args: number[]) => void,
    dwC1: instance.exports.dw_int8_c1 as (...args: number[]) => void,
    dw3x3: instance.exports.dw3x3_int8 as (...args: number[]) => void,
    dw3x3C1: instance.exports.dw3x3_int8_c1 as (...args: number[]) => void,
    im2col: instance.exports.im2col_int8 as (...args: number[]) => void,
    pad: instance.exports.pad_int8 as (...args: number[]) => void,
    svdf: instance.exports.svdf_int8 as (...args: number[]) => void,
    gemmF32: instance.exports.gemm_f32 as (...args: number[]) => void,
    gemmHybrid: instance.exports.gemm_hybrid as (...args: number[]) => void,
    dwF32: instance.exports.dw_f32 as (...args: number[]) => void,
    dwHybrid: instance.exports.dw_hybrid as (...args: number[]) => void,
    gemmI16: instance.exports.gemm_i16 as (...args: number[]) => void,
    requantI16: instance.exports.requant_i16 as (...args: number[]) => void,
  };
}
