/**
 * The int16 x int8 ("16x8") inner loops of CONV_2D as WebAssembly SIMD, built
 * with assembler.ts, equal to the reference (kernels/internal/reference/
 * integer_ops/conv.h, the int16 overload; quant/multiplier.ts
 * multiplyByQuantizedMultiplier64):
 *
 * gemm_i16: raw[r][o] = sum_k w[o][k] * x[r][k] as int32, x int16, w int8
 *   widened to int16 by bind (rows of depth8 values, zero past the real depth
 *   and for channels past `channels` up to a multiple of 4). Eight products
 *   per i32x4.dot_i16x8_s, four output channels and two rows per pass (each
 *   weight load serves two rows, each input load four channels). The caller
 *   checks that every channel's sum of |w| times 2^15 stays below 2^31, so no
 *   partial sum wraps: the int32 sums are the exact integers.
 * requant_i16: out[r][o] = clamp(int32((raw[r][o] + bias[o]) * m[o] + 2^(s[o]-1)) >> s[o])
 *   in 64-bit scalar arithmetic, which is TFLM's int64 MultiplyByQuantizedMultiplier
 *   (m the multiplier reduced to 16 bits, s = 15 - shift) as long as the
 *   product stays inside int64 (|raw + bias| < 2^47, the caller checks).
 *   Records of 32 bytes per channel: bias, m, 2^(s-1), s as i64.
 */
import { FunctionBuilder } from './assembler';
import { forRowPairs, reduce4 } from './int8-kernels';

export const REQUANT16_RECORD_BYTES = 32;

function gemmI16(): FunctionBuilder {
  // (col, colStride, rows, w, depth8, channels, raw, rawStride); strides in bytes
  const f = new FunctionBuilder('gemm_i16', new Array(8).fill('i32'), []);
  const [col, colStride, rows, w, depth8, channels, raw, rawStride] = Array.from(
    { length: 8 },
    (_, i) => i,
  );
  const row = f.local('i32');
  const o = f.local('i32');
  const k = f.local('i32');
  const kEnd = f.local('i32');
  const x0 = f.local('i32');
  const x1 = f.local('i32');
  const wp = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const xv0 = f.local('v128');
  const xv1 = f.local('v128');
  const wv = f.local('v128');
  const a = [0, 1, 2, 3].map(() => f.local('v128'));
  const b = [0, 1, 2, 3].map(() => f.local('v128'));
  const t0 = f.local('v128');
  const t1 = f.local('v128');
  const store = (acc: number[], r: number) => {
    reduce4(f, acc, t0, t1, acc[0]);
    f.get(raw).get(row).i32(r).i32Add().get(rawStride).i32Mul().i32Add();
    f.get(o).i32(4).i32Mul().i32Add();
    f.get(acc[0]).v128Store();
  };
  const channelLoop = (rowsNow: 1 | 2) => {
    f.i32(0).set(o);
    f.block(() =>
      f.loop(() => {
        f.get(o).get(channels).i32GeS().brIf(1);
        for (const v of a) f.v128Zero().set(v);
        if (rowsNow === 2) for (const v of b) f.v128Zero().set(v);
        // weight rows of depth8 int16 values (2 * depth8 bytes)
        wp.forEach((p, j) =>
          f.get(w).get(o).i32(j).i32Add().get(depth8).i32Mul().i32(1).i32Shl().i32Add().set(p),
        );
        f.i32(0).set(k);
        f.block(() =>
          f.loop(() => {
            f.get(k).get(kEnd).i32GeS().brIf(1);
            f.get(x0).get(k).i32Add().v128Load().set(xv0);
            if (rowsNow === 2) f.get(x1).get(k).i32Add().v128Load().set(xv1);
            wp.forEach((p, j) => {
              f.get(p).get(k).i32Add().v128Load().set(wv);
              f.get(a[j]).get(xv0).get(wv).i32x4DotI16x8s().i32x4Add().set(a[j]);
              if (rowsNow === 2) f.get(b[j]).get(xv1).get(wv).i32x4DotI16x8s().i32x4Add().set(b[j]);
            });
            f.get(k).i32(16).i32Add().set(k);
            f.br(0);
          }),
        );
        store(a, 0);
        if (rowsNow === 2) store(b, 1);
        f.get(o).i32(4).i32Add().set(o);
        f.br(0);
      }),
    );
  };
  f.get(depth8).i32(1).i32Shl().set(kEnd);
  forRowPairs(f, { col, colStride, rows, row, x0, x1 }, channelLoop);
  return f;
}

function requantI16(): FunctionBuilder {
  // (raw, rows, channels, rawStride, params, min, max, out, outStride); strides in bytes
  const f = new FunctionBuilder('requant_i16', new Array(9).fill('i32'), []);
  const [raw, rows, channels, rawStride, params, min, max, out, outStride] = Array.from(
    { length: 9 },
    (_, i) => i,
  );
  const row = f.local('i32');
  const o = f.local('i32');
  const rec = f.local('i32');
  const v = f.local('i32');
  f.i32(0).set(row);
  f.block(() =>
    f.loop(() => {
      f.get(row).get(rows).i32GeS().brIf(1);
      f.i32(0).set(o);
      f.get(params).set(rec);
      f.block(() =>
        f.loop(() => {
          f.get(o).get(channels).i32GeS().brIf(1);
          // ((raw + bias) * m + 2^(s-1)) >> s, then int32 as C++'s truncation
          f.get(raw).get(row).get(rawStride).i32Mul().i32Add().get(o).i32(2).i32Shl().i32Add();
          f.i32Load().i64ExtendI32S();
          f.get(rec).i64Load(0).i64Add();
          f.get(rec).i64Load(8).i64Mul();
          f.get(rec).i64Load(16).i64Add();
          f.get(rec).i64Load(24).i64ShrS().i32WrapI64().set(v);
          f.get(min).get(v).get(v).get(min).i32LtS().select().set(v);
          f.get(max).get(v).get(v).get(max).i32GtS().select().set(v);
          f.get(out).get(row).get(outStride).i32Mul().i32Add().get(o).i32(1).i32Shl().i32Add();
          f.get(v).i32Store16();
          f.get(rec).i32(REQUANT16_RECORD_BYTES).i32Add().set(rec);
          f.get(o).i32(1).i32Add().set(o);
          f.br(0);
        }),
      );
      f.get(row).i32(1).i32Add().set(row);
      f.br(0);
    }),
  );
  return f;
}

export function int16KernelBuilders(): FunctionBuilder[] {
  return [gemmI16(), requantI16()];
}
