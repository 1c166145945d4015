/**
 * Magnitude masks (Zhu & Gupta 2017, sec. 3): the weights of smallest
 * absolute value are set to zero until the layer reaches its target
 * sparsity. A weight pruned once stays pruned: previously masked weights are
 * ranked below every live one, so the mask only ever loses ones as the
 * schedule raises the sparsity (the paper's "weights that are masked stay
 * masked"; ties among equal magnitudes go to the lower index, so masks are
 * deterministic).
 */
import { ValidationError } from '../../errors';

/**
 * Number of weights to prune from `n` at `sparsity`: ⌈sparsity × n⌉, so a
 * layer never ends below the sparsity asked for (the 1e-9 absorbs binary
 * rounding such as 0.8 × 320 = 256.00000000000003).
 */
export function prunedCount(n: number, sparsity: number): number {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new ValidationError(`sparsity must be in [0, 1), got ${sparsity}`);
  }
  return Math.min(n, Math.ceil(sparsity * n - 1e-9));
}

/**
 * A 0/1 mask over `values` with ⌈sparsity × n⌉ zeros at the smallest
 * |w|, keeping every zero of `previous`.
 */
export function magnitudeMask(
  values: ArrayLike<number>,
  sparsity: number,
  previous?: ArrayLike<number>,
): Float32Array {
  const n = values.length;
  if (previous && previous.length !== n) {
    throw new ValidationError(
      `magnitude mask: previous mask has ${previous.length} entries, weights ${n}`,
    );
  }
  const k = prunedCount(n, sparsity);
  // Rank key: −1 for already pruned, else |w|; sort ascending, prune the first k.
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = previous && previous[i] === 0 ? -1 : Math.abs(values[i]);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => key[a] - key[b] || a - b);
  const mask = new Float32Array(n).fill(1);
  // Never drop below the previous mask's zeros (a lower target cannot revive weights).
  let zeros = 0;
  if (previous) for (let i = 0; i < n; i++) if (previous[i] === 0) zeros++;
  const cut = Math.max(k, zeros);
  for (let j = 0; j < cut; j++) mask[order[j]] = 0;
  return mask;
}

/**
 * Global magnitude masks: one ranking over the weights of all kernels, so
 * ⌈sparsity × total⌉ weights go wherever they are smallest. Layers whose
 * weights are large (typically the first, with a small fan-in and so a
 * large Glorot scale) keep more; the big, redundant ones give more. Han et
 * al. 2015 found the first layers the most sensitive to pruning; a single
 * threshold is the "global magnitude pruning" of Blalock et al. 2020
 * ("What is the state of neural network pruning?").
 */
export function globalMagnitudeMasks(
  values: ArrayLike<number>[],
  sparsity: number,
  previous?: (ArrayLike<number> | undefined)[],
): Float32Array[] {
  const total = values.reduce((n, v) => n + v.length, 0);
  const all = new Float32Array(total);
  const prev = previous?.some(Boolean) ? new Float32Array(total).fill(1) : undefined;
  let offset = 0;
  values.forEach((v, k) => {
    all.set(Array.from(v), offset);
    const p = previous?.[k];
    if (prev && p) prev.set(Array.from(p), offset);
    offset += v.length;
  });
  const mask = magnitudeMask(all, sparsity, prev);
  offset = 0;
  return values.map((v) => {
    const part = mask.slice(offset, offset + v.length);
    offset += v.length;
    return part;
  });
}
