/**
 * gemm_int8_lanes: the int8 gemm of gemm_int8 (int8-kernels.ts) with output
 * channels in the lanes, for layers whose channel count is a multiple of 16:
 *   out[r][o] = clamp(out_zp + MBQM(bias[o] + sum_k w[o][k] * x[r][k]))
 * (input offset folded into the bias by the caller, as for gemm_int8).
 *
 * gemm_int8 puts eight input values in the lanes and needs a horizontal sum
 * (reduce4, nine vector instructions) per four outputs, which costs more than
 * the dot products when a layer has 8 or 16 input channels. Here each
 * i32x4.dot_i16x8_s multiplies one pair of inputs (x[k], x[k+1]), splatted to
 * every lane, by the pair's weights of four output channels, so lane i
 * accumulates output channel o + i directly: no horizontal sums, and the 16
 * int32 results of a pixel are requantized as four groups (requantize.ts)
 * and narrowed into one 16-byte store.
 *
 * Weights (packLanesWeights): blocks of 16 output channels, each
 * [depth8 / 2 pairs][16 channels][2 inputs] int8, zero beyond the real depth,
 * so whatever x holds there adds nothing. Two rows per pass share each
 * weight load (8 accumulators, 2 splats, 1 weight vector live: 11 of the 16
 * vector registers of x86-64).
 */
import { FunctionBuilder } from './assembler';
import { forRowPairs } from './int8-kernels';
import {
  initRequant,
  loadBias,
  REQUANT_GROUP_BYTES,
  requantize,
  requantLocals,
  requantRecord,
} from './requantize';

/** Broadcasts i32 lane `j` of a vector (a pshufd). */
function lane32(j: number): number[] {
  const bytes = [4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3];
  return [...bytes, ...bytes, ...bytes, ...bytes];
}

export function gemmInt8Lanes(): FunctionBuilder {
  // gemm_int8's parameters: (col, colStride, rows, w, depth8, channels, params, inOff (unused:
  // folded into the bias), outOff, min, max, out, outStride)
  const f = new FunctionBuilder('gemm_int8_lanes', new Array(13).fill('i32'), []);
  const [col, colStride, rows, w, depth8, channels, params, , outOff, min, max, out, outStride] =
    Array.from({ length: 13 }, (_, i) => i);
  const row = f.local('i32');
  const o = f.local('i32');
  const k = f.local('i32');
  const x0 = f.local('i32');
  const x1 = f.local('i32');
  const wb = f.local('i32');
  const wp = f.local('i32');
  const xv = [f.local('v128'), f.local('v128')];
  const s = [f.local('v128'), f.local('v128')];
  const wv = f.local('v128');
  const acc = [0, 1].map(() => [0, 1, 2, 3].map(() => f.local('v128')));
  const rl = requantLocals(f);
  // the record of the group at o + 4 * group: params + o * 32 + group * 128
  let group = 0;
  const record = () => {
    requantRecord(f, params, o);
    if (group) f.i32(group * REQUANT_GROUP_BYTES).i32Add();
  };

  const channelBlocks = (rowsNow: 1 | 2) => {
    const xs = rowsNow === 2 ? [x0, x1] : [x0];
    f.i32(0).set(o);
    f.get(w).set(wb);
    f.block(() =>
      f.loop(() => {
        f.get(o).get(channels).i32GeS().brIf(1);
        // the sums start from the biases (requantize then skips adding them)
        for (let r = 0; r < rowsNow; r++) {
          acc[r].forEach((v, g) => {
            loadBias(f, () => requantRecord(f, params, o), g * REQUANT_GROUP_BYTES);
            f.set(v);
          });
        }
        f.i32(0).set(k);
        f.get(wb).set(wp);
        f.block(() =>
          f.loop(() => {
            f.get(k).get(depth8).i32GeS().brIf(1);
            xs.forEach((x, r) => f.get(x).get(k).i32Add().i16x8Load8x8s().set(xv[r]));
            for (let j = 0; j < 4; j++) {
              for (let r = 0; r < rowsNow; r++) {
                f.get(xv[r]).get(xv[r]).i8x16Shuffle(lane32(j)).set(s[r]);
              }
              for (let v = 0; v < 4; v++) {
                f.get(wp)
                  .i16x8Load8x8s(j * 32 + v * 8)
                  .set(wv);
                for (let r = 0; r < rowsNow; r++) {
                  f.get(acc[r][v]).get(s[r]).get(wv).i32x4DotI16x8s().i32x4Add().set(acc[r][v]);
                }
              }
            }
            f.get(k).i32(8).i32Add().set(k);
            f.get(wp).i32(128).i32Add().set(wp);
            f.br(0);
          }),
        );
        for (let r = 0; r < rowsNow; r++) {
          for (group = 0; group < 4; group++) requantize(f, acc[r][group], record, rl, true);
          group = 0;
          f.get(out).get(row);
          if (r) f.i32(r).i32Add();
          f.get(outStride).i32Mul().i32Add().get(o).i32Add();
          f.get(acc[r][0]).get(acc[r][1]).i16x8NarrowI32x4s();
          f.get(acc[r][2]).get(acc[r][3]).i16x8NarrowI32x4s();
          f.i8x16NarrowI16x8s().v128Store();
        }
        f.get(o).i32(16).i32Add().set(o);
        f.get(wb).get(depth8).i32(4).i32Shl().i32Add().set(wb);
        f.br(0);
      }),
    );
  };

  initRequant(f, rl, outOff, min, max);
  forRowPairs(f, { col, colStride, rows, row, x0, x1 }, channelBlocks);
  return f;
}

/**
 * Weights [channels][depth] int8 (channels a multiple of 16) in the layout
 * gemm_int8_lanes reads: block b, pair p, channel c, input i at
 * b * depth8 * 16 + p * 32 + c * 2 + i.
 */
export function packLanesWeights(
  weights: Int8Array,
  channels: number,
  depth: number,
  depth8: number,
  into: Int8Array,
): void {
  into.fill(0);
  for (let o = 0; o < channels; o++) {
    const block = (o >> 4) * depth8 * 16 + (o & 15) * 2;
    for (let kk = 0; kk < depth; kk++) {
      into[block + (kk >> 1) * 32 + (kk & 1)] = weights[o * depth + kk];
    }
  }
}
