/**
 * The `tinyml` command. Exit codes: 0 success; 1 a user error (bad input,
 * bad file, refused deployment) reported as one line on stderr; 2 a usage
 * error or a command not implemented yet. Stack traces are printed only for
 * unexpected internal errors (bugs), or with TINYML_DEBUG=1.
 */
import { parse, UsageError, type Command, type Io } from './args';
import { convert } from './commands/convert';
import { deploy } from './commands/deploy';
import { device } from './commands/device';
import { exportCmd } from './commands/export';
import { inspect } from './commands/inspect';
import { keygen } from './commands/keygen';
import { bench } from './commands/bench';
import { distill } from './commands/distill';
import { prune } from './commands/prune';
import { quantize } from './commands/quantize';
import { run } from './commands/run';
import { train } from './commands/train';
import { isTinymlError, NotImplementedError } from '../errors';
import { PACKAGE_VERSION } from '../version';

export const COMMANDS: Command[] = [
  train,
  convert,
  quantize,
  prune,
  distill,
  inspect,
  run,
  exportCmd,
  deploy,
  device,
  keygen,
  bench,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `tinyml ${PACKAGE_VERSION} — TinyML toolchain: train, convert, optimize, deploy, run`,
    '',
    'usage: tinyml <command> [options]   (tinyml <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out(PACKAGE_VERSION);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd)
      throw new UsageError(
        `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
    const args = parse(cmd, rest);
    if (args.values.help) {
      io.out(`${cmd.summary}\n\nusage: ${cmd.usage}`);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (err) {
    if (isTinymlError(err)) {
      io.err(`tinyml${cmd ? ` ${cmd.name}` : ''}: ${err.message.split('\n')[0]}`);
      if (process.env.TINYML_DEBUG) io.err(err.stack ?? '');
      return err instanceof UsageError || err instanceof NotImplementedError ? 2 : 1;
    }
    throw err;
  }
}
