import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../args';
import { NotImplementedError } from '../../errors';

// Benchmarks live in bench/ of a source checkout (compiled to dist/bench).
const BENCH = join(__dirname, '..', '..', '..', 'bench', 'index.js');

export const bench: Command = {
  name: 'bench',
  summary: 'run the benchmarks and print their tables',
  usage: 'tinyml bench [NAME ...]   (benchmarks need a source checkout: npm run bench)',
  options: {},
  async run(args, io) {
    if (!existsSync(BENCH)) {
      throw new NotImplementedError(
        'benchmarks are not installed; run them from a source checkout with npm run bench',
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runBenchmarks } = require(BENCH) as {
      runBenchmarks: (names: string[], log: (line: string) => void) => Promise<number>;
    };
    return runBenchmarks(args.positionals, io.out);
  },
};
