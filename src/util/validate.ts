/**
 * One ajv instance for the whole engine, and the conversion of its errors to
 * one line that names the field and what was expected:
 * `spec.layers[0].units must be integer`.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '../errors';

export const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

/** JSON pointer ("/layers/0/units") as a path ("layers[0].units"). */
function path(root: string, pointer: string): string {
  let out = root;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

export function describeError(root: string, e: ErrorObject): string {
  const at = path(root, e.instancePath);
  switch (e.keyword) {
    case 'required':
      return `${path(root, e.instancePath)}.${(e.params as { missingProperty: string }).missingProperty} is required`;
    case 'additionalProperties':
      return `${at} has unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${at} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type': {
      const t = String((e.params as { type: string }).type).split(',');
      const named = t.map((x) => (/^[aeiou]/.test(x) ? `an ${x}` : `a ${x}`)).join(' or ');
      return `${at} must be ${named}`;
    }
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

/** Validates `value`, throwing a ValidationError with the first problem. */
export function check<T>(validate: ValidateFunction<T>, value: unknown, root: string): T {
  if (!validate(value)) {
    const errors = validate.errors ?? [];
    // Prefer the most specific error (deepest path) of an anyOf/oneOf.
    const best = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
    throw new ValidationError(best ? describeError(root, best) : `${root} is invalid`);
  }
  return value;
}
