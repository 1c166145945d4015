/** Helpers for nested numeric arrays as JSON carries them. */
import { ValidationError } from '../errors';

/**
 * Flattens a nested numeric array in row-major order. Anything that is not a
 * number or an array is an error, so a stray string cannot silently shift
 * the values that follow it.
 */
export function flatten(value: unknown, out: number[] = [], what = 'value'): number[] {
  if (typeof value === 'number') {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) flatten(v, out, what);
  } else {
    throw new ValidationError(`${what} must hold only numbers, found ${JSON.stringify(value)}`);
  }
  return out;
}

/** The shape of a rectangular nested array, or null when ragged. */
export function shapeOf(value: unknown): number[] | null {
  if (typeof value === 'number') return [];
  if (!Array.isArray(value) || value.length === 0) return null;
  const inner = shapeOf(value[0]);
  if (inner === null) return null;
  for (let i = 1; i < value.length; i++) {
    const s = shapeOf(value[i]);
    if (s === null || s.length !== inner.length || s.some((d, j) => d !== inner[j])) return null;
  }
  return [value.length, ...inner];
}
