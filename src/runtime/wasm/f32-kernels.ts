/**
 * The float32 inner loops of CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D
 * as WebAssembly SIMD (f32x4), built with assembler.ts. Lanes are output
 * channels, so each output is still one float32 sum taken in the reference's
 * order — zero, plus every product in filter order (ky, kx, input channel),
 * then plus the bias, then clamped (kernels/internal/reference/conv.h,
 * depthwiseconv_float.h, fully_connected.h) — with one rounding per
 * multiply and per add (WebAssembly has no fused multiply-add here). The
 * JavaScript kernels sum in double instead, so the two paths can differ in
 * the last bits of float (well within the 1e-5 the float goldens allow).
 *
 * gemm_f32: out[r][o] = clamp(sum_k x[r][k] * w[o][k] + bias[o]) for r < rows
 *   and o < channels (the last group stored lane by lane). Weights are packed by groups of eight
 *   channels, [group][k][8] (zero past the last channel), so one pass reads
 *   two vectors per k for eight channels of four rows (a single row for the
 *   last rows), each x splatted once.
 * dw_f32: output pixels ox0 <= ox < ox1 of one output row of a depthwise
 *   convolution with depth multiplier 1, four channels per vector (channels
 *   a multiple of 4); taps outside the image are skipped as in the
 *   reference; the caller passes the row's vertical tap range.
 * dw_hybrid: dw_f32 for the hybrid depthwise (kernels/hybrid.ts): int8
 *   input and weights, int32 sums, the float32 steps of the real runtime.
 * Clamping uses pmax/pmin, which are C++'s std::max/std::min lane by lane.
 */
import { FunctionBuilder } from './assembler';

function gemmF32(): FunctionBuilder {
  // (x, xStride, rows, w, depth, channels, bias, minBits, maxBits, out, outStride); strides in bytes
  const f = new FunctionBuilder('gemm_f32', new Array(11).fill('i32'), []);
  const [x, xStride, rows, w, depth, channels, bias, minBits, maxBits, out, outStride] = Array.from(
    { length: 11 },
    (_, i) => i,
  );
  const row = f.local('i32');
  const o = f.local('i32');
  const kb = f.local('i32');
  const depthBytes = f.local('i32');
  const wp = f.local('i32');
  const kp = f.local('i32');
  const pass = f.local('i32');
  const left = f.local('i32');
  const xr = [0, 1, 2, 3].map(() => f.local('i32'));
  const acc = [0, 1, 2, 3].map(() => [f.local('v128'), f.local('v128')]);
  const wv = [f.local('v128'), f.local('v128')];
  const bv = [f.local('v128'), f.local('v128')];
  const xs = f.local('v128');
  const vmin = f.local('v128');
  const vmax = f.local('v128');

  const channelLoop = (rowsNow: 1 | 4) => {
    for (let r = 0; r < rowsNow; r++) {
      f.get(x).get(row).i32(r).i32Add().get(xStride).i32Mul().i32Add().set(xr[r]);
    }
    f.i32(0).set(o);
    f.get(w).set(wp);
    f.block(() =>
      f.loop(() => {
        f.get(o).get(channels).i32GeS().brIf(1);
        for (let r = 0; r < rowsNow; r++) for (const v of acc[r]) f.v128Zero().set(v);
        f.i32(0).set(kb);
        f.get(wp).set(kp);
        f.block(() =>
          f.loop(() => {
            f.get(kb).get(depthBytes).i32GeS().brIf(1);
            f.get(kp).v128Load(0).set(wv[0]);
            f.get(kp).v128Load(16).set(wv[1]);
            for (let r = 0; r < rowsNow; r++) {
              f.get(xr[r]).get(kb).i32Add().v128Load32Splat().set(xs);
              for (let h = 0; h < 2; h++) {
                f.get(acc[r][h]).get(xs).get(wv[h]).f32x4Mul().f32x4Add().set(acc[r][h]);
              }
            }
            f.get(kb).i32(4).i32Add().set(kb);
            f.get(kp).i32(32).i32Add().set(kp);
            f.br(0);
          }),
        );
        f.get(bias).get(o).i32(4).i32Mul().i32Add().v128Load(0).set(bv[0]);
        f.get(bias).get(o).i32(4).i32Mul().i32Add().v128Load(16).set(bv[1]);
        for (let r = 0; r < rowsNow; r++) {
          for (let h = 0; h < 2; h++) {
            f.get(acc[r][h]).get(bv[h]).f32x4Add().get(vmin).f32x4Pmax().get(vmax).f32x4Pmin();
            f.set(acc[r][h]);
          }
          const addr = () => {
            f.get(out).get(row).i32(r).i32Add().get(outStride).i32Mul().i32Add();
            f.get(o).i32(4).i32Mul().i32Add();
          };
          // whole vectors while four channels remain, then lane by lane
          for (let h = 0; h < 2; h++) {
            f.get(channels)
              .get(o)
              .i32Sub()
              .i32(4 * h)
              .i32Sub()
              .set(left);
            f.get(left).i32(4).i32GeS();
            f.if(
              () => {
                addr();
                f.get(acc[r][h]).v128Store(16 * h);
              },
              () =>
                f.block(() => {
                  for (let lane = 0; lane < 3; lane++) {
                    f.get(left).i32(lane).i32LeS().brIf(0);
                    addr();
                    f.get(acc[r][h]).v128Store32Lane(lane, 16 * h + 4 * lane);
                  }
                }),
            );
          }
        }
        f.get(o).i32(8).i32Add().set(o);
        f.get(wp).get(depthBytes).i32(8).i32Mul().i32Add().set(wp);
        f.br(0);
      }),
    );
  };

  f.get(minBits).i32x4Splat().set(vmin);
  f.get(maxBits).i32x4Splat().set(vmax);
  f.get(depth).i32(4).i32Mul().set(depthBytes);
  f.i32(0).set(row);
  f.block(() =>
    f.loop(() => {
      f.get(row).get(rows).i32GeS().brIf(1);
      f.get(rows).get(row).i32Sub().i32(4).i32GeS().set(pass);
      f.get(pass);
      f.if(
        () => channelLoop(4),
        () => channelLoop(1),
      );
      // four rows when a full pass ran, else one
      f.get(row).i32(1).get(pass).i32(3).i32Mul().i32Add().i32Add().set(row);
      f.br(0);
    }),
  );
  return f;
}

/**
 * One output row of a depthwise convolution with depth multiplier 1, four
 * channels per vector; dw_f32 and dw_hybrid differ only in the element size
 * of input and weights, the tap's multiply-add and the finishing of the four
 * sums. Parameters (x, inW, c, w, fw, sw, dh, dw, iy0, ky0, ky1, padW, out,
 * ox0, ox1, bias, ...extra): x the batch's input, out the output row, the
 * row's taps ky0 <= ky < ky1 inside the image.
 */
function depthwiseRow(
  name: string,
  extra: number,
  elementBytes: 1 | 4,
  init: (f: FunctionBuilder) => void,
  tap: (f: FunctionBuilder, xp: number, wp: number, acc: number) => void,
  finish: (f: FunctionBuilder, acc: number, ch: number, bias: number) => void,
): FunctionBuilder {
  const f = new FunctionBuilder(name, new Array(16 + extra).fill('i32'), []);
  const [x, inW, c, w, fw, sw, dh, dw, iy0, ky0, ky1, padW, out, ox0, ox1, bias] = Array.from(
    { length: 16 },
    (_, i) => i,
  );
  const ox = f.local('i32');
  const ix0 = f.local('i32');
  const kx0 = f.local('i32');
  const kx1 = f.local('i32');
  const ch = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const xp = f.local('i32');
  const wpp = f.local('i32');
  const rowBytes = f.local('i32');
  const xStep = f.local('i32');
  const acc = f.local('v128');
  init(f);
  f.get(c).i32(elementBytes).i32Mul().set(rowBytes);
  f.get(dw).get(rowBytes).i32Mul().set(xStep);
  f.get(ox0).set(ox);
  f.block(() =>
    f.loop(() => {
      f.get(ox).get(ox1).i32GeS().brIf(1);
      f.get(ox).get(sw).i32Mul().get(padW).i32Sub().set(ix0);
      // horizontal taps inside the image: kx0 <= kx < kx1
      f.i32(0).set(kx0);
      f.block(() =>
        f.loop(() => {
          f.get(ix0).get(kx0).get(dw).i32Mul().i32Add().i32(0).i32GeS().brIf(1);
          f.get(kx0).i32(1).i32Add().set(kx0);
          f.br(0);
        }),
      );
      f.get(fw).set(kx1);
      f.block(() =>
        f.loop(() => {
          f.get(kx1).get(kx0).i32LeS().brIf(1);
          f.get(ix0).get(kx1).i32(1).i32Sub().get(dw).i32Mul().i32Add().get(inW).i32LtS().brIf(1);
          f.get(kx1).i32(1).i32Sub().set(kx1);
          f.br(0);
        }),
      );
      f.i32(0).set(ch);
      f.block(() =>
        f.loop(() => {
          f.get(ch).get(c).i32GeS().brIf(1);
          f.v128Zero().set(acc);
          f.get(ky0).set(ky);
          f.block(() =>
            f.loop(() => {
              f.get(ky).get(ky1).i32GeS().brIf(1);
              // xp = x + ((iy * inW + ix0 + kx0 * dw) * c + ch) * size; wpp = w + ((ky * fw + kx0) * c + ch) * size
              f.get(iy0).get(ky).get(dh).i32Mul().i32Add().get(inW).i32Mul();
              f.get(ix0).i32Add().get(kx0).get(dw).i32Mul().i32Add().get(c).i32Mul();
              f.get(ch).i32Add().i32(elementBytes).i32Mul().get(x).i32Add().set(xp);
              f.get(ky).get(fw).i32Mul().get(kx0).i32Add().get(c).i32Mul();
              f.get(ch).i32Add().i32(elementBytes).i32Mul().get(w).i32Add().set(wpp);
              f.get(kx0).set(kx);
              f.block(() =>
                f.loop(() => {
                  f.get(kx).get(kx1).i32GeS().brIf(1);
                  tap(f, xp, wpp, acc);
                  f.get(xp).get(xStep).i32Add().set(xp);
                  f.get(wpp).get(rowBytes).i32Add().set(wpp);
                  f.get(kx).i32(1).i32Add().set(kx);
                  f.br(0);
                }),
              );
              f.get(ky).i32(1).i32Add().set(ky);
              f.br(0);
            }),
          );
          // the address of the four outputs, then the finished vector, then the store
          f.get(out).get(ox).get(c).i32Mul().get(ch).i32Add().i32(4).i32Mul().i32Add();
          finish(f, acc, ch, bias);
          f.v128Store();
          f.get(ch).i32(4).i32Add().set(ch);
          f.br(0);
        }),
      );
      f.get(ox).i32(1).i32Add().set(ox);
      f.br(0);
    }),
  );
  return f;
}

/** (…, bias, minBits, maxBits): clamp(sum x * w + bias) in float32. */
function dwF32(): FunctionBuilder {
  let vmin = 0;
  let vmax = 0;
  return depthwiseRow(
    'dw_f32',
    2,
    4,
    (f) => {
      vmin = f.local('v128');
      vmax = f.local('v128');
      f.get(16).i32x4Splat().set(vmin);
      f.get(17).i32x4Splat().set(vmax);
    },
    (f, xp, wp, acc) =>
      f.get(acc).get(xp).v128Load().get(wp).v128Load().f32x4Mul().f32x4Add().set(acc),
    (f, acc, ch, bias) => {
      f.get(acc).get(bias).get(ch).i32(4).i32Mul().i32Add().v128Load().f32x4Add();
      f.get(vmin).f32x4Pmax().get(vmax).f32x4Pmin();
    },
  );
}

/**
 * (…, bias, fscale, inScaleBits, offset, minBits, maxBits): int8 input with
 * zero point `offset` and int8 weights; clamp(float(sum w * (q - offset)) *
 * in_scale * fscale[c] + bias[c]), float32 steps left to right.
 */
function dwHybrid(): FunctionBuilder {
  const locals = { off: 0, inScale: 0, vmin: 0, vmax: 0 };
  return depthwiseRow(
    'dw_hybrid',
    5,
    1,
    (f) => {
      for (const [i, k] of (['inScale', 'off', 'vmin', 'vmax'] as const).entries()) {
        locals[k] = f.local('v128');
        f.get(17 + i)
          .i32x4Splat()
          .set(locals[k]);
      }
    },
    (f, xp, wp, acc) => {
      // four int8 lanes widened to int32 (the loads read 8 bytes, the upper 4 unused)
      f.get(acc);
      f.get(xp).i16x8Load8x8s().i32x4ExtendLowI16x8s().get(locals.off).i32x4Sub();
      f.get(wp).i16x8Load8x8s().i32x4ExtendLowI16x8s();
      f.i32x4Mul().i32x4Add().set(acc);
    },
    (f, acc, ch, bias) => {
      f.get(acc).f32x4ConvertI32x4s().get(locals.inScale).f32x4Mul();
      f.get(16).get(ch).i32(4).i32Mul().i32Add().v128Load().f32x4Mul();
      f.get(bias).get(ch).i32(4).i32Mul().i32Add().v128Load().f32x4Add();
      f.get(locals.vmin).f32x4Pmax().get(locals.vmax).f32x4Pmin();
    },
  );
}

/** The float32 kernels' builders, assembled into the SIMD module with the int8 ones. */
export function f32KernelBuilders(): FunctionBuilder[] {
  return [gemmF32(), dwF32(), dwHybrid()];
}

/** The bits of a float32, for passing a float to the kernels as an i32 (v128 lanes are untyped). */
export function f32Bits(v: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, v, true);
  return view.getInt32(0, true);
}
