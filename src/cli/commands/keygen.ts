import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { str, UsageError, type Command } from '../args';
import { generateSigningKeys } from '../../fleet/signing';
import { ValidationError } from '../../errors';

export const keygen: Command = {
  name: 'keygen',
  summary: 'create an Ed25519 key pair for signing model manifests',
  usage:
    'tinyml keygen --out DIR [--name tinyml] [--force]\n' +
    '  writes DIR/NAME.key (private, PKCS#8 PEM, mode 600: give it to tinyml deploy --key)\n' +
    '  and DIR/NAME.pub (public, SPKI PEM: give it to tinyml device --pubkey);\n' +
    '  prints the raw public key as 64 hex digits for device firmware',
  options: {
    out: { type: 'string' },
    name: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(args, io) {
    const dir = str(args, 'out', true)!;
    const name = str(args, 'name') ?? 'tinyml';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new UsageError(`--name "${name}" must be letters, digits, _ . -`);
    }
    const keyPath = join(dir, `${name}.key`);
    const pubPath = join(dir, `${name}.pub`);
    for (const p of [keyPath, pubPath]) {
      if (existsSync(p) && !args.values.force) {
        throw new ValidationError(`${p} exists; pass --force to replace it`);
      }
    }
    const keys = generateSigningKeys();
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(keyPath, keys.privatePem, { mode: 0o600 });
      writeFileSync(pubPath, keys.publicPem, { mode: 0o644 });
    } catch (err) {
      throw new ValidationError(
        `cannot write the keys to ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    io.err(`wrote ${keyPath} (private) and ${pubPath} (public)`);
    io.out(keys.publicHex);
    return 0;
  },
};
