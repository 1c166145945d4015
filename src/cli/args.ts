/**
 * Argument parsing for the CLI on node:util parseArgs: every command declares
 * its options and usage; unknown options and missing values are usage errors
 * (exit 2) with one line naming the problem.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { TinymlError, ValidationError } from '../errors';

export class UsageError extends TinymlError {
  constructor(message: string) {
    super('EUSAGE', message);
    this.name = 'UsageError';
  }
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function parse(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

export function str(args: ParsedArgs, name: string, required = false): string | undefined {
  const v = args.values[name];
  if (v === undefined || v === '') {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  return String(v);
}

export function num(args: ParsedArgs, name: string, fallback?: number): number | undefined {
  const v = str(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

export function positional(args: ParsedArgs, index: number, what: string): string {
  const v = args.positionals[index];
  if (v === undefined) throw new UsageError(`${what} is required`);
  return v;
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new ValidationError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Reads a JSON file (gzip-compressed when it ends in .gz). */
export async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function readText(path: string): Promise<string> {
  const bytes = await readBytes(path);
  if (path.endsWith('.gz')) {
    try {
      return gunzipSync(bytes).toString('utf8');
    } catch (err) {
      throw new ValidationError(`${path} is not valid gzip: ${(err as Error).message}`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
