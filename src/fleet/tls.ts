/**
 * Broker connection options from files, for the CLI: TLS (a CA bundle to
 * verify the broker, a client certificate and key for mutual TLS) and
 * credentials. Reading fails with one line naming the file.
 */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from './client';
import { ValidationError } from '../errors';

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  /** Accept a broker certificate that does not verify (testing only). */
  insecure?: boolean;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ValidationError(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export function tlsFromFiles(files: TlsFiles): TlsOptions | undefined {
  if (!files.ca && !files.cert && !files.key && !files.insecure) return undefined;
  if (Boolean(files.cert) !== Boolean(files.key)) {
    throw new ValidationError('a client certificate needs its key, and a key its certificate');
  }
  const tls: TlsOptions = {};
  if (files.ca) tls.ca = readFile(files.ca, 'CA file');
  if (files.cert) tls.cert = readFile(files.cert, 'certificate');
  if (files.key) tls.key = readFile(files.key, 'key');
  if (files.insecure) tls.rejectUnauthorized = false;
  return tls;
}
