/**
 * Row-wise iteration for element-wise binary ops with NumPy broadcasting
 * (TFLite BroadcastBinaryOpSimple: each input dimension equals the output's
 * or is 1). prepare() builds a plan; eval() walks the output in rows of its
 * innermost dimension, each input advancing by stride 1 or 0 within a row,
 * with row bases from an odometer kept in preallocated arrays, so broadcasting
 * allocates nothing per invoke.
 */
import { KernelError, type NodeContext } from '../kernel';
import type { RuntimeTensor } from '../tensor';

export class BroadcastPlan {
  /** True when both inputs have the output's element count and no dimension broadcasts. */
  readonly same: boolean;
  readonly size: number;
  /** Length of the innermost output dimension. */
  readonly rowLength: number;
  /** Strides of the inputs within a row (0 or 1). */
  readonly rowStride1: number;
  readonly rowStride2: number;
  readonly rows: number;
  // Odometer over the outer dimensions.
  private readonly dims: Int32Array;
  private readonly strides1: Int32Array;
  private readonly strides2: Int32Array;
  private readonly index: Int32Array;
  base1 = 0;
  base2 = 0;
  baseOut = 0;

  constructor(node: NodeContext, a: RuntimeTensor, b: RuntimeTensor, out: RuntimeTensor) {
    const rank = Math.max(a.shape.length, b.shape.length, out.shape.length, 1);
    const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
    const sa = pad(a.shape);
    const sb = pad(b.shape);
    const so = pad(out.shape);
    for (let d = 0; d < rank; d++) {
      const ok = (x: number) => x === so[d] || x === 1;
      if (!ok(sa[d]) || !ok(sb[d]) || so[d] !== Math.max(sa[d], sb[d])) {
        throw new KernelError(
          node,
          `cannot broadcast [${a.shape}] and [${b.shape}] to the output [${out.shape}]`,
        );
      }
    }
    const strideOf = (s: number[]) => {
      const st = new Array<number>(rank).fill(0);
      let acc = 1;
      for (let d = rank - 1; d >= 0; d--) {
        st[d] = s[d] === 1 && so[d] !== 1 ? 0 : acc;
        acc *= s[d];
      }
      return st;
    };
    const st1 = strideOf(sa);
    const st2 = strideOf(sb);
    this.size = so.reduce((x, y) => x * y, 1);
    this.same = sa.every((d, i) => d === so[i]) && sb.every((d, i) => d === so[i]);
    this.rowLength = so[rank - 1];
    this.rowStride1 = sa[rank - 1] === 1 && so[rank - 1] !== 1 ? 0 : 1;
    this.rowStride2 = sb[rank - 1] === 1 && so[rank - 1] !== 1 ? 0 : 1;
    this.rows = this.rowLength === 0 ? 0 : this.size / this.rowLength;
    this.dims = Int32Array.from(so.slice(0, rank - 1));
    this.strides1 = Int32Array.from(st1.slice(0, rank - 1));
    this.strides2 = Int32Array.from(st2.slice(0, rank - 1));
    this.index = new Int32Array(rank - 1);
  }

  /** Positions the bases on the first row. */
  start(): void {
    this.index.fill(0);
    this.base1 = 0;
    this.base2 = 0;
    this.baseOut = 0;
  }

  /** Advances the bases to the next row. */
  next(): void {
    this.baseOut += this.rowLength;
    for (let d = this.dims.length - 1; d >= 0; d--) {
      this.index[d]++;
      this.base1 += this.strides1[d];
      this.base2 += this.strides2[d];
      if (this.index[d] < this.dims[d]) return;
      this.base1 -= this.strides1[d] * this.dims[d];
      this.base2 -= this.strides2[d] * this.dims[d];
      this.index[d] = 0;
    }
  }
}
