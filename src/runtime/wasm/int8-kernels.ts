/**
 * The int8 inner loops of CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D as
 * WebAssembly SIMD, built with assembler.ts. They compute exactly what the
 * JavaScript reference functions compute (TFLM's reference kernels): integer
 * sums are exact in any order, and the requantization below is TFLM's
 * double-rounding MultiplyByQuantizedMultiplier in 64-bit integer arithmetic.
 *
 * gemm_int8: out[r][o] = clamp(out_zp + MBQM(bias[o] + sum_k w[o][k] * (x[r][k] + in_off)))
 *   for r < rows, o < channels, k < k8 (k8 a multiple of 8; weights are zero
 *   beyond the real depth, so whatever x holds there adds nothing). Eight
 *   products per i32x4.dot_i16x8_s, four output channels per pass so each
 *   input load serves four of them.
 * dw_int8: one output pixel row of a depthwise convolution with depth
 *   multiplier 1, eight channels per vector (i32x4.extmul_low/high_i16x8_s),
 *   taps outside the image skipped as in the reference.
 */
import { assembleModule, FunctionBuilder } from './assembler';

/** Emits the requantization of the i32 in `acc` for channel `o` and stores it at out + o. */
function requantStore(
  f: FunctionBuilder,
  l: { acc: number; o: number; q: number; r: number; mask: number; ab: number },
  p: { mult: number; lshift: number; rshift: number; outOff: number; min: number; max: number },
  outAddr: () => void,
): void {
  const { acc, o, q, r, mask, ab } = l;
  const at = (ptr: number) => f.get(ptr).get(o).i32(2).i32Shl().i32Add();
  // x = acc << left; ab = (int64)x * multiplier
  f.get(acc);
  at(p.lshift).i32Load();
  f.i32Shl().i64ExtendI32S();
  at(p.mult).i32Load();
  f.i64ExtendI32S().i64Mul().set(ab);
  // SaturatingRoundingDoublingHighMul: (ab + nudge) / 2^31, truncating
  f.get(ab)
    .i64(1n << 30n)
    .i64(1n - (1n << 30n))
    .get(ab)
    .i64(0n)
    .i64GeS()
    .select();
  f.i64Add()
    .i64(1n << 31n)
    .i64DivS()
    .i32WrapI64()
    .set(q);
  // RoundingDivideByPOT(q, right)
  at(p.rshift).i32Load().set(r);
  f.i32(1).get(r).i32Shl().i32(1).i32Sub().set(mask);
  f.get(q).get(r).i32ShrS();
  f.get(q).get(mask).i32And(); // remainder
  f.get(mask).i32(1).i32ShrS().get(q).i32(0).i32LtS().i32Add(); // threshold
  f.i32GtS().i32Add();
  f.get(p.outOff).i32Add().set(q);
  // clamp to [min, max]
  f.get(q).get(p.min).get(q).get(p.min).i32GtS().select().set(q);
  f.get(q).get(p.max).get(q).get(p.max).i32LtS().select().set(q);
  outAddr();
  f.get(q).i32Store8();
}

function gemmInt8(): FunctionBuilder {
  // (col, colStride, rows, w, k8, channels, bias, mult, lshift, rshift, inOff, outOff, min, max, out, outStride)
  const f = new FunctionBuilder('gemm_int8', new Array(16).fill('i32'), []);
  const [
    col,
    colStride,
    rows,
    w,
    k8,
    channels,
    bias,
    mult,
    lshift,
    rshift,
    inOff,
    outOff,
    min,
    max,
    out,
    outStride,
  ] = Array.from({ length: 16 }, (_, i) => i);
  const row = f.local('i32');
  const o = f.local('i32');
  const k = f.local('i32');
  const x = f.local('i32');
  const w0 = f.local('i32');
  const acc = f.local('i32');
  const q = f.local('i32');
  const r = f.local('i32');
  const mask = f.local('i32');
  const lane = f.local('i32');
  const ab = f.local('i64');
  const off = f.local('v128');
  const xv = f.local('v128');
  const a = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const locals = { acc, o, q, r, mask, ab };
  const params = { mult, lshift, rshift, outOff, min, max };
  const outAddr = () => f.get(out).get(row).get(outStride).i32Mul().i32Add().get(o).i32Add();
  const horizontalSum = (v: number) => {
    f.get(v).i32x4ExtractLane(0).get(v).i32x4ExtractLane(1).i32Add();
    f.get(v).i32x4ExtractLane(2).i32Add().get(v).i32x4ExtractLane(3).i32Add();
  };
  const biasPlus = () => f.get(bias).get(o).i32(2).i32Shl().i32Add().i32Load().i32Add();

  f.get(inOff).i16x8Splat().set(off);
  f.i32(0).set(row);
  f.block(() =>
    f.loop(() => {
      f.get(row).get(rows).i32GeS().brIf(1);
      f.get(col).get(row).get(colStride).i32Mul().i32Add().set(x);
      f.i32(0).set(o);
      // four channels at a time
      f.block(() =>
        f.loop(() => {
          f.get(o).i32(4).i32Add().get(channels).i32GtS().brIf(1);
          for (const v of a) f.v128Zero().set(v);
          f.get(w).get(o).get(k8).i32Mul().i32Add().set(w0);
          f.i32(0).set(k);
          f.block(() =>
            f.loop(() => {
              f.get(k).get(k8).i32GeS().brIf(1);
              f.get(x).get(k).i32Add().i16x8Load8x8s().get(off).i16x8Add().set(xv);
              a.forEach((v, j) => {
                f.get(v).get(xv);
                f.get(w0).get(k).i32Add().get(k8).i32(j).i32Mul().i32Add().i16x8Load8x8s();
                f.i32x4DotI16x8s().i32x4Add().set(v);
              });
              f.get(k).i32(8).i32Add().set(k);
              f.br(0);
            }),
          );
          a.forEach((v) => {
            horizontalSum(v);
            biasPlus();
            f.set(acc);
            requantStore(f, locals, params, outAddr);
            f.get(o).i32(1).i32Add().set(o);
          });
          f.br(0);
        }),
      );
      // remaining channels one at a time
      f.block(() =>
        f.loop(() => {
          f.get(o).get(channels).i32GeS().brIf(1);
          f.v128Zero().set(a[0]);
          f.get(w).get(o).get(k8).i32Mul().i32Add().set(w0);
          f.i32(0).set(k);
          f.block(() =>
            f.loop(() => {
              f.get(k).get(k8).i32GeS().brIf(1);
              f.get(a[0]);
              f.get(x).get(k).i32Add().i16x8Load8x8s().get(off).i16x8Add();
              f.get(w0).get(k).i32Add().i16x8Load8x8s();
              f.i32x4DotI16x8s().i32x4Add().set(a[0]);
              f.get(k).i32(8).i32Add().set(k);
              f.br(0);
            }),
          );
          horizontalSum(a[0]);
          biasPlus();
          f.set(acc);
          requantStore(f, locals, params, outAddr);
          f.get(o).i32(1).i32Add().set(o);
          f.br(0);
        }),
      );
      f.get(row).i32(1).i32Add().set(row);
      f.br(0);
    }),
  );
  void lane;
  return f;
}

function dwInt8(): FunctionBuilder {
  // (in, inH, inW, c, c8, w, fh, fw, sw, dh, dw, iy0, padW, out, outW,
  //  bias, mult, lshift, rshift, inOff, outOff, min, max, tmp)
  const f = new FunctionBuilder('dw_int8', new Array(24).fill('i32'), []);
  const [inp, inH, inW, c, c8, w, fh, fw, sw, dh, dw, iy0, padW, out, outW] = Array.from(
    { length: 15 },
    (_, i) => i,
  );
  const [bias, mult, lshift, rshift, inOff, outOff, min, max, tmp] = Array.from(
    { length: 9 },
    (_, i) => 15 + i,
  );
  const ox = f.local('i32');
  const ix0 = f.local('i32');
  const ky0 = f.local('i32');
  const ky1 = f.local('i32');
  const kx0 = f.local('i32');
  const kx1 = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const cb = f.local('i32');
  const inRow = f.local('i32');
  const wRow = f.local('i32');
  const o = f.local('i32');
  const acc = f.local('i32');
  const q = f.local('i32');
  const r = f.local('i32');
  const mask = f.local('i32');
  const ab = f.local('i64');
  const off = f.local('v128');
  const xv = f.local('v128');
  const wv = f.local('v128');
  const lo = f.local('v128');
  const hi = f.local('v128');
  const locals = { acc, o, q, r, mask, ab };
  const params = { mult, lshift, rshift, outOff, min, max };
  // first tap k with origin + d * k >= 0: origin >= 0 ? 0 : (-origin + d - 1) / d
  const tapStart = (origin: number, d: number, into: number) => {
    f.i32(0).get(d).i32(1).i32Sub().get(origin).i32Sub().get(d).i32DivS();
    f.get(origin).i32(0).i32GeS().select().set(into);
  };
  // one past the last tap with origin + d * k < size: clamp((size - origin + d - 1) / d, 0, filter)
  const tapEnd = (origin: number, d: number, size: number, filter: number, into: number) => {
    f.get(size).get(origin).i32Sub().get(d).i32Add().i32(1).i32Sub().get(d).i32DivS().set(into);
    f.i32(0).get(into).get(size).get(origin).i32Sub().i32(0).i32LeS().select().set(into);
    f.get(filter).get(into).get(into).get(filter).i32GtS().select().set(into);
  };

  f.get(inOff).i16x8Splat().set(off);
  tapStart(iy0, dh, ky0);
  tapEnd(iy0, dh, inH, fh, ky1);
  f.i32(0).set(ox);
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
              // input row of tap ky: in + ((iy0 + dh * ky) * inW) * c + cb
              f.get(inp)
                .get(iy0)
                .get(dh)
                .get(ky)
                .i32Mul()
                .i32Add()
                .get(inW)
                .i32Mul()
                .get(c)
                .i32Mul()
                .i32Add();
              f.get(cb).i32Add().set(inRow);
              f.get(w)
                .get(ky)
                .get(fw)
                .i32Mul()
                .get(c8)
                .i32Mul()
                .i32Add()
                .get(cb)
                .i32Add()
                .set(wRow);
              f.get(kx0).set(kx);
              f.block(() =>
                f.loop(() => {
                  f.get(kx).get(kx1).i32GeS().brIf(1);
                  // x at column ix0 + dw * kx
                  f.get(inRow).get(ix0).get(dw).get(kx).i32Mul().i32Add().get(c).i32Mul().i32Add();
                  f.i16x8Load8x8s().get(off).i16x8Add().set(xv);
                  f.get(wRow).get(kx).get(c8).i32Mul().i32Add().i16x8Load8x8s().set(wv);
                  f.get(lo).get(xv).get(wv).i32x4ExtmulLowI16x8s().i32x4Add().set(lo);
                  f.get(hi).get(xv).get(wv).i32x4ExtmulHighI16x8s().i32x4Add().set(hi);
                  f.get(kx).i32(1).i32Add().set(kx);
                  f.br(0);
                }),
              );
              f.get(ky).i32(1).i32Add().set(ky);
              f.br(0);
            }),
          );
          f.get(tmp).get(cb).i32(2).i32Shl().i32Add().get(lo).v128Store();
          f.get(tmp).get(cb).i32(2).i32Shl().i32Add().get(hi).v128Store(16);
          f.get(cb).i32(8).i32Add().set(cb);
          f.br(0);
        }),
      );
      // requantize the pixel's channels
      f.i32(0).set(o);
      f.block(() =>
        f.loop(() => {
          f.get(o).get(c).i32GeS().brIf(1);
          f.get(tmp).get(o).i32(2).i32Shl().i32Add().i32Load();
          f.get(bias).get(o).i32(2).i32Shl().i32Add().i32Load().i32Add().set(acc);
          requantStore(f, locals, params, () =>
            f.get(out).get(ox).get(c).i32Mul().i32Add().get(o).i32Add(),
          );
          f.get(o).i32(1).i32Add().set(o);
          f.br(0);
        }),
      );
      f.get(ox).i32(1).i32Add().set(ox);
      f.br(0);
    }),
  );
  return f;
}

export interface Int8Kernels {
  memory: WebAssembly.Memory;
  gemm: (...args: number[]) => void;
  dw: (...args: number[]) => void;
}

let cachedModule: WebAssembly.Module | null | undefined;

/** The compiled module, or null when this engine has no WebAssembly SIMD. */
export function int8KernelModule(): WebAssembly.Module | null {
  if (cachedModule !== undefined) return cachedModule;
  try {
    const bytes = assembleModule([gemmInt8(), dwInt8()]);
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
    dw: instance.exports.dw_int8 as (...args: number[]) => void,
  };
}
