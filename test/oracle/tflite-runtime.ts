/**
 * Client of the real TFLite runtime oracle (tflite-child.js) for tests: one
 * child process per suite, requests answered in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface OracleOutput {
  name: string;
  shape: number[];
  dtype: string;
  data: number[];
}

export interface OracleResult {
  inputs: { name: string; shape: number[]; dtype: string }[];
  outputs: OracleOutput[];
  /** Outputs of `sequence` steps, in order (RunOptions.sequence). */
  steps?: OracleOutput[][];
  /** Invokes of the runtime's own infer() in `ms` (RunOptions.timeMs). */
  timing?: { invokes: number; ms: number };
}

export interface RunOptions {
  /** More input sets invoked in order on the same loaded model (stateful models). */
  sequence?: ArrayLike<number>[][];
  /** Also time the runtime's infer() for about this many milliseconds. */
  timeMs?: number;
}

// The child script is plain JavaScript kept beside the TypeScript sources.
const CHILD = join(__dirname, '..', '..', '..', 'test', 'oracle', 'tflite-child.js');

export class TfliteOracle {
  private child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: OracleResult) => void; reject: (e: Error) => void }
  >();
  private stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; error?: string } & OracleResult;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`TFLite runtime: ${msg.error}`));
      else p.resolve(msg);
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) {
        p.reject(new Error(`TFLite oracle exited with ${code}: ${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  /** Runs `model` on `inputs` (one flat array per model input) in the real runtime. */
  run(
    model: Uint8Array,
    inputs: ArrayLike<number>[],
    options: RunOptions = {},
  ): Promise<OracleResult> {
    const id = this.nextId++;
    const req = {
      id,
      model: Buffer.from(model).toString('base64'),
      inputs: inputs.map((d) => ({ data: Array.from(d) })),
      sequence: options.sequence?.map((set) => set.map((d) => ({ data: Array.from(d) }))),
      timeMs: options.timeMs,
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}
