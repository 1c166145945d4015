/**
 * Requantization of four int32 accumulators at once for the int8 SIMD
 * kernels (int8-kernels.ts): TFLM's double-rounding
 * MultiplyByQuantizedMultiplier (quant/multiplier.ts), then the output offset
 * and the clamp, exactly.
 *
 * requantize() reads a 128-byte record per group of four channels, packed by
 * packRequantParams() (i32x4 each; left and e = right the two halves of
 * TFLM's shift):
 *   0 bias | 16 2^left | 32 multiplier | 48 P | 64 | 80 | 96 | 112 [fast, emax, 0, 0]
 * With x = (acc + bias) * 2^left (wrapping, as TFLM's shift does):
 *   SaturatingRoundingDoublingHighMul(x, m) = q = floor((x * m + 2^30) / 2^31):
 *     TFLM's nudge 1 - 2^30 for negative products followed by a division that
 *     truncates towards zero is the same floor (multipliers are >= 0, so the
 *     saturating case never arises). 64-bit products come from
 *     i64x2.extmul_*_i32x4_s; only the low 32 bits of each shifted product
 *     are kept, so logical 64-bit shifts (single x86 instructions, unlike
 *     arithmetic ones before AVX-512) serve.
 *   RoundingDivideByPOT(q, e) = (q >> e) + [(q & mask) > (mask >> 1) + [q < 0]]
 *     (gemmlowp's form, mask = 2^e - 1) = floor((q + 2^(e-1) - [q < 0]) / 2^e)
 *     for e >= 1. WebAssembly has no per-lane variable shift, so:
 *   - general groups: P = 2^(31-e) (0 for e = 0), 64 mask, 80 mask >> 1,
 *     96 all ones where e = 0; q >> e per lane is (q * P) >> 31 (a second
 *     64-bit multiply), and gemmlowp's form as written.
 *   - fast groups (fast = 1): every shift <= 0 (left = 0, no multiply), and
 *     with emax = max(1, the group's largest e), P = 2^(emax-e) lifts every
 *     lane to the group's shift, 64 = 2^(emax-1) splatted:
 *       result = (q * P + 2^(emax-1) - [q < 0]) >> emax   (one i32x4.shr_s).
 *     For e >= 1 this is floor((q * 2^d + 2^(emax-1) - s) / 2^emax), d = emax - e,
 *     s = [q < 0], which equals floor((q + 2^(e-1) - s) / 2^e): the two
 *     numerators differ by s * (2^d - 1), and no multiple of 2^emax lies
 *     between them since both 2^emax and q * 2^d + 2^(emax-1) are multiples
 *     of 2^d. For e = 0 it gives q + floor((2^(emax-1) - s) / 2^emax) = q.
 *     Exact only while q * P + 2^(emax-1) fits int32: packRequantParams
 *     makes a group fast only when the caller's bound on |acc + bias|
 *     (|q| <= that + 1, as m < 2^31) guarantees it.
 */
import type { FunctionBuilder } from './assembler';

export const REQUANT_GROUP_BYTES = 128;

/** Bytes of the packed records of `channels` channels. */
export function requantParamsBytes(channels: number): number {
  return Math.ceil(channels / 4) * REQUANT_GROUP_BYTES;
}

/** Pushes the address of the record of the group of channel `o` (a multiple of 4). */
export function requantRecord(f: FunctionBuilder, params: number, o: number): void {
  // (o / 4) * 128
  f.get(params).get(o).i32(5).i32Shl().i32Add();
}

/**
 * Whether a group of channels [o0, o1) can take the fast form: every shift
 * <= 0 and |q| * 2^(emax - e) + 2^(emax-1) < 2^31 for the bound on |q|.
 */
function fastShift(
  shift: ArrayLike<number>,
  accBound: ArrayLike<number>,
  o0: number,
  o1: number,
): number {
  let emax = 1;
  for (let o = o0; o < o1; o++) {
    if (shift[o] > 0) return 0;
    emax = Math.max(emax, -shift[o]);
  }
  for (let o = o0; o < o1; o++) {
    const q = accBound[o] + 1;
    if (q * 2 ** (emax + shift[o]) + 2 ** (emax - 1) >= 2 ** 31) return 0;
  }
  return emax;
}

/**
 * Packs per-channel bias and (multiplier, shift) into the records
 * requantize() reads. `accBound[o]`, when given, bounds |acc + bias| of
 * channel o over every input (from the constant weights); groups whose
 * bound allows it take the fast form.
 */
export function packRequantParams(
  bias: ArrayLike<number>,
  multiplier: ArrayLike<number>,
  shift: ArrayLike<number>,
  channels: number,
  accBound?: ArrayLike<number>,
): Uint8Array {
  const groups = Math.ceil(channels / 4);
  const bytes = new Uint8Array(groups * REQUANT_GROUP_BYTES);
  const view = new DataView(bytes.buffer);
  for (let g = 0; g < groups; g++) {
    const o1 = Math.min(channels, 4 * g + 4);
    const emax = accBound ? fastShift(shift, accBound, 4 * g, o1) : 0;
    const group = g * REQUANT_GROUP_BYTES;
    if (emax > 0) {
      view.setInt32(group + 112, 1, true);
      view.setInt32(group + 116, emax, true);
    }
    for (let lane = 0; lane < 4; lane++) {
      const o = 4 * g + lane;
      const base = group + lane * 4;
      if (o >= o1) {
        // padding lanes: bias and multiplier 0, so q = 0
        if (emax > 0) view.setInt32(base + 48, 1, true);
        continue;
      }
      view.setInt32(base, bias[o] | 0, true);
      view.setInt32(base + 32, multiplier[o], true);
      if (emax > 0) {
        view.setInt32(base + 48, 2 ** (emax + shift[o]), true);
        view.setInt32(base + 64, 2 ** (emax - 1), true);
        continue;
      }
      const left = shift[o] > 0 ? shift[o] : 0;
      const right = shift[o] > 0 ? 0 : -shift[o];
      const mask = right === 31 ? 0x7fffffff : (1 << right) - 1;
      view.setInt32(base + 16, (2 ** left) | 0, true);
      view.setInt32(base + 48, right > 0 ? 2 ** (31 - right) : 0, true);
      view.setInt32(base + 64, mask, true);
      view.setInt32(base + 80, mask >> 1, true);
      view.setInt32(base + 96, right === 0 ? -1 : 0, true);
    }
  }
  return bytes;
}

export interface RequantLocals {
  x: number;
  t: number;
  lo: number;
  hi: number;
  /** An all-zero v128 (locals start zeroed and this one is never written). */
  zero: number;
  // Constants splatted once per call (initRequant), not per group.
  c30: number;
  outOff: number;
  min: number;
  max: number;
}

export function requantLocals(f: FunctionBuilder): RequantLocals {
  return {
    x: f.local('v128'),
    t: f.local('v128'),
    lo: f.local('v128'),
    hi: f.local('v128'),
    zero: f.local('v128'),
    c30: f.local('v128'),
    outOff: f.local('v128'),
    min: f.local('v128'),
    max: f.local('v128'),
  };
}

/** Splats the requantization constants into their locals, once per kernel call. */
export function initRequant(
  f: FunctionBuilder,
  l: RequantLocals,
  outOff: number,
  min: number,
  max: number,
): void {
  f.i64(1n << 30n)
    .i64x2Splat()
    .set(l.c30);
  f.get(outOff).i32x4Splat().set(l.outOff);
  f.get(min).i32x4Splat().set(l.min);
  f.get(max).i32x4Splat().set(l.max);
}

const LOW32 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];

/** (v * [record + at]) >> 31 per 64-bit lane (logical), the low 32 bits of the four into `into`. */
function mulShr31(
  f: FunctionBuilder,
  l: RequantLocals,
  v: number,
  load: (offset: number) => void,
  at: number,
  round: boolean,
  into: number,
): void {
  f.get(v);
  load(at);
  f.i64x2ExtmulLowI32x4s();
  if (round) f.get(l.c30).i64x2Add();
  f.i32(31).i64x2ShrU().set(l.lo);
  f.get(v);
  load(at);
  f.i64x2ExtmulHighI32x4s();
  if (round) f.get(l.c30).i64x2Add();
  f.i32(31).i64x2ShrU().set(l.hi);
  f.get(l.lo).get(l.hi).i8x16Shuffle(LOW32).set(into);
}

/**
 * Requantizes the i32x4 in `acc` with the record at the address `record()`
 * pushes and the constants initRequant() splatted (output offset, clamp
 * range); leaves the clamped i32x4 in `acc`. `biasInAcc`: the kernel started
 * its sums from the record's bias (loadBias), saving a load and an add here.
 */
export function requantize(
  f: FunctionBuilder,
  acc: number,
  record: () => void,
  l: RequantLocals,
  biasInAcc = false,
): void {
  const load = (offset: number) => {
    record();
    return f.v128Load(offset);
  };
  // x = acc + bias
  f.get(acc);
  if (!biasInAcc) load(0).i32x4Add();
  f.set(l.x);
  record();
  f.i32Load(112);
  f.if(
    () => {
      // fast: q = floor((x * m + 2^30) / 2^31); (q * P + 2^(emax-1) - [q < 0]) >> emax
      mulShr31(f, l, l.x, load, 32, true, l.x);
      f.get(l.x);
      load(48);
      f.i32x4Mul().set(l.t);
      f.get(l.t);
      load(64);
      f.i32x4Add();
      f.get(l.t).get(l.zero).i32x4LtS().i32x4Add();
      record();
      f.i32Load(116).i32x4ShrS().set(l.t);
    },
    () => {
      // x *= 2^left; q as above
      f.get(l.x);
      load(16);
      f.i32x4Mul().set(l.x);
      mulShr31(f, l, l.x, load, 32, true, l.x);
      // q >> e per lane: (q * 2^(31-e)) >> 31, and q itself where e = 0
      mulShr31(f, l, l.x, load, 48, false, l.t);
      f.get(l.x).get(l.t);
      load(96);
      f.v128Bitselect().set(l.t);
      // + [(q & mask) > (mask >> 1) + [q < 0]]
      f.get(l.t);
      f.get(l.x);
      load(64);
      f.v128And();
      load(80);
      f.get(l.x).get(l.zero).i32x4LtS().i32x4Sub();
      f.i32x4GtS().i32x4Sub().set(l.t);
    },
  );
  f.get(l.t).get(l.outOff).i32x4Add();
  f.get(l.min).i32x4MaxS();
  f.get(l.max).i32x4MinS().set(acc);
}

/** Pushes the bias of the group whose record starts `groupOffset` bytes after the address `record()` pushes. */
export function loadBias(f: FunctionBuilder, record: () => void, groupOffset = 0): void {
  record();
  f.v128Load(groupOffset);
}

/** Stores the low bytes of the first `count` (1..4) lanes of `v` at addr. */
export function storeLanes(f: FunctionBuilder, v: number, addr: () => void, count: number): void {
  f.block(() => {
    for (let lane = 0; lane < 4; lane++) {
      f.get(count).i32(lane).i32LeS().brIf(0);
      addr();
      f.get(v).i32x4ExtractLane(lane).i32Store8(lane);
    }
  });
}

/** Stores four int8 lanes at once (values already clamped). */
export function store4(f: FunctionBuilder, v: number, addr: () => void): void {
  addr();
  f.get(v).get(v).i16x8NarrowI32x4s();
  f.v128Zero().i8x16NarrowI16x8s();
  f.v128Store32Lane(0);
}
