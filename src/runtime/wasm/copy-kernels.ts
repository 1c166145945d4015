/**
 * The byte-moving kernels of the int8 and int16 convolutions, built with
 * assembler.ts: im2col rows for the gemms and zero-point framed copies of an
 * input image for the depthwise kernels. They only move bytes (an int16
 * value is two), so one kernel serves every integer type.
 */
import { FunctionBuilder } from './assembler';

/** While n >= step: body(), then every pointer in `advance` and -n move by step. */
function stepLoop(
  f: FunctionBuilder,
  n: number,
  step: number,
  advance: number[],
  body: () => void,
): void {
  f.block(() =>
    f.loop(() => {
      f.get(n).i32(step).i32LtS().brIf(1);
      body();
      for (const p of advance) f.get(p).i32(step).i32Add().set(p);
      f.get(n).i32(step).i32Sub().set(n);
      f.br(0);
    }),
  );
}

/** Copies n bytes src -> dst, 16 at a time, then byte by byte; advances both. */
function copyBytes(f: FunctionBuilder, l: { dst: number; src: number; n: number }): void {
  const { dst, src, n } = l;
  stepLoop(f, n, 16, [src, dst], () => f.get(dst).get(src).v128Load().v128Store());
  stepLoop(f, n, 1, [src, dst], () => f.get(dst).get(src).i32Load8u().i32Store8());
}

/** Writes n bytes of the zero point (zp, and zpv splatted) at dst; advances dst. */
function fillBytes(
  f: FunctionBuilder,
  l: { dst: number; n: number; zp: number; zpv: number },
): void {
  const { dst, n, zp, zpv } = l;
  stepLoop(f, n, 16, [dst], () => f.get(dst).get(zpv).v128Store());
  stepLoop(f, n, 1, [dst], () => f.get(dst).get(zp).i32Store8());
}

/**
 * im2col of one output row for gemm_int8: for each output pixel, its
 * receptive field in [ky][kx][channel] order (the filter's order) at
 * col + ox * depth8, taps outside the image written as the input's zero point
 * (which the gemm's input offset turns into 0, as the reference skips them).
 * A tap row inside the image with dilation 1 is one contiguous copy.
 */
function im2colInt8(): FunctionBuilder {
  // (in, inH, inW, c, fh, fw, sw, dh, dw, iy0, padW, outW, col, depth8, zp)
  const f = new FunctionBuilder('im2col_int8', new Array(15).fill('i32'), []);
  const [inp, inH, inW, c, fh, fw, sw, dh, dw, iy0, padW, outW, col, depth8, zp] = Array.from(
    { length: 15 },
    (_, i) => i,
  );
  const ox = f.local('i32');
  const ix0 = f.local('i32');
  const ky = f.local('i32');
  const kx = f.local('i32');
  const iy = f.local('i32');
  const ix = f.local('i32');
  const dst = f.local('i32');
  const src = f.local('i32');
  const n = f.local('i32');
  const segment = f.local('i32');
  const zpv = f.local('v128');
  const copy = () => copyBytes(f, { dst, src, n });
  const fill = () => fillBytes(f, { dst, n, zp, zpv });
  f.get(zp).i8x16Splat().set(zpv);
  f.get(fw).get(c).i32Mul().set(segment);
  f.i32(0).set(ox);
  f.block(() =>
    f.loop(() => {
      f.get(ox).get(outW).i32GeS().brIf(1);
      f.get(ox).get(sw).i32Mul().get(padW).i32Sub().set(ix0);
      f.get(col).get(ox).get(depth8).i32Mul().i32Add().set(dst);
      f.i32(0).set(ky);
      f.block(() =>
        f.loop(() => {
          f.get(ky).get(fh).i32GeS().brIf(1);
          f.get(iy0).get(dh).get(ky).i32Mul().i32Add().set(iy);
          // (unsigned) iy < inH: the row is inside; the whole tap row is inside too
          // when dilation is 1 and columns ix0 .. ix0 + fw - 1 are.
          f.get(iy).get(inH).i32LtU();
          f.get(dw).i32(1).i32Eq().i32And();
          f.get(ix0).i32(0).i32GeS().i32And();
          f.get(ix0).get(fw).i32Add().get(inW).i32LeS().i32And();
          f.if(
            () => {
              f.get(iy)
                .get(inW)
                .i32Mul()
                .get(ix0)
                .i32Add()
                .get(c)
                .i32Mul()
                .get(inp)
                .i32Add()
                .set(src);
              f.get(segment).set(n);
              copy();
            },
            () => {
              f.i32(0).set(kx);
              f.block(() =>
                f.loop(() => {
                  f.get(kx).get(fw).i32GeS().brIf(1);
                  f.get(ix0).get(dw).get(kx).i32Mul().i32Add().set(ix);
                  f.get(c).set(n);
                  f.get(iy).get(inH).i32LtU().get(ix).get(inW).i32LtU().i32And();
                  f.if(
                    () => {
                      f.get(iy)
                        .get(inW)
                        .i32Mul()
                        .get(ix)
                        .i32Add()
                        .get(c)
                        .i32Mul()
                        .get(inp)
                        .i32Add()
                        .set(src);
                      copy();
                    },
                    () => fill(),
                  );
                  f.get(kx).i32(1).i32Add().set(kx);
                  f.br(0);
                }),
              );
            },
          );
          f.get(ky).i32(1).i32Add().set(ky);
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
 * pad_int8: copies an image of inH rows of rowBytes into dst, outH rows of
 * outRowBytes, starting at row `top` and byte `left` of each row; every other
 * byte is the zero point (which the kernels' input offset turns into 0, as
 * the reference skips taps outside the image). `copyBytes` (at most
 * outRowBytes - left) of each input row are copied.
 */
function padInt8(): FunctionBuilder {
  // (in, inH, rowBytes, copyBytes, out, outH, outRowBytes, top, left, zp)
  const f = new FunctionBuilder('pad_int8', new Array(10).fill('i32'), []);
  const [inp, inH, rowBytes, copyN, out, outH, outRowBytes, top, left, zp] = Array.from(
    { length: 10 },
    (_, i) => i,
  );
  const r = f.local('i32');
  const iy = f.local('i32');
  const dst = f.local('i32');
  const src = f.local('i32');
  const n = f.local('i32');
  const zpv = f.local('v128');
  f.get(zp).i8x16Splat().set(zpv);
  f.get(out).set(dst);
  f.i32(0).set(r);
  f.block(() =>
    f.loop(() => {
      f.get(r).get(outH).i32GeS().brIf(1);
      f.get(r).get(top).i32Sub().set(iy);
      f.get(iy).get(inH).i32LtU();
      f.if(
        () => {
          f.get(left).set(n);
          fillBytes(f, { dst, n, zp, zpv });
          f.get(inp).get(iy).get(rowBytes).i32Mul().i32Add().set(src);
          f.get(copyN).set(n);
          copyBytes(f, { dst, src, n });
          f.get(outRowBytes).get(left).i32Sub().get(copyN).i32Sub().set(n);
          fillBytes(f, { dst, n, zp, zpv });
        },
        () => {
          f.get(outRowBytes).set(n);
          fillBytes(f, { dst, n, zp, zpv });
        },
      );
      f.get(r).i32(1).i32Add().set(r);
      f.br(0);
    }),
  );
  return f;
}

export function copyKernelBuilders(): FunctionBuilder[] {
  return [im2colInt8(), padInt8()];
}
