/**
 * The TensorFlow.js binding the engine uses. @tensorflow/tfjs-node (native
 * libtensorflow) is an optional dependency: its install downloads a native
 * library, which fails on machines without internet access, so it is tried at
 * run time and the pure-JavaScript @tensorflow/tfjs (CPU backend) is the
 * fallback. The choice is logged once.
 */
import type * as tfTypes from '@tensorflow/tfjs';

export type Tf = typeof tfTypes;

let loaded: Tf | undefined;
let backendName = '';

function tryRequire(id: string): Tf | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id) as Tf;
  } catch {
    return undefined;
  }
}

/** Returns TensorFlow.js, loading the best available backend on first use. */
export function tf(log: (line: string) => void = defaultLog): Tf {
  if (loaded) return loaded;
  const native = process.env.TINYML_NO_NATIVE ? undefined : tryRequire('@tensorflow/tfjs-node');
  if (native) {
    loaded = native;
    backendName = 'tensorflow (native, @tensorflow/tfjs-node)';
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('@tensorflow/tfjs') as Tf;
    loaded.setBackend('cpu');
    // The CPU backend prints a banner urging tfjs-node on first use; the line
    // logged below says the same once, in the engine's words.
    (loaded.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    backendName = 'cpu (@tensorflow/tfjs; install @tensorflow/tfjs-node for native speed)';
  }
  log(`tinyml: TensorFlow.js backend: ${backendName}`);
  return loaded;
}

export function tfBackend(): string {
  return backendName;
}

function defaultLog(line: string): void {
  if (!process.env.TINYML_QUIET) process.stderr.write(line + '\n');
}
