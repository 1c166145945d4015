/**
 * A small WebAssembly binary writer: enough of the format (WebAssembly Core
 * Specification 2.0, chapter 5 "Binary Format", and the fixed-width SIMD
 * encodings under the 0xFD prefix) to build the interpreter's SIMD kernels at
 * run time without a toolchain. Functions import one shared linear memory;
 * instructions are appended through named methods so the kernels read like
 * the text format.
 */

export type ValType = 'i32' | 'i64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, v128: 0x7b };

function uleb(n: number, out: number[]): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function sleb(n: bigint, out: number[]): void {
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function vec(items: number[][], out: number[]): void {
  uleb(items.length, out);
  for (const it of items) out.push(...it);
}

export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(
    readonly name: string,
    readonly params: ValType[],
    readonly results: ValType[],
  ) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    this.code.push(...imm);
    return this;
  }

  private mem(opcode: number, align: number, offset: number): this {
    this.code.push(opcode);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }

  private simdMem(opcode: number, align: number, offset: number): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }

  // Control (structured: the callback emits the body).
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(depth, this.code);
    return this;
  }
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(depth, this.code);
    return this;
  }
  select(): this {
    return this.op(0x1b);
  }

  // Locals and constants.
  get(i: number): this {
    this.op(0x20);
    uleb(i, this.code);
    return this;
  }
  set(i: number): this {
    this.op(0x21);
    uleb(i, this.code);
    return this;
  }
  tee(i: number): this {
    this.op(0x22);
    uleb(i, this.code);
    return this;
  }
  i32(v: number): this {
    this.op(0x41);
    sleb(BigInt(v | 0), this.code);
    return this;
  }
  i64(v: bigint): this {
    this.op(0x42);
    sleb(BigInt.asIntN(64, v), this.code);
    return this;
  }

  // i32
  i32Load(offset = 0): this {
    return this.mem(0x28, 2, offset);
  }
  i32Load8s(offset = 0): this {
    return this.mem(0x2c, 0, offset);
  }
  i32Load8u(offset = 0): this {
    return this.mem(0x2d, 0, offset);
  }
  i32Load16s(offset = 0): this {
    return this.mem(0x2e, 1, offset);
  }
  i32Store(offset = 0): this {
    return this.mem(0x36, 2, offset);
  }
  i32Store8(offset = 0): this {
    return this.mem(0x3a, 0, offset);
  }
  i32Store16(offset = 0): this {
    return this.mem(0x3b, 1, offset);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32Eq(): this {
    return this.op(0x46);
  }
  i32Ne(): this {
    return this.op(0x47);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32GtS(): this {
    return this.op(0x4a);
  }
  i32LeS(): this {
    return this.op(0x4c);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32DivS(): this {
    return this.op(0x6d);
  }
  i32And(): this {
    return this.op(0x71);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32ShrS(): this {
    return this.op(0x75);
  }

  // i64
  i64Load(offset = 0): this {
    return this.mem(0x29, 3, offset);
  }
  i64Add(): this {
    return this.op(0x7c);
  }
  i64Mul(): this {
    return this.op(0x7e);
  }
  i64DivS(): this {
    return this.op(0x7f);
  }
  i64ShrS(): this {
    return this.op(0x87);
  }
  i64GeS(): this {
    return this.op(0x59);
  }
  i64ExtendI32S(): this {
    return this.op(0xac);
  }
  i32WrapI64(): this {
    return this.op(0xa7);
  }

  // SIMD (opcodes of the fixed-width SIMD proposal, merged in Wasm 2.0)
  v128Load(offset = 0): this {
    return this.simdMem(0x00, 4, offset);
  }
  i16x8Load8x8s(offset = 0): this {
    return this.simdMem(0x01, 3, offset);
  }
  v128Store(offset = 0): this {
    return this.simdMem(0x0b, 4, offset);
  }
  /** v128.load32_splat: one 32-bit value (an f32) in every lane. */
  v128Load32Splat(offset = 0): this {
    return this.simdMem(0x09, 2, offset);
  }
  f32x4Add(): this {
    return this.simd(0xe4);
  }
  /** f32x4.convert_i32x4_s: each int32 lane to the nearest float32 (as C++ static_cast<float>). */
  f32x4ConvertI32x4s(): this {
    return this.simd(0xfa);
  }
  f32x4Mul(): this {
    return this.simd(0xe6);
  }
  /** f32x4.pmin(a, b) = b < a ? b : a per lane: C++ std::min(a, b). */
  f32x4Pmin(): this {
    return this.simd(0xea);
  }
  /** f32x4.pmax(a, b) = a < b ? b : a per lane: C++ std::max(a, b). */
  f32x4Pmax(): this {
    return this.simd(0xeb);
  }
  v128Zero(): this {
    this.simd(0x0c);
    this.code.push(...new Array<number>(16).fill(0));
    return this;
  }
  i8x16Splat(): this {
    return this.simd(0x0f);
  }
  i16x8Splat(): this {
    return this.simd(0x10);
  }
  i32x4Splat(): this {
    return this.simd(0x11);
  }
  i32x4ExtractLane(lane: number): this {
    return this.simd(0x1b, lane);
  }
  i64x2Splat(): this {
    return this.simd(0x12);
  }
  /** i8x16.shuffle: result byte i is byte lanes[i] of the 32-byte concatenation a ++ b. */
  i8x16Shuffle(lanes: number[]): this {
    return this.simd(0x0d, ...lanes);
  }
  v128And(): this {
    return this.simd(0x4e);
  }
  v128Bitselect(): this {
    return this.simd(0x52);
  }
  i32x4LtS(): this {
    return this.simd(0x39);
  }
  i32x4GtS(): this {
    return this.simd(0x3b);
  }
  i32x4Sub(): this {
    return this.simd(0xb1);
  }
  v128Store64Lane(lane: number, offset = 0): this {
    this.code.push(0xfd);
    uleb(0x5b, this.code);
    uleb(3, this.code);
    uleb(offset, this.code);
    this.code.push(lane);
    return this;
  }
  v128Store32Lane(lane: number, offset = 0): this {
    this.code.push(0xfd);
    uleb(0x5a, this.code);
    uleb(2, this.code);
    uleb(offset, this.code);
    this.code.push(lane);
    return this;
  }
  i8x16NarrowI16x8s(): this {
    return this.simd(0x65);
  }
  i16x8NarrowI32x4s(): this {
    return this.simd(0x85);
  }
  i32x4Mul(): this {
    return this.simd(0xb5);
  }
  i32x4MinS(): this {
    return this.simd(0xb6);
  }
  i32x4MaxS(): this {
    return this.simd(0xb8);
  }
  i64x2ShrS(): this {
    return this.simd(0xcc);
  }
  i64x2ShrU(): this {
    return this.simd(0xcd);
  }
  i64x2LtS(): this {
    return this.simd(0xd8);
  }
  i64x2ExtendLowI32x4s(): this {
    return this.simd(0xc7);
  }
  i64x2ExtendHighI32x4s(): this {
    return this.simd(0xc8);
  }
  i32x4ShrS(): this {
    return this.simd(0xac);
  }
  i64x2Add(): this {
    return this.simd(0xce);
  }
  i64x2Mul(): this {
    return this.simd(0xd5);
  }
  i64x2ExtmulLowI32x4s(): this {
    return this.simd(0xdc);
  }
  i64x2ExtmulHighI32x4s(): this {
    return this.simd(0xdd);
  }
  i16x8Add(): this {
    return this.simd(0x8e);
  }
  i16x8Mul(): this {
    return this.simd(0x95);
  }
  i32x4ExtendLowI16x8s(): this {
    return this.simd(0xa7);
  }
  i32x4ExtendHighI16x8s(): this {
    return this.simd(0xa8);
  }
  i32x4Add(): this {
    return this.simd(0xae);
  }
  i32x4DotI16x8s(): this {
    return this.simd(0xba);
  }
  i32x4ExtmulLowI16x8s(): this {
    return this.simd(0xbc);
  }
  i32x4ExtmulHighI16x8s(): this {
    return this.simd(0xbd);
  }

  /** The function body: local declarations, code, end. */
  body(): number[] {
    const out: number[] = [];
    const groups: number[][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === VALTYPE[t]) last[0]++;
      else groups.push([1, VALTYPE[t]]);
    }
    uleb(groups.length, out);
    for (const [n, t] of groups) {
      uleb(n, out);
      out.push(t);
    }
    out.push(...this.code, 0x0b);
    return out;
  }
}

/** A module of exported functions over one imported memory ("env" "memory"). */
export function assembleModule(functions: FunctionBuilder[]): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: number[]) => {
    out.push(id);
    uleb(content.length, out);
    out.push(...content);
  };
  const name = (s: string) => {
    const bytes = [...Buffer.from(s, 'utf8')];
    const o: number[] = [];
    uleb(bytes.length, o);
    return [...o, ...bytes];
  };
  const types = functions.map((f) => {
    const t = [0x60];
    vec(
      f.params.map((p) => [VALTYPE[p]]),
      t,
    );
    vec(
      f.results.map((r) => [VALTYPE[r]]),
      t,
    );
    return t;
  });
  const typeSec: number[] = [];
  vec(types, typeSec);
  section(1, typeSec);
  // import "env" "memory" (memory, min 1 page, no max)
  const importSec: number[] = [];
  vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]], importSec);
  section(2, importSec);
  const funcSec: number[] = [];
  vec(
    functions.map((_, i) => {
      const o: number[] = [];
      uleb(i, o);
      return o;
    }),
    funcSec,
  );
  section(3, funcSec);
  const exportSec: number[] = [];
  vec(
    functions.map((f, i) => {
      const o = [...name(f.name), 0x00];
      uleb(i, o);
      return o;
    }),
    exportSec,
  );
  section(7, exportSec);
  const codeSec: number[] = [];
  vec(
    functions.map((f) => {
      const b = f.body();
      const o: number[] = [];
      uleb(b.length, o);
      return [...o, ...b];
    }),
    codeSec,
  );
  section(10, codeSec);
  return new Uint8Array(out);
}
