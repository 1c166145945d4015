/**
 * Builds the firmware's host programs (firmware/host/Makefile) once per test
 * run with gcc, -Wall -Wextra -Werror, AddressSanitizer and
 * UndefinedBehaviorSanitizer (SAN=1), into dist/firmware/san. Every test that
 * runs them goes through here, and through `sanitizerEnv`, which makes any
 * sanitizer report abort the program with a non-zero exit.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/paths';

const run = promisify(execFile);

export const FIRMWARE_DIR = join(ROOT, 'firmware');
export const BUILD_DIR = join(ROOT, 'dist', 'firmware', 'san');

export interface HostPrograms {
  device: string;
  sim: string;
  tool: string;
  coreTests: string;
}

let built: Promise<HostPrograms> | undefined;

export function buildHost(): Promise<HostPrograms> {
  built ??= (async () => {
    try {
      await run('make', ['-C', join(FIRMWARE_DIR, 'host'), `OUT=${BUILD_DIR}`, 'SAN=1', '-j2', '-s'], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`building firmware/host failed:\n${e.stderr ?? e.message}`);
    }
    return {
      device: join(BUILD_DIR, 'tinyml-host-device'),
      sim: join(BUILD_DIR, 'tinyml-host-sim'),
      tool: join(BUILD_DIR, 'tm-tool'),
      coreTests: join(BUILD_DIR, 'core-tests'),
    };
  })();
  return built;
}

/** Environment for sanitized programs: stop at the first report, leaks included. */
export const sanitizerEnv: NodeJS.ProcessEnv = {
  ...process.env,
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:halt_on_error=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

/** Text a sanitizer prints when it finds something (ASan, LSan, UBSan). */
export const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;
