/** Paths the tests use: the project root and the shared reference models. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// Tests run compiled from dist/test/<dir>/: the project root is three levels up.
export const ROOT = join(__dirname, '..', '..', '..');

/**
 * Real reference models (TensorFlow's converter output) and datasets. They
 * live in ../shared beside the checkout; test/fixtures holds the copies the
 * project ships so a clean clone tests the same files.
 */
export const SHARED_MODELS = [
  join(ROOT, 'test', 'fixtures', 'models'),
  join(ROOT, '..', 'shared', 'models'),
].find((p) => existsSync(p))!;

export function sharedModel(name: string): string {
  return join(SHARED_MODELS, name);
}
