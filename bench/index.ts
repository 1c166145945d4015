/**
 * `npm run bench` / `tinyml bench`: runs every benchmark in bench/ (files
 * named *.bench.ts, each exporting `name` and `run(log)`), or only those
 * named on the command line, and prints their tables. Each benchmark measures
 * its reference in the same run and prints ratios against it; nothing here is
 * a pass/fail test.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Benchmark {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<void>;
}

export function listBenchmarks(): Benchmark[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .sort()
    .map((f) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(join(__dirname, f)) as { benchmark: Benchmark };
      return mod.benchmark;
    });
}

/** Formats rows as an aligned text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  return [
    line(cells[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export async function runBenchmarks(names: string[], log: (line: string) => void): Promise<number> {
  const all = listBenchmarks();
  const chosen = names.length ? all.filter((b) => names.includes(b.name)) : all;
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length) {
    log(
      `unknown benchmark(s): ${unknown.join(', ')}; available: ${all.map((b) => b.name).join(', ') || 'none'}`,
    );
    return 2;
  }
  if (chosen.length === 0) {
    log('no benchmarks are built yet');
    return 2;
  }
  for (const b of chosen) {
    log(`\n## ${b.name}: ${b.description}\n`);
    await b.run(log);
  }
  return 0;
}

if (require.main === module) {
  runBenchmarks(process.argv.slice(2), (line) => console.log(line)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
